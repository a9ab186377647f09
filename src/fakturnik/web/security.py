"""Security of the web layer in one place: who the caller is, CSRF, login throttling, headers, limits.

* **Authentication.** A request is either a person's browser (session cookie ``fakturnik_session``,
  an opaque token the app stores hashed) or another system (``Authorization: Bearer <API key>``).
  Either way it is resolved once into the app's ``Actor``, which every app service takes and checks
  (authorization is the app's, ``fakturnik.app.access``; the web layer never checks roles).
* **CSRF.** Unsafe methods (POST, PUT, PATCH, DELETE) of a cookie-authenticated request need a token:
  the form field ``csrf`` or the header ``X-CSRF-Token``. With a session, the token is a synchronizer
  token derived from the session (HMAC of a fixed label under the session token: nothing to store,
  useless to anyone who cannot read the HttpOnly cookie); before login a random double-submit
  cookie ``fakturnik_csrf``. A cross-site ``Origin`` / ``Sec-Fetch-Site`` on a cookie request is
  refused as well. Bearer requests carry no ambient credential and need no token.
* **Login throttling** per account and per client address (sliding window of failures).
* **Security headers** on every response and **request size limits** before any body is parsed.
* Nothing secret (tokens, cookies, passwords, keys) is ever echoed, logged or put in an error.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakturnik.web.api.problems import ApiProblem, problem_response

log = logging.getLogger("fakturnik.web")

SESSION_COOKIE = "fakturnik_session"
CSRF_COOKIE = "fakturnik_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
MAX_FORM_FIELDS = 50_000  # a 1,000-line invoice form has ~20,000 fields; the body size limit still applies
MAX_FORM_FILES = 10
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


# --- who the caller is ------------------------------------------------------------------------------


class Authenticator(Protocol):
    """What the security layer needs from the app (an adapter over ``fakturnik.app`` services)."""

    def actor_for_api_key(self, token: str) -> Any | None: ...

    def actor_for_session(self, token: str) -> Any | None: ...

    def create_session(self, actor: Any) -> str: ...

    def end_session(self, token: str) -> None: ...


def _authenticator(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.authenticator
    return auth


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(
            401,
            "authorization_malformed",
            "Nagłówek Authorization musi mieć postać 'Bearer <klucz API>'.",
            headers={"WWW-Authenticate": 'Bearer realm="fakturnik"'},
        )
    return token.strip()


def current_actor(request: Request) -> Any | None:
    """The actor of a request by its session cookie (the web app's way), or ``None``. Cached per request."""
    if "fakturnik_actor" in request.scope:
        return request.scope["fakturnik_actor"]
    token = request.cookies.get(SESSION_COOKIE)
    actor = _authenticator(request).actor_for_session(token) if token else None
    request.scope["fakturnik_actor"] = actor
    request.scope["fakturnik_auth"] = "session" if actor is not None else None
    return actor


def api_actor(request: Request) -> Any:
    """Dependency of every API route: the caller by API key or by session (then CSRF-checked)."""
    token = bearer_token(request)
    if token is not None:
        actor = _authenticator(request).actor_for_api_key(token)
        if actor is None:
            raise ApiProblem(
                401,
                "api_key_invalid",
                "Klucz API jest nieprawidłowy, wygasł albo został unieważniony.",
                headers={"WWW-Authenticate": 'Bearer realm="fakturnik", error="invalid_token"'},
            )
        request.scope["fakturnik_actor"] = actor
        request.scope["fakturnik_auth"] = "api_key"
        return actor
    actor = current_actor(request)
    if actor is None:
        raise ApiProblem(
            401,
            "authentication_required",
            "Wymagane uwierzytelnienie: klucz API (Authorization: Bearer) albo sesja.",
            headers={"WWW-Authenticate": 'Bearer realm="fakturnik"'},
        )
    if request.method in UNSAFE_METHODS:
        check_same_origin(request)
        supplied = request.headers.get(CSRF_HEADER, "")
        if not _csrf_matches(request, supplied):
            raise ApiProblem(403, "csrf_invalid", "Brak albo niepoprawny token CSRF (nagłówek X-CSRF-Token).")
    return actor


# --- sessions ---------------------------------------------------------------------------------------


def _cookie_args(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return {"httponly": True, "samesite": "lax", "secure": bool(settings.secure_cookies), "path": "/"}


def sign_in(request: Request, response: Response, actor: Any) -> None:
    """Start a session for ``actor`` (after the app authenticated it) and set the cookie."""
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        _authenticator(request).end_session(old)  # no session fixation: always a fresh token
    token = _authenticator(request).create_session(actor)
    hours = float(request.app.state.settings.session_hours)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(hours * 3600), **_cookie_args(request))
    response.delete_cookie(CSRF_COOKIE, path="/")
    request.scope["fakturnik_actor"] = actor
    request.scope["fakturnik_session_token"] = token


def sign_out(request: Request, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        _authenticator(request).end_session(token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    request.scope["fakturnik_actor"] = None


# --- CSRF -------------------------------------------------------------------------------------------


def _session_csrf(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"fakturnik-csrf-v1", hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The CSRF token to put in forms (field ``csrf``) and in htmx's ``X-CSRF-Token`` header.

    With a session it is derived from it; without one a random value is kept in the
    ``fakturnik_csrf`` cookie, which :class:`SecurityMiddleware` sets on the response.
    """
    session = request.scope.get("fakturnik_session_token") or request.cookies.get(SESSION_COOKIE)
    if session and current_actor(request) is not None:
        return _session_csrf(session)
    value = request.scope.get("fakturnik_new_csrf") or request.cookies.get(CSRF_COOKIE)
    if not value:
        value = secrets.token_urlsafe(32)
        request.scope["fakturnik_new_csrf"] = value
    return str(value)


def _csrf_matches(request: Request, supplied: str) -> bool:
    if not supplied:
        return False
    session = request.cookies.get(SESSION_COOKIE)
    if session and current_actor(request) is not None:
        expected = _session_csrf(session)
    else:
        expected = request.cookies.get(CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected.encode(), supplied.encode())


def check_same_origin(request: Request) -> None:
    """Refuse a cookie request that the browser says comes from another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise ApiProblem(403, "cross_site_request", "Żądanie z innej witryny zostało odrzucone.")
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise ApiProblem(403, "cross_site_request", "Żądanie z innej witryny zostało odrzucone.")


async def csrf_protect(request: Request) -> None:
    """Dependency for the web app's routers: unsafe methods need the form field or header token."""
    if request.method not in UNSAFE_METHODS:
        return
    check_same_origin(request)
    supplied = request.headers.get(CSRF_HEADER, "")
    if not supplied:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:  # Starlette caches the parsed form: the handler gets the same one
                form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=MAX_FORM_FILES)
            except HTTPException:
                raise ApiProblem(
                    400, "form_too_large", "Za dużo pól formularza albo niepoprawny formularz."
                ) from None
            value = form.get(CSRF_FIELD)
            supplied = value if isinstance(value, str) else ""
    if not _csrf_matches(request, supplied):
        raise ApiProblem(
            403,
            "csrf_invalid",
            "Formularz wygasł albo nie pochodzi z tej strony. Odśwież stronę i spróbuj ponownie.",
        )


# --- login throttling -------------------------------------------------------------------------------


class LoginThrottled(ApiProblem):
    def __init__(self, retry_after: float) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(
            429,
            "login_throttled",
            f"Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za {seconds} s.",
            headers={"Retry-After": str(seconds)},
        )
        self.retry_after = seconds


class SharedLoginAttempts(Protocol):
    """Where the processes of one store count failed sign-ins (``fk.login_attempts``)."""

    def wait(
        self, email: str, ip: str, *, max_per_account: int, max_per_ip: int, window_s: float
    ) -> float: ...

    def failure(self, email: str, ip: str, *, window_s: float) -> None: ...

    def success(self, email: str, ip: str) -> None: ...


@dataclass
class LoginThrottle:
    """Failures per account and per client address in a sliding window.

    Counted in the store (``shared``: ``fk.login_attempts``) once the app is bound to one, so that every
    ``serve`` process of that store sees the same failures; in this process's memory before that (an
    app without a store, unit tests).
    """

    max_per_account: int = 5
    max_per_ip: int = 30
    window_s: float = 900.0
    shared: SharedLoginAttempts | None = None

    def __post_init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(email: str, ip: str) -> tuple[str, str]:
        account = hashlib.sha256(email.strip().lower().encode()).hexdigest()  # no e-mail kept in memory
        return "a:" + account, "i:" + ip

    def _wait(self, key: str, limit: int, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and now - times[0] > self.window_s:
            times.popleft()
        if len(times) < limit:
            return 0.0
        return times[len(times) - limit] + self.window_s - now

    def check(self, email: str, ip: str) -> None:
        if self.shared is not None:
            wait = self.shared.wait(
                email,
                ip,
                max_per_account=self.max_per_account,
                max_per_ip=self.max_per_ip,
                window_s=self.window_s,
            )
        else:
            account, address = self._keys(email, ip)
            now = time.monotonic()
            with self._lock:
                wait = max(
                    self._wait(account, self.max_per_account, now),
                    self._wait(address, self.max_per_ip, now),
                )
        if wait > 0:
            raise LoginThrottled(wait)

    def failure(self, email: str, ip: str) -> None:
        if self.shared is not None:
            self.shared.failure(email, ip, window_s=self.window_s)
            return
        now = time.monotonic()
        with self._lock:
            for key in self._keys(email, ip):
                self._failures.setdefault(key, deque()).append(now)

    def success(self, email: str, ip: str) -> None:
        if self.shared is not None:
            self.shared.success(email, ip)
            return
        account, _ = self._keys(email, ip)
        with self._lock:
            self._failures.pop(account, None)


def _login_throttle(request: Request) -> LoginThrottle:
    """The app's throttle, counting in the store of the app's runtime once there is one."""
    throttle: LoginThrottle = request.app.state.login_throttle
    if throttle.shared is None:
        fk = getattr(getattr(request.app.state, "runtime", None), "fk", None)
        if fk is not None:
            throttle.shared = fk.login_attempts
    return throttle


def client_ip(request: Request) -> str:
    # uvicorn's proxy-headers support has already applied X-Forwarded-For from trusted proxies only
    return request.client.host if request.client else "unknown"


def check_login_allowed(request: Request, email: str) -> None:
    """Raise :class:`LoginThrottled` (429, Retry-After) when this account or address tried too often."""
    _login_throttle(request).check(email, client_ip(request))


def record_login_failure(request: Request, email: str) -> None:
    _login_throttle(request).failure(email, client_ip(request))


def record_login_success(request: Request, email: str) -> None:
    _login_throttle(request).success(email, client_ip(request))


# --- headers and size limits (pure ASGI, before anything parses a body) ----------------------------


class BodyTooLarge(Exception):
    pass


class SecurityMiddleware:
    """Security headers on every response, the CSRF cookie when one was minted, body size limits."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        max_bulk_body: int,
        bulk_suffixes: tuple[str, ...] = ("/bulk",),
        secure_cookies: bool = False,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_bulk_body = max_bulk_body
        self.bulk_suffixes = bulk_suffixes
        self.secure_cookies = secure_cookies

    def _limit(self, path: str) -> int:
        return self.max_bulk_body if path.endswith(self.bulk_suffixes) else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_too_large(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def secured_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if self.secure_cookies:
                    headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                minted = scope.get("fakturnik_new_csrf")
                if minted:
                    secure = "; Secure" if self.secure_cookies else ""
                    cookie = f"{CSRF_COOKIE}={minted}; Path=/; HttpOnly; SameSite=Strict{secure}"
                    headers.append((b"set-cookie", cookie.encode()))
                if scope.get("path", "").startswith(API_PREFIX):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, secured_send)
        except BodyTooLarge:
            if not started:
                await _send_too_large(scope, receive, secured_send, limit)
        except Exception as exc:  # never a traceback, a reset connection or a secret to the caller
            log.error(
                "unexpected error on %s %s: %s",
                scope.get("method"),
                scope.get("path"),
                type(exc).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            if not started:
                response = problem_response(
                    500, "internal", "Wewnętrzny błąd serwera. Spróbuj ponownie później."
                )
                await response(scope, receive, secured_send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_too_large(
    scope: Scope, receive: Receive, send: Send | Callable[[Message], Awaitable[None]], limit: int
) -> None:
    response = problem_response(
        413, "request_too_large", f"Treść żądania jest za duża (najwyżej {limit} bajtów)."
    )
    response.headers["connection"] = "close"
    await response(scope, receive, send)


def security_state(settings: Any) -> MutableMapping[str, Any]:
    """The per-app objects security keeps on ``app.state``."""
    return {
        "login_throttle": LoginThrottle(
            max_per_account=settings.login_max_failures_account,
            max_per_ip=settings.login_max_failures_ip,
            window_s=settings.login_window_s,
        )
    }
