"""HTTP transport to KSeF 2.0: bearer tokens, throttling, safe retries, one exception hierarchy.

Rules (issue 4 / digest §2, §8):

* every call asks for ``application/problem+json`` errors (``X-Error-Format: problem-details``) and
  still understands the legacy body; non-2xx responses raise :mod:`fakturnik.errors` exceptions;
* before sending, the process-wide :class:`~fakturnik.ksef.throttle.Throttle` makes the caller wait
  until the request fits the published limits of its group and context, so 429 stays rare; a 429 that
  comes anyway is honoured (``Retry-After``) and retried – a 429 was not acted on;
* retries with exponential backoff and jitter happen only where repeating is safe: the request never
  left (connect errors), or it is idempotent (GET/HEAD/DELETE by default). A timeout or 5xx on a
  non-idempotent call raises with ``outcome_unknown=True`` so the caller reconciles first;
* a 401 lets the :class:`TokenSource` refresh or re-authenticate, then the call is replayed once;
* ``X-System-Warning`` values are logged at WARNING and kept in :attr:`Transport.warnings`;
* nothing secret is logged: no bodies, no headers, no query strings of pre-signed links.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

from fakturnik import __version__
from fakturnik.base.lazy import lazy_import
from fakturnik.errors import KsefApiError, KsefAuthError, KsefRateLimitError, KsefTransportError
from fakturnik.ksef import backoff
from fakturnik.ksef.environments import KsefEnvironment
from fakturnik.ksef.problems import error_for, parse_retry_after, parse_system_warnings
from fakturnik.ksef.rate_limits import OTHER, endpoint_counter, endpoint_group
from fakturnik.ksef.redaction import redact
from fakturnik.ksef.throttle import Slot, Throttle, throttle_for

if TYPE_CHECKING:
    import httpx
else:  # httpx loads with the first Transport, not with ``import``
    httpx = lazy_import("httpx")

log = logging.getLogger("fakturnik.ksef.transport")


class _DropQueryStrings(logging.Filter):
    """httpx logs every request URL at INFO; pre-signed links carry their signature in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) and a.query for a in record.args):
            record.args = tuple(
                a.copy_with(query=b"redacted") if isinstance(a, httpx.URL) and a.query else a
                for a in record.args
            )
        return True


_httpx_log = logging.getLogger("httpx")
if not any(isinstance(f, _DropQueryStrings) for f in _httpx_log.filters):
    _httpx_log.addFilter(_DropQueryStrings())

TokenKind = Literal["none", "access", "operation", "refresh"]
NO_BEARER: TokenKind = "none"  # public endpoints (a named constant keeps linters from crying "password")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "PUT"})
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
_MAX_WARNINGS = 200


class TokenSource(Protocol):
    """Supplies bearer tokens to a :class:`Transport` (implemented by the auth manager)."""

    @property
    def context_key(self) -> str:
        """Throttling key of the KSeF context, e.g. ``"Nip:5265877635"``."""
        ...

    def bearer(self, kind: TokenKind) -> str:
        """The current token of that kind (may authenticate or refresh lazily)."""
        ...

    def on_unauthorized(self, kind: TokenKind) -> bool:
        """KSeF answered 401: refresh or re-authenticate; True means "replay the call once"."""
        ...


class Transport:
    """One KSeF deployment over one httpx connection pool. Thread-safe."""

    def __init__(
        self,
        env: KsefEnvironment,
        *,
        tokens: TokenSource | None = None,
        throttle: Throttle | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        http: httpx.Client | None = None,
        user_agent: str = f"fakturnik/{__version__}",
        backoff_base: float = 0.5,
        backoff_cap: float = 10.0,
        max_retry_after: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.env = env
        self.tokens = tokens
        self.throttle = throttle if throttle is not None else throttle_for(env.api_url)
        self.timeout = timeout
        self.max_retries = max_retries
        self.user_agent = user_agent
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._owns_http = http is None
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            follow_redirects=False,
        )
        self.warnings: list[str] = []
        self._warnings_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Transport(env={self.env.name!r}, api_url={self.env.api_url!r})"

    # -- public API ----------------------------------------------------------------------------------

    def with_tokens(self, tokens: TokenSource) -> Transport:
        """Same pool, throttle and settings, other credentials (the pool stays owned by ``self``)."""
        twin = Transport.__new__(Transport)
        twin.__dict__.update(self.__dict__)
        twin.tokens = tokens
        twin._owns_http = False
        return twin

    def request(
        self,
        method: str,
        path: str,
        *,
        group: str = OTHER,
        token: TokenKind = "access",  # noqa: S107 - a token kind, not a secret
        bearer: str | None = None,
        idempotent: bool | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Call ``path`` (relative to the API base) and return the 2xx response; raise otherwise.

        ``group`` is the rate-limit group; the default ``"other"`` means "infer it from the path".
        ``token`` picks the bearer kind (``"none"`` for public endpoints); ``bearer`` overrides it.
        ``idempotent`` defaults to True for GET/HEAD/DELETE/PUT/OPTIONS and False otherwise.
        """
        method = method.upper()
        if group == OTHER:
            group = endpoint_group(method, path)
        counter = endpoint_counter(method, path) if group == OTHER else None
        safe = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS
        url = self.env.url(path)
        label = f"{method} {urlsplit(url).path}"
        attempt = 0
        replayed_after_401 = False
        while True:
            auth = self._authorization(token, bearer)
            context = self.tokens.context_key if self.tokens is not None else ""
            slot = self.throttle.acquire(group, context, counter)
            try:
                response = self._send(
                    label,
                    method,
                    url,
                    params=params,
                    json=json,
                    content=content,
                    headers=self._headers(headers, auth),
                    safe=safe,
                    attempt=attempt,
                )
            finally:
                self.throttle.release(slot)
            if response is None:  # a retryable transport failure; backoff already slept
                attempt += 1
                continue
            self._collect_warnings(label, response)
            status = response.status_code
            if 200 <= status < 300:
                return response
            if status == 429 and attempt < self.max_retries:
                delay = self._rate_limited(label, response, slot)
                if delay is not None:
                    attempt += 1
                    self._sleep(delay)
                    continue
            elif status == 429:
                self.throttle.penalize(slot, parse_retry_after(response.headers.get("retry-after")))
            if (
                status == 401
                and token != "none"  # noqa: S105 - a token kind
                and bearer is None
                and self.tokens is not None
                and not replayed_after_401
                and self.tokens.on_unauthorized(token)
            ):
                replayed_after_401 = True
                log.info("%s → 401; credentials renewed, replaying once", label)
                continue
            if status in RETRYABLE_STATUS and safe and attempt < self.max_retries:
                delay = self._server_error_delay(response, attempt)
                if delay is not None:
                    log.info("%s → %d; retrying in %.2f s", label, status, delay)
                    attempt += 1
                    self._sleep(delay)
                    continue
            raise self._error(response, outcome_unknown=status >= 500 and not safe)

    def absolute(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Call a pre-signed link (batch part upload, export part download): no bearer, no throttle."""
        method = method.upper()
        parts = urlsplit(url)
        label = f"{method} {parts.scheme}://{parts.netloc}{parts.path}"  # never the signed query
        attempt = 0
        while True:
            hdrs = {"User-Agent": self.user_agent, **(headers or {})}
            response = self._send(
                label,
                method,
                url,
                params=None,
                json=None,
                content=content,
                headers=hdrs,
                safe=idempotent,
                attempt=attempt,
            )
            if response is None:
                attempt += 1
                continue
            status = response.status_code
            if 200 <= status < 300:
                return response
            retryable = status == 429 or (status in RETRYABLE_STATUS and idempotent)
            if retryable and attempt < self.max_retries:
                delay = self._server_error_delay(response, attempt)
                if delay is not None:
                    attempt += 1
                    self._sleep(delay)
                    continue
            raise self._error(response, outcome_unknown=status >= 500 and not idempotent)

    def sync_rate_limits(self) -> dict[str, Any]:
        """Adopt this context's effective limits from ``GET /rate-limits`` into the throttle."""
        body: dict[str, Any] = self.request("GET", "/rate-limits").json()
        context = self.tokens.context_key if self.tokens is not None else None
        self.throttle.apply_rate_limits_json(body, context=context or None)
        return body

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------------------

    def _authorization(self, kind: TokenKind, bearer: str | None) -> str | None:
        if bearer is not None:
            return f"Bearer {bearer}"
        if kind == "none":
            return None
        if self.tokens is None:
            raise KsefAuthError("Brak danych uwierzytelniających do wywołania chronionego endpointu KSeF.")
        return f"Bearer {self.tokens.bearer(kind)}"

    def _headers(self, extra: Mapping[str, str] | None, auth: str | None) -> dict[str, str]:
        headers = {
            "User-Agent": self.user_agent,
            "Accept": "application/json",
            "X-Error-Format": "problem-details",
        }
        if extra:
            headers.update(extra)
        if auth is not None:
            headers["Authorization"] = auth
        return headers

    def _send(
        self,
        label: str,
        method: str,
        url: str,
        *,
        params: Any,
        json: Any,
        content: bytes | None,
        headers: dict[str, str],
        safe: bool,
        attempt: int,
    ) -> httpx.Response | None:
        """One HTTP exchange. None = failed in a way that may be retried (after the backoff sleep)."""
        started = time.monotonic()
        try:
            response = self._http.request(
                method, url, params=params, json=json, content=content, headers=headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # the request never left this machine: always safe to try again
            self._transport_failure(label, exc, attempt, retry=True, outcome_unknown=False)
            return None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            self._transport_failure(label, exc, attempt, retry=safe, outcome_unknown=not safe)
            return None
        except httpx.HTTPError as exc:  # anything else httpx raises (decoding, invalid URL…)
            raise KsefTransportError(f"{label}: {type(exc).__name__}", outcome_unknown=not safe) from None
        elapsed = (time.monotonic() - started) * 1000
        log.debug("%s → %d (%.0f ms)", label, response.status_code, elapsed)
        return response

    def _transport_failure(
        self, label: str, exc: Exception, attempt: int, *, retry: bool, outcome_unknown: bool
    ) -> bool:
        """Sleep the backoff and return True to retry, or raise :class:`KsefTransportError`."""
        kind = type(exc).__name__
        if retry and attempt < self.max_retries:
            delay = self._backoff(attempt)
            log.info("%s failed (%s); retrying in %.2f s", label, kind, delay)
            self._sleep(delay)
            return True
        note = " – wynik operacji nieznany, sprawdź stan przed ponowieniem" if outcome_unknown else ""
        raise KsefTransportError(f"{label}: {kind}{note}", outcome_unknown=outcome_unknown) from None

    def _server_error_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Backoff before repeating after a 5xx (or a 429 on a pre-signed link); honours Retry-After.

        None when the server asks for a longer pause than ``max_retry_after`` (a maintenance
        window): the caller gets the error at once instead of a thread asleep for hours.
        """
        delay = self._backoff(attempt)
        if "retry-after" not in response.headers:
            return delay
        asked = parse_retry_after(response.headers["retry-after"], delay)
        return asked if asked <= self.max_retry_after else None

    def _backoff(self, attempt: int) -> float:
        return backoff.delay(attempt, base=self.backoff_base, cap=self.backoff_cap)

    def _rate_limited(self, label: str, response: httpx.Response, slot: Slot) -> float | None:
        """Seconds to wait before retrying a 429, or None when the wait is too long to sit out."""
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        self.throttle.penalize(slot, retry_after)
        if retry_after > self.max_retry_after:
            return None
        log.warning("%s → 429; waiting %.1f s as Retry-After asks", label, retry_after)
        return retry_after

    def _collect_warnings(self, label: str, response: httpx.Response) -> None:
        for value in response.headers.get_list("x-system-warning"):
            for warning in parse_system_warnings(value):
                clean = redact(warning)
                log.warning("KSeF %s: %s", label, clean)
                with self._warnings_lock:
                    self.warnings.append(clean)
                    del self.warnings[:-_MAX_WARNINGS]

    @staticmethod
    def _error(response: httpx.Response, *, outcome_unknown: bool) -> KsefApiError:
        error = error_for(
            response.status_code,
            response.headers.get("content-type", ""),
            response.content,
            reason_phrase=response.reason_phrase,
            retry_after=response.headers.get("retry-after"),
            outcome_unknown=outcome_unknown,
        )
        if isinstance(error, KsefRateLimitError):
            log.warning("KSeF rate limit: %s", error)
        return error
