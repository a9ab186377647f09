"""Bearer tokens (JWT-shaped, HS256) and the per-call checks of digest §14.1.

Token kinds: ``operation`` (authenticationToken: only ``GET /auth/{ref}`` and redeem), ``access``
(every protected call) and ``refresh`` (refresh and ``DELETE /auth/sessions/current``). Claims
carry the context, the subject and the permissions frozen when the token was issued.
"""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from fastapi import Request

from fakturnik.simulator.errors import ForbiddenError, UnauthorizedError

OPERATION_TTL = timedelta(minutes=45)
ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=7)
_ISSUER = "fakturnik-simulator"


@dataclass(frozen=True)
class Caller:
    """Who is calling, in which context, with what rights (decoded from the bearer token)."""

    token_kind: str
    auth_ref: str
    context_type: str  # Nip | InternalId | NipVatUe | PeppolId
    context_value: str
    subject_type: str  # Nip | Pesel | Fingerprint | Token(author) ...
    subject_value: str
    permissions: frozenset[str]
    auth_method: str  # Token | XadesSignature
    client_ip: str
    ksef_token_ref: str | None = None
    allowed_ips: dict[str, list[str]] = field(default_factory=dict)
    jti: str = ""

    def made_here(self, doc: dict[str, Any] | None) -> bool:
        """``doc`` (a session, an export) exists and was made in this caller's context."""
        return doc is not None and (doc["contextType"], doc["contextValue"]) == (
            self.context_type,
            self.context_value,
        )

    @property
    def context_key(self) -> str:
        return f"{self.context_type}:{self.context_value}"

    def has_any(self, perms: Sequence[str]) -> bool:
        return not perms or any(p in self.permissions for p in perms)


class TokenIssuer:
    """Signs and verifies the simulator's JWTs with a per-instance secret."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def issue(self, kind: str, claims: dict[str, Any], ttl: timedelta) -> tuple[str, datetime]:
        now = datetime.now(UTC)
        exp = now + ttl
        payload = {
            **claims,
            "token-type": kind,
            "iss": _ISSUER,
            "iat": int(now.timestamp()),
            "exp": int(exp.timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(payload, self._secret, algorithm="HS256"), exp

    def decode(self, token: str) -> dict[str, Any]:
        """Claims of a valid, unexpired token; raises :class:`UnauthorizedError` otherwise."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=_ISSUER,
                options={"require": ["exp", "iat", "iss", "token-type"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise UnauthorizedError("Token wygasł.") from exc
        except jwt.PyJWTError as exc:
            raise UnauthorizedError("Nieprawidłowy token.") from exc
        return claims


def caller_claims(
    *,
    auth_ref: str,
    context_type: str,
    context_value: str,
    subject_type: str,
    subject_value: str,
    permissions: Sequence[str],
    auth_method: str,
    ksef_token_ref: str | None = None,
    allowed_ips: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    return {
        "operation-reference-number": auth_ref,
        "context-identifier-type": context_type,
        "context-identifier-value": context_value,
        "subject-identifier-type": subject_type,
        "subject-identifier-value": subject_value,
        "permissions": sorted(set(permissions)),
        "authentication-method": auth_method,
        "ksef-token-reference": ksef_token_ref,
        "allowed-ips": allowed_ips or {},
    }


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "0.0.0.0"  # noqa: S104 - a label, not a bind


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("Brak tokena uwierzytelniającego.")
    return token.strip()


def caller_from_request(request: Request, kinds: Sequence[str]) -> Caller:
    """Decode and check the bearer token (kind, revocation) without permission checks."""
    sim = request.app.state.sim
    claims = sim.tokens.decode(bearer(request))
    kind = claims.get("token-type", "")
    if kind not in kinds:
        raise UnauthorizedError(f"Nieprawidłowy rodzaj tokena: {kind}.")
    auth_ref = str(claims.get("operation-reference-number", ""))
    if kind == "refresh" and sim.is_refresh_revoked(auth_ref):
        raise UnauthorizedError("Sesja uwierzytelnienia została unieważniona.")
    return Caller(
        token_kind=kind,
        auth_ref=auth_ref,
        context_type=str(claims.get("context-identifier-type", "")),
        context_value=str(claims.get("context-identifier-value", "")),
        subject_type=str(claims.get("subject-identifier-type", "")),
        subject_value=str(claims.get("subject-identifier-value", "")),
        permissions=frozenset(claims.get("permissions") or []),
        auth_method=str(claims.get("authentication-method", "")),
        client_ip=client_ip(request),
        ksef_token_ref=claims.get("ksef-token-reference"),
        allowed_ips=dict(claims.get("allowed-ips") or {}),
        jti=str(claims.get("jti", "")),
    )


def ip_allowed(ip: str, policy: dict[str, list[str]]) -> bool:
    """AuthorizationPolicy.allowedIps: empty policy allows all."""
    addresses = policy.get("ip4Addresses") or []
    ranges = policy.get("ip4Ranges") or []
    masks = policy.get("ip4Masks") or []
    if not (addresses or ranges or masks):
        return True
    try:
        addr = ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    if ip in addresses:
        return True
    for r in ranges:
        lo, _, hi = r.partition("-")
        if ipaddress.IPv4Address(lo.strip()) <= addr <= ipaddress.IPv4Address(hi.strip()):
            return True
    return any(addr in ipaddress.IPv4Network(m, strict=False) for m in masks)


def require(
    group: str = "other",
    any_of: Sequence[str] = (),
    *,
    kinds: Sequence[str] = ("access",),
    context_types: Sequence[str] | None = None,
    counter: str | None = None,
) -> Callable[[Request], Caller]:
    """FastAPI dependency: 401 → 403 context type → 403 permissions → 403 IP → 429 (digest §14.1).

    Use as ``caller: Caller = Depends(require("invoiceSend", ["InvoiceWrite"]))``. ``counter``
    gives an ``other`` endpoint its own rate-limit counter (default: the route's path).
    """

    def dependency(request: Request) -> Caller:
        caller = caller_from_request(request, kinds)
        if context_types is not None and caller.context_type not in context_types:
            raise ForbiddenError(
                "context-type-not-allowed",
                f"Operacja niedostępna dla kontekstu typu {caller.context_type}.",
            )
        if any_of and not caller.has_any(any_of):
            raise ForbiddenError(
                "missing-permissions",
                "Brak wymaganych uprawnień.",
                {"requiredAnyOfPermissions": list(any_of), "presentPermissions": sorted(caller.permissions)},
            )
        if not ip_allowed(caller.client_ip, caller.allowed_ips):
            raise ForbiddenError("ip-not-allowed", "Żądanie z niedozwolonego adresu IP.")
        route = request.scope.get("route")
        route_path = getattr(route, "path", request.url.path)
        request.app.state.sim.rate_limiter.check(
            group, caller.context_key, caller.client_ip, counter or (route_path if group == "other" else None)
        )
        return caller

    return dependency


def public(request: Request) -> None:
    """Dependency for public endpoints: 60 req/s per IP."""
    route = request.scope.get("route")
    request.app.state.sim.rate_limiter.check_public(client_ip(request), getattr(route, "path", ""))
