"""Background authentication to KSeF 2.0 (digest §4): KSeF token, XAdES certificate, signed file.

The flow: ``POST /auth/challenge`` → either the KSeF token encrypted as ``token|timestampMs`` with the
Ministry's ``KsefTokenEncryption`` certificate (``POST /auth/ksef-token``) or a signed
``AuthTokenRequest`` (``POST /auth/xades-signature``) → poll ``GET /auth/{ref}`` with the operation
token until the status leaves 100 → ``POST /auth/token/redeem`` once → access + refresh tokens.

:class:`AuthManager` runs that flow lazily and implements
:class:`~fakturnik.ksef.transport.TokenSource`: it hands out the access token, refreshes it ahead of
expiry once under a lock (threads share it), and renews it after a 401 so the transport can replay.
Functions here take a :class:`Transport` and do only what they say; the manager combines them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
from cryptography import x509

from fakturnik.base.nopickle import NoPickle
from fakturnik.errors import (
    KsefApiError,
    KsefAuthError,
    KsefError,
    KsefServerError,
    KsefTimeoutError,
    KsefTransportError,
)
from fakturnik.ksef.context import ContextIdentifier, SubjectIdentifierType
from fakturnik.ksef.credentials import CertificateCredential, KsefTokenCredential
from fakturnik.ksef.crypto import b64, public_key_id, rsa_oaep_encrypt, unb64
from fakturnik.ksef.redaction import forget_secret, register_secret
from fakturnik.ksef.transport import NO_BEARER, TokenKind, Transport
from fakturnik.ksef.xades import (
    AllowedIps,
    read_auth_request,
    sign_new_auth_request,
    write_unsigned_auth_request,
)

log = logging.getLogger("fakturnik.ksef.auth")

__all__ = [
    "AuthManager",
    "AuthOperation",
    "AuthStatus",
    "AuthTokens",
    "BearerToken",
    "CertificateAuthenticator",
    "Challenge",
    "KsefTokenAuthenticator",
    "finish_with_signed_request",
    "prepare_signed_request",
    "write_unsigned_auth_request",
]

AUTH_IN_PROGRESS = 100
AUTH_OK = 200
# What the auth status codes mean (digest §4), in Polish for the people who read them.
AUTH_STATUS_TEXT: dict[int, str] = {
    415: "brak uprawnień w tym kontekście",
    425: "uwierzytelnienie unieważnione",
    450: "nieprawidłowy token (wyzwanie, token, czas tokena, token unieważniony lub nieaktywny)",
    460: "błąd certyfikatu (nieważny, niezaufany, unieważniony, zawieszony)",
    470: "próba użycia metod uwierzytelnienia osoby zmarłej",
    480: "kontekst zablokowany (incydent bezpieczeństwa)",
    500: "nieznany błąd po stronie KSeF",
    550: "operacja anulowana",
}


def parse_time(text: str) -> datetime:
    """ISO 8601 timestamp from KSeF (``Z`` or offset; naive means UTC)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def clock_skew(response: httpx.Response) -> timedelta:
    """Server time minus local time, from the response's ``Date`` header (zero when absent)."""
    header = response.headers.get("date")
    if not header:
        return timedelta(0)
    try:
        server = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return timedelta(0)
    if server.tzinfo is None:
        server = server.replace(tzinfo=UTC)
    return server - datetime.now(UTC)


@dataclass(frozen=True, repr=False)
class BearerToken(NoPickle):
    """A JWT from KSeF and its ``validUntil``; ``repr`` never shows the token.

    ``skew`` is the server's clock minus ours when the token arrived: expiry is judged on the
    server's clock, so a machine whose clock is off does not refresh in a loop (or too late).
    """

    token: str
    valid_until: datetime
    skew: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        register_secret(self.token)

    @classmethod
    def from_json(cls, body: Mapping[str, Any], skew: timedelta = timedelta(0)) -> BearerToken:
        return cls(str(body["token"]), parse_time(str(body["validUntil"])), skew)

    def expires_within(self, seconds: float, now: datetime | None = None) -> bool:
        server_now = (now or datetime.now(UTC)) + self.skew
        return server_now + timedelta(seconds=seconds) >= self.valid_until

    def __repr__(self) -> str:
        return f"BearerToken(token=<redacted>, valid_until={self.valid_until.isoformat()})"


@dataclass(frozen=True)
class AuthTokens:
    """The access and refresh token of one login (``BearerToken``'s ``repr`` hides each)."""

    reference_number: str
    access: BearerToken
    refresh: BearerToken


@dataclass(frozen=True)
class Challenge:
    challenge: str
    timestamp: str
    timestamp_ms: int
    client_ip: str | None = None


@dataclass(frozen=True)
class AuthOperation:
    """``202`` of ``/auth/ksef-token`` or ``/auth/xades-signature``."""

    reference_number: str
    authentication_token: BearerToken


@dataclass(frozen=True)
class AuthStatus:
    code: int
    description: str
    details: list[str] = field(default_factory=list)
    method: str | None = None


# --- flow steps -------------------------------------------------------------------------------------


def request_challenge(transport: Transport) -> Challenge:
    body = transport.request("POST", "/auth/challenge", token=NO_BEARER, idempotent=True).json()
    return Challenge(
        challenge=str(body["challenge"]),
        timestamp=str(body.get("timestamp", "")),
        timestamp_ms=int(body["timestampMs"]),
        client_ip=body.get("clientIp"),
    )


@dataclass(frozen=True)
class EncryptionCertificate:
    der: bytes
    public_key_id: str
    valid_from: datetime
    valid_to: datetime
    usage: tuple[str, ...]


def choose_certificate(
    items: Sequence[Mapping[str, Any]], usage: str, now: datetime | None = None
) -> EncryptionCertificate:
    """The Ministry certificate for ``usage``: currently valid, latest ``validFrom`` (digest §5)."""
    now = now or datetime.now(UTC)
    candidates: list[EncryptionCertificate] = []
    for item in items:
        usages = tuple(str(u) for u in item.get("usage") or ())
        if usage not in usages:
            continue
        der = unb64(str(item["certificate"]))
        key_id = str(item.get("publicKeyId") or public_key_id(x509.load_der_x509_certificate(der)))
        cert = EncryptionCertificate(
            der, key_id, parse_time(str(item["validFrom"])), parse_time(str(item["validTo"])), usages
        )
        if cert.valid_from <= now <= cert.valid_to:
            candidates.append(cert)
    if not candidates:
        raise KsefAuthError(f"KSeF nie publikuje ważnego certyfikatu do użycia {usage}.")
    return max(candidates, key=lambda c: c.valid_from)


_CERTIFICATE_CACHE_SECONDS = 3600.0
_certificate_cache: dict[str, tuple[float, list[Mapping[str, Any]]]] = {}
_certificate_cache_lock = threading.Lock()


def fetch_encryption_certificate(
    transport: Transport, usage: str = "KsefTokenEncryption", *, fresh: bool = False
) -> EncryptionCertificate:
    """The Ministry certificate for ``usage``; the list is cached per deployment for an hour.

    ``fresh=True`` bypasses the cache (after 21470: the keys were rotated).
    """
    key = transport.env.api_url
    now = time.monotonic()
    with _certificate_cache_lock:
        cached = _certificate_cache.get(key)
    if fresh or cached is None or now - cached[0] > _CERTIFICATE_CACHE_SECONDS:
        items = transport.request("GET", "/security/public-key-certificates", token=NO_BEARER).json()
        cached = (now, list(items))
        with _certificate_cache_lock:
            _certificate_cache[key] = cached
    try:
        return choose_certificate(cached[1], usage)
    except KsefAuthError:
        if fresh:
            raise
        return fetch_encryption_certificate(transport, usage, fresh=True)


def encrypt_ksef_token(token: str, timestamp_ms: int, certificate_der: bytes) -> str:
    """Base64 of RSA-OAEP-SHA256(``token|timestampMs``) – the ``encryptedToken`` field."""
    return b64(rsa_oaep_encrypt(certificate_der, f"{token}|{timestamp_ms}".encode()))


def _operation(response: httpx.Response) -> AuthOperation:
    body = response.json()
    token = BearerToken.from_json(body["authenticationToken"], clock_skew(response))
    return AuthOperation(str(body["referenceNumber"]), token)


def start_ksef_token_auth(
    transport: Transport,
    context: ContextIdentifier,
    credential: KsefTokenCredential,
    challenge: Challenge,
    certificate: EncryptionCertificate,
    allowed_ips: AllowedIps | None = None,
) -> AuthOperation:
    payload: dict[str, Any] = {
        "challenge": challenge.challenge,
        "contextIdentifier": context.as_json(),
        "encryptedToken": encrypt_ksef_token(
            credential.token.reveal(), challenge.timestamp_ms, certificate.der
        ),
        "publicKeyId": certificate.public_key_id,
    }
    if allowed_ips is not None:
        payload["authorizationPolicy"] = {"allowedIps": allowed_ips.as_json()}
    return _operation(transport.request("POST", "/auth/ksef-token", token=NO_BEARER, json=payload))


def start_xades_auth(
    transport: Transport, signed_xml: bytes, *, verify_certificate_chain: bool | None = None
) -> AuthOperation:
    params = (
        None if verify_certificate_chain is None else {"verifyCertificateChain": verify_certificate_chain}
    )
    response = transport.request(
        "POST",
        "/auth/xades-signature",
        token=NO_BEARER,
        content=signed_xml,
        params=params,
        headers={"Content-Type": "application/xml"},
    )
    return _operation(response)


def get_auth_status(transport: Transport, operation: AuthOperation) -> AuthStatus:
    body = transport.request(
        "GET", f"/auth/{operation.reference_number}", bearer=operation.authentication_token.token
    ).json()
    status = body.get("status") or {}
    info = body.get("authenticationMethodInfo") or {}
    return AuthStatus(
        code=int(status.get("code", 0)),
        description=str(status.get("description", "")),
        details=[str(d) for d in status.get("details") or []],
        method=str(info.get("code") or body.get("authenticationMethod") or "") or None,
    )


def wait_for_auth(
    transport: Transport,
    operation: AuthOperation,
    *,
    timeout: float = 300.0,
    poll_interval: float = 0.25,
    max_interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> AuthStatus:
    """Poll until the status leaves 100; 200 returns, anything else raises :class:`KsefAuthError`."""
    deadline = time.monotonic() + timeout
    interval = poll_interval
    while True:
        status = get_auth_status(transport, operation)
        if status.code == AUTH_OK:
            return status
        if status.code != AUTH_IN_PROGRESS:
            meaning = AUTH_STATUS_TEXT.get(status.code, "")
            details = f" ({'; '.join(status.details)})" if status.details else ""
            text = f"Uwierzytelnienie w KSeF nie powiodło się: {status.code} {status.description}{details}"
            if meaning:
                text += f" – {meaning}"
            raise KsefAuthError(text, status_code=status.code)
        if time.monotonic() + interval > deadline:
            raise KsefTimeoutError(
                f"Uwierzytelnienie {operation.reference_number} nadal w toku po {timeout:.0f} s."
            )
        sleep(interval)
        interval = min(max_interval, interval * 1.5)


def redeem(transport: Transport, operation: AuthOperation) -> AuthTokens:
    response = transport.request(
        "POST", "/auth/token/redeem", bearer=operation.authentication_token.token, idempotent=False
    )
    body, skew = response.json(), clock_skew(response)
    return AuthTokens(
        operation.reference_number,
        BearerToken.from_json(body["accessToken"], skew),
        BearerToken.from_json(body["refreshToken"], skew),
    )


def refresh_access_token(transport: Transport, refresh: BearerToken) -> BearerToken:
    # refreshing twice is harmless (each call mints a new access token), so a retry is safe
    response = transport.request("POST", "/auth/token/refresh", bearer=refresh.token, idempotent=True)
    return BearerToken.from_json(response.json()["accessToken"], clock_skew(response))


def revoke_current_session(transport: Transport, refresh: BearerToken) -> None:
    transport.request("DELETE", "/auth/sessions/current", bearer=refresh.token)


# --- authenticators: how to start a fresh auth operation --------------------------------------------


class Authenticator(Protocol):
    """Starts a new authentication operation for a context (repeatable without a person)."""

    def start(self, transport: Transport, context: ContextIdentifier) -> AuthOperation: ...


@dataclass(frozen=True)
class KsefTokenAuthenticator:
    credential: KsefTokenCredential
    allowed_ips: AllowedIps | None = None

    def start(self, transport: Transport, context: ContextIdentifier) -> AuthOperation:
        certificate = fetch_encryption_certificate(transport)
        challenge = request_challenge(transport)
        try:
            return start_ksef_token_auth(
                transport, context, self.credential, challenge, certificate, self.allowed_ips
            )
        except KsefApiError as exc:
            if 21470 not in exc.codes:  # unknown publicKeyId: keys were rotated, fetch them again
                raise
        certificate = fetch_encryption_certificate(transport, fresh=True)
        challenge = request_challenge(transport)
        return start_ksef_token_auth(
            transport, context, self.credential, challenge, certificate, self.allowed_ips
        )


@dataclass(frozen=True)
class CertificateAuthenticator:
    credential: CertificateCredential
    subject_type: SubjectIdentifierType = "certificateSubject"
    allowed_ips: AllowedIps | None = None
    verify_certificate_chain: bool | None = None

    def start(self, transport: Transport, context: ContextIdentifier) -> AuthOperation:
        challenge = request_challenge(transport)
        signed = sign_new_auth_request(
            self.credential, context, challenge.challenge, self.subject_type, self.allowed_ips
        )
        return start_xades_auth(transport, signed, verify_certificate_chain=self.verify_certificate_chain)


# --- the manager ------------------------------------------------------------------------------------


class AuthManager:
    """Keeps one context authenticated for as long as the process runs; a :class:`TokenSource`.

    ``authenticator=None`` means the session came from a one-off signed file: it can be refreshed
    until the refresh token expires (7 days) but not renewed without a person.
    """

    def __init__(
        self,
        transport: Transport,
        context: ContextIdentifier,
        authenticator: Authenticator | None,
        *,
        tokens: AuthTokens | None = None,
        refresh_margin: float = 60.0,
        wait_timeout: float = 300.0,
        poll_interval: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
        on_tokens: Callable[[AuthTokens], None] | None = None,
    ) -> None:
        # the manager's own calls pass their bearer explicitly; the context still keys the throttle
        self._transport = transport.with_tokens(_ExplicitBearers(context.key))
        self.context = context
        self.authenticator = authenticator
        self.refresh_margin = refresh_margin
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self._sleep = sleep
        self.on_tokens = on_tokens  # called (under the lock) with every new set of tokens, e.g. to persist
        self._tokens = tokens
        self._operation: AuthOperation | None = None
        self._lock = threading.RLock()
        self._handed_out = threading.local()
        self.authentications = 0  # full auth flows run (for tests and diagnostics)
        self.refreshes = 0
        self.api = self._transport.with_tokens(self)  # the transport for protected calls

    # -- constructors ---------------------------------------------------------------------------------

    @classmethod
    def with_ksef_token(
        cls, transport: Transport, context: ContextIdentifier, token: str | KsefTokenCredential, **kwargs: Any
    ) -> AuthManager:
        credential = token if isinstance(token, KsefTokenCredential) else KsefTokenCredential.of(token)
        allowed_ips = kwargs.pop("allowed_ips", None)
        return cls(transport, context, KsefTokenAuthenticator(credential, allowed_ips), **kwargs)

    @classmethod
    def with_certificate(
        cls,
        transport: Transport,
        context: ContextIdentifier,
        credential: CertificateCredential,
        *,
        subject_type: SubjectIdentifierType = "certificateSubject",
        allowed_ips: AllowedIps | None = None,
        verify_certificate_chain: bool | None = None,
        **kwargs: Any,
    ) -> AuthManager:
        authenticator = CertificateAuthenticator(
            credential, subject_type, allowed_ips, verify_certificate_chain
        )
        return cls(transport, context, authenticator, **kwargs)

    # -- TokenSource --------------------------------------------------------------------------------

    @property
    def context_key(self) -> str:
        return self.context.key

    def bearer(self, kind: TokenKind) -> str:
        if kind == "none":
            raise KsefError("Token kind 'none' has no bearer.")
        if kind == "operation":
            operation = self._operation
            if operation is None:
                raise KsefAuthError("Brak trwającej operacji uwierzytelnienia.")
            return self._hand_out(kind, operation.authentication_token.token)
        tokens = self._tokens
        if tokens is None or self._stale(tokens, kind):
            with self._lock:
                tokens = self._tokens
                if tokens is None:
                    tokens = self._login_locked()
                elif kind == "access" and self._stale(tokens, kind):
                    tokens = self._renew_locked()
                elif kind == "refresh" and self._stale(tokens, kind) and self.authenticator is not None:
                    tokens = self._login_locked()
        token = tokens.access if kind == "access" else tokens.refresh
        return self._hand_out(kind, token.token)

    def on_unauthorized(self, kind: TokenKind) -> bool:
        """A 401 came back: renew unless another thread already did; True → replay once."""
        if kind in ("none", "operation"):
            return False
        used = getattr(self._handed_out, kind, None)
        with self._lock:
            tokens = self._tokens
            if tokens is None:
                return False
            current = tokens.access if kind == "access" else tokens.refresh
            if used is not None and used != current.token:
                return True  # someone renewed it since this thread took its token
            log.info("KSeF rejected the %s token of %s; renewing", kind, self.context.key)
            if kind == "access":
                self._renew_locked(force=True)
                return True
            if self.authenticator is None:
                return False
            self._login_locked()
            return True

    # -- operations ---------------------------------------------------------------------------------

    @property
    def tokens(self) -> AuthTokens | None:
        return self._tokens

    @property
    def reference_number(self) -> str | None:
        return self._tokens.reference_number if self._tokens else None

    def login(self) -> AuthTokens:
        """Run a full authentication now (also when a session exists)."""
        with self._lock:
            return self._login_locked()

    def finish_with_signed_request(
        self, signed_xml: bytes, *, verify_certificate_chain: bool | None = None
    ) -> AuthTokens:
        """Complete authentication with a request signed elsewhere (see :func:`prepare_signed_request`)."""
        request = read_auth_request(signed_xml)
        if request.context != self.context:
            raise KsefAuthError(
                f"Podpisany plik dotyczy kontekstu {request.context.key}, a nie {self.context.key}."
            )
        with self._lock:
            operation = start_xades_auth(
                self._transport, signed_xml, verify_certificate_chain=verify_certificate_chain
            )
            return self._complete_locked(operation)

    def logout(self) -> None:
        """Revoke the refresh token (``DELETE /auth/sessions/current``); issued access tokens live on."""
        with self._lock:
            tokens = self._tokens
            if tokens is None:
                return
            try:
                revoke_current_session(self._transport, tokens.refresh)
            finally:
                self._replace(None)

    def forget(self) -> None:
        """Drop the tokens held (no call to KSeF): the next protected call logs in afresh.

        KSeF fixes a subject's rights in the access token; after they change (a grant revoked), the
        next login is the only way to act with the current ones.
        """
        with self._lock:
            self._replace(None)

    def close(self) -> None:
        self._transport.close()

    def __repr__(self) -> str:
        state = "authenticated" if self._tokens else "not authenticated"
        return f"AuthManager(context={self.context.key!r}, {state})"

    # -- internals ----------------------------------------------------------------------------------

    def _stale(self, tokens: AuthTokens, kind: TokenKind) -> bool:
        token = tokens.access if kind == "access" else tokens.refresh
        return token.expires_within(self.refresh_margin)

    def _hand_out(self, kind: str, token: str) -> str:
        setattr(self._handed_out, kind, token)
        return token

    def _login_locked(self) -> AuthTokens:
        if self.authenticator is None:
            raise KsefAuthError(
                "Sesja KSeF wygasła, a nie ma zapisanych danych uwierzytelniających: "
                "potrzebne jest ponowne uwierzytelnienie podpisanym plikiem."
            )
        last: KsefTransportError | KsefServerError | None = None
        for _ in range(2):  # a lost auth call (even a redeem) is harmless to start over afresh
            try:
                return self._complete_locked(self.authenticator.start(self._transport, self.context))
            except (KsefTransportError, KsefServerError) as exc:
                log.info("Authentication to %s interrupted (%s); starting over", self.context.key, exc)
                last = exc
        assert last is not None
        raise last

    def _complete_locked(self, operation: AuthOperation) -> AuthTokens:
        self._operation = operation
        try:
            wait_for_auth(
                self._transport,
                operation,
                timeout=self.wait_timeout,
                poll_interval=self.poll_interval,
                sleep=self._sleep,
            )
            tokens = redeem(self._transport, operation)
        finally:
            self._operation = None
            forget_secret(operation.authentication_token.token)
        self.authentications += 1
        self._replace(tokens)
        log.info("Authenticated to KSeF in context %s (%s)", self.context.key, tokens.reference_number)
        return tokens

    def _renew_locked(self, *, force: bool = False) -> AuthTokens:
        tokens = self._tokens
        if tokens is None:
            return self._login_locked()
        if not force and not tokens.access.expires_within(self.refresh_margin):
            return tokens
        if not tokens.refresh.expires_within(self.refresh_margin):
            try:
                access = refresh_access_token(self._transport, tokens.refresh)
            except KsefApiError as exc:
                if exc.status_code not in (400, 401, 403):
                    raise
                log.info("Refresh refused by KSeF (HTTP %d); authenticating again", exc.status_code)
            else:
                self.refreshes += 1
                renewed = AuthTokens(tokens.reference_number, access, tokens.refresh)
                self._replace(renewed)
                return renewed
        return self._login_locked()

    def _replace(self, tokens: AuthTokens | None) -> None:
        old = self._tokens
        self._tokens = tokens
        if tokens is not None and self.on_tokens is not None:
            self.on_tokens(tokens)
        if old is not None:
            if tokens is None or old.access.token != tokens.access.token:
                forget_secret(old.access.token)
            if tokens is None or old.refresh.token != tokens.refresh.token:
                forget_secret(old.refresh.token)


class _ExplicitBearers:
    """The token source of the manager's own transport: a context key, no tokens of its own."""

    def __init__(self, context_key: str) -> None:
        self.context_key = context_key

    def bearer(self, kind: TokenKind) -> str:
        raise KsefAuthError("Brak tokena.")

    def on_unauthorized(self, kind: TokenKind) -> bool:
        return False


# --- first login without a portal -----------------------------------------------------------------


def prepare_signed_request(
    transport: Transport,
    context: ContextIdentifier,
    subject_type: SubjectIdentifierType = "certificateSubject",
    allowed_ips: AllowedIps | None = None,
) -> bytes:
    """Fetch a challenge and write the unsigned ``AuthTokenRequest`` for a person to sign elsewhere.

    Sign it (enveloped XAdES: qualified signature, Profil Zaufany, personal signature) within the
    challenge's 10 minutes and pass the signed file to :func:`finish_with_signed_request`.
    """
    challenge = request_challenge(transport)
    return write_unsigned_auth_request(context, challenge.challenge, subject_type, allowed_ips)


def finish_with_signed_request(
    transport: Transport,
    signed_xml: bytes,
    *,
    verify_certificate_chain: bool | None = None,
    authenticator: Authenticator | None = None,
    **kwargs: Any,
) -> AuthManager:
    """Authenticate with a signed ``AuthTokenRequest`` file; the manager keeps the session going.

    Give ``authenticator`` (e.g. for a KSeF certificate enrolled right after this login) to let the
    manager authenticate again on its own once the refresh token expires.
    """
    request = read_auth_request(signed_xml)
    manager = AuthManager(transport, request.context, authenticator, **kwargs)
    manager.finish_with_signed_request(signed_xml, verify_certificate_chain=verify_certificate_chain)
    return manager
