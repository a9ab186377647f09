"""security.py over real HTTP: bearer and session authentication, CSRF, login throttling."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, Request, Response

from fakturnik.web.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    LoginThrottle,
    LoginThrottled,
    api_actor,
    check_login_allowed,
    csrf_protect,
    csrf_token,
    record_login_failure,
    sign_in,
    sign_out,
)
from tests.web.api.harness import ApiServer


class FakeAccounts:
    def __init__(self) -> None:
        self.sessions: dict[str, str] = {}

    def actor_for_api_key(self, token: str) -> Any | None:
        return "key-actor" if token == "fk_good" else None

    def actor_for_session(self, token: str) -> Any | None:
        return self.sessions.get(token)

    def create_session(self, actor: Any) -> str:
        token = f"s{len(self.sessions)}-{actor}"
        self.sessions[token] = actor
        return token

    def end_session(self, token: str) -> None:
        self.sessions.pop(token, None)


@pytest.fixture
def app_server(server: ApiServer) -> ApiServer:
    server.app.state.authenticator = FakeAccounts()

    def whoami(actor: Annotated[Any, Depends(api_actor)]) -> dict[str, Any]:
        return {"actor": actor}

    def login(request: Request, response: Response) -> dict[str, str]:
        sign_in(request, response, "user-actor")
        return {"ok": "yes"}

    def logout(request: Request, response: Response) -> dict[str, str]:
        sign_out(request, response)
        return {"ok": "yes"}

    def form_token(request: Request) -> dict[str, str]:
        return {"csrf": csrf_token(request)}

    async def form_post(request: Request, _: Annotated[None, Depends(csrf_protect)]) -> dict[str, str]:
        form = await request.form()
        return {"name": str(form.get("name"))}

    app = server.app
    app.add_api_route("/api/v1/_whoami", whoami, methods=["GET", "POST"])
    app.add_api_route("/_login", login, methods=["POST"])
    app.add_api_route("/_logout", logout, methods=["POST"])
    app.add_api_route("/_form", form_token, methods=["GET"])
    app.add_api_route("/_form", form_post, methods=["POST"])
    return server


def test_bearer_keys(app_server: ApiServer) -> None:
    with app_server.client() as c:
        assert c.get("/_whoami", headers={"Authorization": "Bearer fk_good"}).json() == {"actor": "key-actor"}
        bad = c.get("/_whoami", headers={"Authorization": "Bearer fk_bad"})
        assert bad.status_code == 401 and bad.json()["code"] == "api_key_invalid"
        assert "fk_bad" not in bad.text
        assert (
            c.get("/_whoami", headers={"Authorization": "Basic abc"}).json()["code"]
            == "authorization_malformed"
        )
        anonymous = c.get("/_whoami")
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
        # a bearer request needs no CSRF token: no ambient credential
        assert c.post("/_whoami", headers={"Authorization": "Bearer fk_good"}).status_code == 200


def test_session_cookie_and_csrf(app_server: ApiServer) -> None:
    with httpx.Client(base_url=app_server.url, timeout=10) as c:
        # the login form gets a double-submit token before any session exists
        token = c.get("/_form").json()["csrf"]
        assert c.cookies.get(CSRF_COOKIE) == token
        assert c.post("/_form", data={"name": "x"}).status_code == 403
        assert c.post("/_form", data={"name": "x", "csrf": "wrong"}).status_code == 403
        assert c.post("/_form", data={"name": "x", "csrf": token}).json() == {"name": "x"}
        r = c.post("/_login")
        cookie = r.headers["set-cookie"]
        assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert c.get("/api/v1/_whoami").json() == {"actor": "user-actor"}
        # unsafe API call with the session: needs X-CSRF-Token, bound to the session
        assert c.post("/api/v1/_whoami").json()["code"] == "csrf_invalid"
        assert c.post("/api/v1/_whoami", headers={"X-CSRF-Token": token}).status_code == 403
        session_token = c.get("/_form").json()["csrf"]
        assert session_token != token
        assert c.post("/api/v1/_whoami", headers={"X-CSRF-Token": session_token}).status_code == 200
        cross = c.post(
            "/api/v1/_whoami", headers={"X-CSRF-Token": session_token, "Origin": "https://evil.example"}
        )
        assert cross.status_code == 403 and cross.json()["code"] == "cross_site_request"
        assert c.post("/_form", data={"name": "y", "csrf": session_token}).json() == {"name": "y"}
        c.post("/_logout", data={})
        assert c.get("/api/v1/_whoami").status_code == 401


def test_login_throttle_per_account_and_address() -> None:
    t = LoginThrottle(max_per_account=3, max_per_ip=5, window_s=60)
    for _ in range(3):
        t.check("Anna@Example.pl", "10.0.0.1")
        t.failure("anna@example.pl", "10.0.0.1")
    with pytest.raises(LoginThrottled) as info:
        t.check("anna@example.pl", "10.0.0.9")  # the account is locked from any address
    assert 1 <= info.value.retry_after <= 60
    t.check("jan@example.pl", "10.0.0.1")  # another account from the same address: still allowed
    t.failure("jan@example.pl", "10.0.0.1")
    t.failure("ewa@example.pl", "10.0.0.1")
    with pytest.raises(LoginThrottled):
        t.check("nowy@example.pl", "10.0.0.1")  # the address has failed 5 times
    t.success("jan@example.pl", "10.0.0.2")


def test_login_throttle_over_http(app_server: ApiServer) -> None:
    def attempt(request: Request) -> dict[str, str]:
        check_login_allowed(request, "anna@example.pl")
        record_login_failure(request, "anna@example.pl")
        return {"ok": "no"}

    app_server.app.add_api_route("/_attempt", attempt, methods=["GET"])
    limit = app_server.settings.login_max_failures_account
    with httpx.Client(base_url=app_server.url, timeout=10) as c:
        for _ in range(limit):
            assert c.get("/_attempt").status_code == 200
        r = c.get("/_attempt")
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert r.json()["code"] == "login_throttled"


def test_failed_sign_ins_are_counted_in_the_store(tmp_path: Path) -> None:
    """Two apps on one SQLite store (as two `serve` processes would be): failures made through one
    lock the account in the other; the e-mail is stored only as a hash; a success clears the account."""
    from sqlalchemy import select

    from fakturnik.store.security_models import LoginFailure
    from tests.web.api.harness import api_server
    from tests.web.api.helpers import PASSWORD

    overrides: dict[str, Any] = {"worker": False, "webhooks": False, "login_max_failures_account": 3}
    with (
        api_server(tmp_path, **overrides) as one,
        api_server(tmp_path, **overrides) as two,
    ):
        one.runtime.fk.accounts.register_user("Ola@Firma.pl", PASSWORD)
        wrong = {"email": "ola@firma.pl", "password": "zle-haslo-123456"}
        with httpx.Client(timeout=30) as c:
            assert [c.post(s.api + "/session", json=wrong).status_code for s in (one, two, one)] == [401] * 3
            r = c.post(two.api + "/session", json={**wrong, "password": PASSWORD})
            assert r.status_code == 429 and r.json()["code"] == "login_throttled"
        with one.runtime.fk.ctx.db.transaction() as s:
            keys = set(s.scalars(select(LoginFailure.key)))
        assert keys and not any("ola" in k.lower() for k in keys)  # hashes and an address, no e-mail
        attempts = one.runtime.fk.login_attempts
        limits: dict[str, Any] = {"max_per_account": 3, "max_per_ip": 30, "window_s": 900.0}
        assert attempts.wait("OLA@firma.pl", "10.9.9.9", **limits) > 0  # the account, from any address
        assert attempts.wait("jan@firma.pl", "10.9.9.9", **limits) == 0.0
        attempts.success("ola@firma.pl", "127.0.0.1")
        assert attempts.wait("ola@firma.pl", "10.9.9.9", **limits) == 0.0


def test_the_address_is_counted_across_accounts(tmp_path: Path) -> None:
    from fakturnik.app.core import Fakturnik

    with Fakturnik.open(tmp_path) as fk:
        attempts = fk.login_attempts
        limits: dict[str, Any] = {"max_per_account": 5, "max_per_ip": 4, "window_s": 900.0}
        for n in range(4):
            attempts.failure(f"u{n}@firma.pl", "10.0.0.7", window_s=900.0)
        assert attempts.wait("nowy@firma.pl", "10.0.0.7", **limits) > 0
        assert attempts.wait("nowy@firma.pl", "10.0.0.8", **limits) == 0.0
        short = {**limits, "window_s": 0.5}
        time.sleep(0.6)
        assert attempts.wait("nowy@firma.pl", "10.0.0.7", **short) == 0.0  # out of a short window
