"""Request body limits per route, checked before a handler reads anything (pure ASGI middleware).

A body over its route's limit is answered 413 with a KSeF-style error after at most ``limit + 1``
bytes have been read, whether or not the client sent ``Content-Length``. Paths that are not in
canonical form (dot segments, empty segments, encoded dots or slashes) are refused with 400 before
routing, so no spelling of a path reaches a route it does not name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MB = 1_000_000
DEFAULT_LIMIT = 1 * MB  # every JSON endpoint: a query, a grant, an auth call
# (pattern, limit): the routes that carry documents, largest first
ROUTE_LIMITS: tuple[tuple[re.Pattern[str], int], ...] = (
    # a batch part: KSeF allows parts up to 100 MB (encrypted)
    (re.compile(r"^/v2/storage/batch/[^/]+/[^/]+$"), 101 * MB),
    # one encrypted invoice (3 MB with an attachment) in base64 inside JSON
    (re.compile(r"^/v2/sessions/online/[^/]+/invoices$"), 5 * MB),
    # the signed XAdES auth request: its parser's own limit is 1 MB
    (re.compile(r"^/v2/auth/xades-signature$"), 1 * MB),
    # the batch session's part list: up to 10,000 parts' hashes
    (re.compile(r"^/v2/sessions/batch$"), 5 * MB),
)
_BAD_SEGMENT = re.compile(r"(^|/)\.{1,2}(/|$)|//|%2e|%2f|%5c|\\", re.IGNORECASE)


def limit_for(path: str) -> int:
    for pattern, limit in ROUTE_LIMITS:
        if pattern.match(path):
            return limit
    return DEFAULT_LIMIT


def _error(code: int, status: int, detail: str) -> bytes:
    body = {
        "exception": {
            "exceptionDetailList": [
                {
                    "exceptionCode": code,
                    "exceptionDescription": "Błąd walidacji danych wejściowych.",
                    "details": [detail],
                }
            ],
            "serviceName": "fakturnik-simulator",
        }
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimits:
    """Wraps the ASGI app: canonical paths only, and each route's body limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
        raw_path = raw.split(b"?", 1)[0].decode("latin-1")
        if _BAD_SEGMENT.search(raw_path) or _BAD_SEGMENT.search(scope.get("path", "")):
            await _answer(
                send, 400, _error(21405, 400, "Niedozwolona postać ścieżki (segmenty '.', '..', '//').")
            )
            return
        limit = limit_for(scope.get("path", ""))
        declared = next((v for k, v in scope.get("headers", ()) if k.lower() == b"content-length"), None)
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await _answer(send, 400, _error(21405, 400, "Niepoprawny nagłówek Content-Length."))
                return
            if too_big:
                await _answer(send, 413, _error(21405, 413, f"Treść żądania przekracza limit {limit} B."))
                return
        # read the whole body first (at most limit + 1 bytes), then hand it to the app in one piece
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                await _answer(send, 413, _error(21405, 413, f"Treść żądania przekracza limit {limit} B."))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
