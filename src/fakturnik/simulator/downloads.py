"""Pre-signed links: UPO and export downloads (GET) and batch part uploads (PUT), no bearer.

A link is ``{public base}/v2/storage/{resource}?exp={unix}&sig={hmac}``; the HMAC-SHA256 over
``{method} {resource} {exp}`` uses a per-simulator secret kept in the state, so links survive a
restart. Like the Ministry's blob storage, a bad or expired link answers 403 and links are not rate
limited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from fakturnik.ksef.crypto import sha256_b64
from fakturnik.simulator.core import Simulator, sim_of

DOWNLOAD_TTL = timedelta(hours=1)
router = APIRouter()

# resource kind (first path segment) → function returning (content, media type) or None
Resolver = Callable[[Simulator, str], tuple[bytes, str] | None]
RESOLVERS: dict[str, Resolver] = {}


def _secret(sim: Simulator) -> bytes:
    doc = sim.state.get("setting", "download-secret")
    if doc is None:
        doc = {"hex": secrets.token_hex(32)}
        sim.state.put("setting", "download-secret", doc)
    return bytes.fromhex(doc["hex"])


def _sign(sim: Simulator, method: str, resource: str, exp: int) -> str:
    return hmac.new(_secret(sim), f"{method} {resource} {exp}".encode(), hashlib.sha256).hexdigest()


def signed_url(
    sim: Simulator, base: str, resource: str, *, method: str = "GET", ttl: timedelta = DOWNLOAD_TTL
) -> tuple[str, datetime]:
    """A link to ``resource`` valid for ``ttl``, and its expiry."""
    expires = datetime.now(UTC) + ttl
    exp = int(expires.timestamp())
    sig = _sign(sim, method, resource, exp)
    return f"{base}/v2/storage/{resource}?exp={exp}&sig={sig}", expires.replace(microsecond=0)


def verify(sim: Simulator, method: str, resource: str, exp: str | None, sig: str | None) -> bool:
    if not exp or not sig or not exp.isdigit() or int(exp) < time.time():
        return False
    return hmac.compare_digest(_sign(sim, method, resource, int(exp)), sig)


def denied(message: str = "Link jest nieprawidłowy albo wygasł.") -> Response:
    return JSONResponse({"error": "AuthenticationFailed", "message": message}, status_code=403)


@router.get("/storage/{resource:path}", include_in_schema=False)
def download(resource: str, request: Request) -> Response:
    sim = sim_of(request)
    if not verify(sim, "GET", resource, request.query_params.get("exp"), request.query_params.get("sig")):
        return denied()
    resolver = RESOLVERS.get(resource.split("/", 1)[0])
    found = resolver(sim, resource) if resolver else None
    if found is None:
        return JSONResponse({"error": "BlobNotFound"}, status_code=404)
    content, media_type = found
    return Response(content, media_type=media_type, headers={"x-ms-meta-hash": sha256_b64(content)})
