"""Background KSeF-token authentication for one company (a ``TokenSource`` for the client's transport).

Kept small on purpose: the client package's own auth manager replaces it once it lands. Tokens are
held only in memory; nothing here is logged or put in an exception message.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from fakturnik.errors import KsefAuthError
from fakturnik.ksef import crypto
from fakturnik.ksef import models as m
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.sessions import PublicKeys
from fakturnik.vault import Secret

REFRESH_AHEAD = timedelta(seconds=60)


class KsefTokenAuth:
    """Logs in with a KSeF token, redeems, refreshes ahead of expiry once under a lock."""

    def __init__(
        self,
        client: KsefClient,
        public_keys: PublicKeys,
        *,
        context_type: str,
        context_value: str,
        token: Secret,
        wait_timeout: float = 60.0,
    ) -> None:
        self._client = client
        self._keys = public_keys
        self._context_type = context_type
        self._context_value = context_value
        self._token = token
        self._wait_timeout = wait_timeout
        self._lock = threading.Lock()
        self._access: tuple[str, datetime] | None = None
        self._refresh: tuple[str, datetime] | None = None

    def __repr__(self) -> str:
        return f"KsefTokenAuth({self._context_type}:{self._context_value})"

    @property
    def context_key(self) -> str:
        return f"{self._context_type}:{self._context_value}"

    def bearer(self, kind: str) -> str:
        with self._lock:
            now = datetime.now(UTC)
            if kind == "refresh":
                if self._refresh is None or self._refresh[1] - REFRESH_AHEAD <= now:
                    self._login()
                assert self._refresh is not None
                return self._refresh[0]
            if self._access is not None and self._access[1] - REFRESH_AHEAD > now:
                return self._access[0]
            if self._refresh is not None and self._refresh[1] - REFRESH_AHEAD > now:
                try:
                    answer = self._client.auth_token_refresh(self._refresh[0])
                    self._access = (answer.accessToken.token, answer.accessToken.validUntil)
                    return self._access[0]
                except Exception:  # refresh refused: log in again
                    self._refresh = None
            self._login()
            assert self._access is not None
            return self._access[0]

    def on_unauthorized(self, kind: str) -> bool:
        with self._lock:
            self._access = None
            if kind == "refresh":
                self._refresh = None
        return True

    def _login(self) -> None:
        challenge = self._client.auth_challenge()
        cert = self._keys.get("KsefTokenEncryption")
        plain = f"{self._token.reveal_text()}|{challenge.timestampMs}".encode()
        encrypted = crypto.rsa_oaep_encrypt(crypto.unb64(cert.certificate), plain)
        request = m.InitTokenAuthenticationRequest(
            challenge=challenge.challenge,
            contextIdentifier=m.AuthenticationContextIdentifier(
                type=self._context_type,  # type: ignore[arg-type]
                value=self._context_value,
            ),
            encryptedToken=crypto.b64(encrypted),
            publicKeyId=cert.publicKeyId,
        )
        started = self._client.auth_ksef_token(request)
        operation_token = started.authenticationToken.token
        deadline = time.monotonic() + self._wait_timeout
        delay = 0.1
        while True:
            status = self._client.auth_status(started.referenceNumber, operation_token)
            if status.status.code != 100:
                break
            if time.monotonic() > deadline:
                raise KsefAuthError("Uwierzytelnienie w KSeF trwa zbyt długo", 100)
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        if status.status.code != 200:
            raise KsefAuthError(
                f"KSeF odrzucił uwierzytelnienie: {status.status.code} {status.status.description}",
                status.status.code,
            )
        tokens = self._client.auth_token_redeem(operation_token)
        self._access = (tokens.accessToken.token, tokens.accessToken.validUntil)
        self._refresh = (tokens.refreshToken.token, tokens.refreshToken.validUntil)
