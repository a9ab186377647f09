"""Transport against a small local FastAPI app on 127.0.0.1 that misbehaves on request."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from fakturnik.errors import (
    KsefApiError,
    KsefAuthError,
    KsefRateLimitError,
    KsefServerError,
    KsefTransportError,
)
from fakturnik.ksef.environments import local
from fakturnik.ksef.throttle import Throttle
from fakturnik.ksef.transport import Transport
from fakturnik.simulator.server import free_port

LEGACY = {
    "exception": {
        "exceptionDetailList": [
            {
                "exceptionCode": 21405,
                "exceptionDescription": "Błąd walidacji danych wejściowych.",
                "details": ["x"],
            }
        ],
        "referenceNumber": None,
        "serviceCode": "abc",
        "serviceCtx": "srvTEST",
        "serviceName": "test",
        "timestamp": "2025-01-01T00:00:00Z",
    }
}
PROBLEM = {
    "title": "Bad Request",
    "status": 400,
    "instance": "/v2/x",
    "detail": "Nieprawidłowy identyfikator klucza publicznego.",
    "errors": [
        {"code": 21470, "description": "Nieprawidłowy identyfikator klucza publicznego.", "details": []}
    ],
    "timestamp": "2025-01-01T00:00:00Z",
    "traceId": "t",
}


WARNING = "[W1]: Środowisko testowe | [W2]: Planowana przerwa"


def fault_app(hits: Counter[str]) -> FastAPI:
    app = FastAPI()

    @app.api_route("/v2/ok", methods=["GET", "POST"])
    def ok(request: Request) -> Response:
        hits["ok"] += 1
        return JSONResponse(
            {
                "auth": request.headers.get("authorization"),
                "errorFormat": request.headers.get("x-error-format"),
            },
            # UTF-8 bytes on the wire (Starlette writes header strings as latin-1)
            headers={"X-System-Warning": WARNING.encode("utf-8").decode("latin-1")},
        )

    @app.get("/v2/legacy")
    def legacy() -> Response:
        return JSONResponse(LEGACY, status_code=400)

    @app.get("/v2/problem")
    def problem() -> Response:
        return JSONResponse(PROBLEM, status_code=400, media_type="application/problem+json")

    @app.get("/v2/forbidden")
    def forbidden() -> Response:
        body = {
            "title": "Forbidden",
            "status": 403,
            "detail": "Brak uprawnień.",
            "reasonCode": "missing-permissions",
        }
        return JSONResponse(body, status_code=403, media_type="application/problem+json")

    @app.api_route("/v2/flaky/{key}/{failures}", methods=["GET", "POST"])
    def flaky(key: str, failures: int) -> Response:
        hits[key] += 1
        if hits[key] <= failures:
            return JSONResponse({"title": "Service Unavailable", "status": 503}, status_code=503)
        return JSONResponse({"attempt": hits[key]})

    @app.api_route("/v2/limited/{key}", methods=["GET", "POST"])
    def limited(key: str) -> Response:
        hits[key] += 1
        if hits[key] == 1:
            body = {"status": {"code": 429, "description": "Too Many Requests", "details": ["za dużo"]}}
            return JSONResponse(body, status_code=429, headers={"Retry-After": "2"})
        return JSONResponse({"attempt": hits[key]})

    @app.get("/v2/maintenance")
    def maintenance() -> Response:
        hits["maintenance"] += 1
        body = {"title": "Service Unavailable", "status": 503, "detail": "Prace serwisowe."}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "7200"})

    @app.api_route("/v2/always429", methods=["GET"])
    def always429() -> Response:
        hits["always429"] += 1
        return JSONResponse({}, status_code=429, headers={"Retry-After": "1"})

    @app.api_route("/v2/slow/{key}", methods=["GET", "POST"])
    def slow(key: str) -> Response:
        hits[key] += 1
        time.sleep(1.0)
        return JSONResponse({})

    @app.api_route("/v2/protected", methods=["GET", "POST"])
    def protected(request: Request) -> Response:
        hits["protected"] += 1
        if request.headers.get("authorization") != "Bearer fresh":
            body = {"title": "Unauthorized", "status": 401, "detail": "Token wygasł."}
            return JSONResponse(body, status_code=401, media_type="application/problem+json")
        return JSONResponse({"ok": True})

    @app.put("/upload/{part}")
    def upload(part: str, request: Request) -> Response:
        hits["upload"] += 1
        return Response(status_code=201)

    return app


@pytest.fixture(scope="module")
def fault_server() -> Iterator[tuple[str, Counter[str]]]:
    hits: Counter[str] = Counter()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fault_app(hits), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", hits
    server.should_exit = True
    thread.join(timeout=5)


class FakeTokens:
    def __init__(self) -> None:
        self.context_key = "Nip:5265877635"
        self.current = "stale"
        self.renewals = 0

    def bearer(self, kind: str) -> str:
        return self.current

    def on_unauthorized(self, kind: str) -> bool:
        self.renewals += 1
        self.current = "fresh"
        return True


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def transport(fault_server: tuple[str, Counter[str]], sleeps: list[float]) -> Iterator[Transport]:
    base, _ = fault_server
    t = Transport(local(base), throttle=Throttle.unlimited(), timeout=0.5, sleep=sleeps.append)
    yield t
    t.close()


def test_ok_sends_problem_details_header_and_keeps_warnings(
    transport: Transport, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="fakturnik.ksef.transport"):
        body = transport.request("GET", "/ok", token="none").json()
    assert body == {"auth": None, "errorFormat": "problem-details"}
    assert transport.warnings[-2:] == ["[W1]: Środowisko testowe", "[W2]: Planowana przerwa"]
    assert "Planowana przerwa" in caplog.text


def test_bearer_override(transport: Transport) -> None:
    assert transport.request("GET", "/ok", bearer="abc").json()["auth"] == "Bearer abc"


def test_protected_call_without_tokens_is_refused_locally(transport: Transport) -> None:
    with pytest.raises(KsefAuthError):
        transport.request("GET", "/ok")


def test_legacy_error_body(transport: Transport) -> None:
    with pytest.raises(KsefApiError) as info:
        transport.request("GET", "/legacy", token="none")
    assert info.value.status_code == 400
    assert info.value.codes == [21405]
    assert info.value.details[0].details == ["x"]
    assert "21405" in str(info.value)


def test_problem_details_body(transport: Transport) -> None:
    with pytest.raises(KsefApiError) as info:
        transport.request("GET", "/problem", token="none")
    assert info.value.codes == [21470]
    assert "klucza publicznego" in str(info.value)


def test_forbidden_reason_code(transport: Transport) -> None:
    with pytest.raises(KsefApiError) as info:
        transport.request("GET", "/forbidden", token="none")
    assert info.value.status_code == 403
    assert info.value.reason_code == "missing-permissions"


def test_get_retries_5xx_with_backoff(
    transport: Transport, fault_server: tuple[str, Counter[str]], sleeps: list[float]
) -> None:
    body = transport.request("GET", "/flaky/g1/2", token="none").json()
    assert body == {"attempt": 3}
    assert len(sleeps) == 2 and all(s > 0 for s in sleeps)


def test_post_5xx_is_not_repeated_and_flags_unknown_outcome(
    transport: Transport, fault_server: tuple[str, Counter[str]]
) -> None:
    _, hits = fault_server
    with pytest.raises(KsefServerError) as info:
        transport.request("POST", "/flaky/p1/1", token="none", json={})
    assert info.value.outcome_unknown is True
    assert hits["p1"] == 1


def test_post_marked_idempotent_is_retried(
    transport: Transport, fault_server: tuple[str, Counter[str]]
) -> None:
    assert transport.request("POST", "/flaky/p2/1", token="none", idempotent=True).json() == {"attempt": 2}


def test_429_is_retried_after_retry_after_even_for_post(
    transport: Transport, fault_server: tuple[str, Counter[str]], sleeps: list[float]
) -> None:
    _, hits = fault_server
    assert transport.request("POST", "/limited/l1", token="none", json={}).json() == {"attempt": 2}
    assert sleeps == [2.0]
    assert hits["l1"] == 2


def test_429_gives_up_with_retry_after(transport: Transport) -> None:
    with pytest.raises(KsefRateLimitError) as info:
        transport.request("GET", "/always429", token="none")
    assert info.value.retry_after == 1.0
    assert info.value.status_code == 429


def test_read_timeout_get_retried_then_reported(
    transport: Transport, fault_server: tuple[str, Counter[str]]
) -> None:
    _, hits = fault_server
    with pytest.raises(KsefTransportError) as info:
        transport.request("GET", "/slow/s1", token="none")
    assert info.value.outcome_unknown is False
    assert hits["s1"] == 1 + transport.max_retries


def test_read_timeout_post_outcome_unknown(
    transport: Transport, fault_server: tuple[str, Counter[str]]
) -> None:
    _, hits = fault_server
    with pytest.raises(KsefTransportError) as info:
        transport.request("POST", "/slow/s2", token="none", json={})
    assert info.value.outcome_unknown is True
    assert hits["s2"] == 1


def test_connection_refused_is_safe_to_retry(sleeps: list[float]) -> None:
    t = Transport(
        local(f"http://127.0.0.1:{free_port()}"), throttle=Throttle.unlimited(), sleep=sleeps.append
    )
    with pytest.raises(KsefTransportError) as info:
        t.request("POST", "/sessions/online", token="none", json={})
    assert info.value.outcome_unknown is False
    assert len(sleeps) == t.max_retries


def test_401_renews_and_replays_once(fault_server: tuple[str, Counter[str]], sleeps: list[float]) -> None:
    base, hits = fault_server
    tokens = FakeTokens()
    t = Transport(local(base), tokens=tokens, throttle=Throttle.unlimited(), sleep=sleeps.append)
    before = hits["protected"]
    assert t.request("POST", "/protected", json={}).json() == {"ok": True}
    assert tokens.renewals == 1
    assert hits["protected"] - before == 2


def test_401_after_replay_raises(fault_server: tuple[str, Counter[str]]) -> None:
    base, _ = fault_server

    class Stubborn(FakeTokens):
        def on_unauthorized(self, kind: str) -> bool:
            self.renewals += 1
            return True  # claims renewal but keeps the stale token

    tokens = Stubborn()
    t = Transport(local(base), tokens=tokens, throttle=Throttle.unlimited())
    with pytest.raises(KsefApiError) as info:
        t.request("GET", "/protected")
    assert info.value.status_code == 401
    assert tokens.renewals == 1


def test_with_tokens_shares_pool_and_throttle(transport: Transport) -> None:
    tokens = FakeTokens()
    twin = transport.with_tokens(tokens)
    assert twin.throttle is transport.throttle
    assert twin._http is transport._http
    assert twin.request("GET", "/ok").json()["auth"] == "Bearer stale"
    twin.close()  # does not close the shared pool
    assert transport.request("GET", "/ok", token="none").status_code == 200


def test_absolute_never_logs_the_signed_query(
    transport: Transport, fault_server: tuple[str, Counter[str]], caplog: pytest.LogCaptureFixture
) -> None:
    base, _ = fault_server
    caplog.set_level(logging.DEBUG)  # every logger, httpx's own request log included
    r = transport.absolute("PUT", f"{base}/upload/1?sig=SEKRETNY-PODPIS", content=b"part")
    assert r.status_code == 201
    assert "SEKRETNY-PODPIS" not in caplog.text
    assert "/upload/1" in caplog.text


def test_long_maintenance_is_reported_at_once(
    transport: Transport, fault_server: tuple[str, Counter[str]], sleeps: list[float]
) -> None:
    """A Retry-After of two hours is not slept through: the caller (the engine) decides what to do."""
    _, hits = fault_server
    with pytest.raises(KsefServerError) as info:
        transport.request("GET", "/maintenance", token="none")
    assert info.value.status_code == 503 and not info.value.outcome_unknown
    assert hits["maintenance"] == 1 and sleeps == []


def test_system_warning_from_the_simulator_is_kept(simulator: Any) -> None:
    """The simulator's TEST profile echoes X-Test-System-Warning; the transport keeps what comes back."""
    warning = "[21999]: Planowana przerwa techniczna"
    t = Transport(local(simulator.base_url), throttle=Throttle(enabled=False))
    try:
        t.request("POST", "/auth/challenge", token="none", headers={"X-Test-System-Warning": warning})
    finally:
        t.close()
    assert any("Planowana przerwa techniczna" in w for w in t.warnings)
