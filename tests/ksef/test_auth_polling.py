"""Waiting for the auth status (100 → 200 / 4xx) against a tiny local app that stays at 100 a while,
as DEMO and PRD do while they check a certificate with OCSP/CRL."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from fakturnik.errors import KsefAuthError, KsefTimeoutError
from fakturnik.ksef.auth import AuthOperation, BearerToken, wait_for_auth
from fakturnik.ksef.environments import local
from fakturnik.ksef.throttle import Throttle
from fakturnik.ksef.transport import Transport
from fakturnik.simulator.server import free_port

SCRIPTS = {
    "slow-ok": [100, 100, 100, 200],
    "cert-error": [100, 460],
    "forever": [100] * 1000,
}


def status_app(polls: Counter[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/v2/auth/{ref}")
    def status(ref: str, request: Request) -> Response:
        assert request.headers["authorization"] == "Bearer operation-token-xyz"
        script = SCRIPTS[ref]
        code = script[min(polls[ref], len(script) - 1)]
        polls[ref] += 1
        body: dict[str, object] = {
            "startDate": "2026-01-01T00:00:00Z",
            "authenticationMethod": "QualifiedSignature",
            "authenticationMethodInfo": {"category": "XadesSignature", "code": "qes", "displayName": "QES"},
            "status": {
                "code": code,
                "description": {100: "W toku", 200: "OK", 460: "Błąd certyfikatu"}[code],
            },
        }
        if code == 460:
            body["status"] = {**body["status"], "details": ["Certyfikat unieważniony"]}  # type: ignore[dict-item]
        return JSONResponse(body)

    return app


@pytest.fixture(scope="module")
def status_server() -> Iterator[tuple[Transport, Counter[str]]]:
    polls: Counter[str] = Counter()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(status_app(polls), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    transport = Transport(local(f"http://127.0.0.1:{port}"), throttle=Throttle.unlimited())
    yield transport, polls
    transport.close()
    server.should_exit = True
    thread.join(timeout=5)


def _operation(ref: str) -> AuthOperation:
    return AuthOperation(ref, BearerToken("operation-token-xyz", datetime.now(UTC) + timedelta(minutes=45)))


def test_waits_through_100_until_200(status_server: tuple[Transport, Counter[str]]) -> None:
    transport, polls = status_server
    sleeps: list[float] = []
    status = wait_for_auth(transport, _operation("slow-ok"), poll_interval=0.1, sleep=sleeps.append)
    assert status.code == 200 and status.method == "qes"
    assert polls["slow-ok"] == 4
    assert sleeps == sorted(sleeps) and len(sleeps) == 3  # growing intervals between polls


def test_failure_status_raises_with_description(status_server: tuple[Transport, Counter[str]]) -> None:
    transport, _ = status_server
    with pytest.raises(KsefAuthError) as info:
        wait_for_auth(transport, _operation("cert-error"), sleep=lambda _: None)
    assert info.value.status_code == 460
    text = str(info.value)
    assert "Błąd certyfikatu" in text and "Certyfikat unieważniony" in text and "certyfikatu" in text


def test_gives_up_after_the_timeout(status_server: tuple[Transport, Counter[str]]) -> None:
    transport, _ = status_server
    with pytest.raises(KsefTimeoutError):
        wait_for_auth(transport, _operation("forever"), timeout=0.3, poll_interval=0.05, max_interval=0.05)
