"""The simulator under hostile requests: body limits, 400 not 500, JWT exp, paths, the admin switch."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import jwt
import pytest

from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer

NIP = "5265877635"


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as s:
        yield s


@pytest.fixture
def client(server: SimulatorServer) -> Iterator[httpx.Client]:
    tokens = mint_session(
        server.sim, context_type="Nip", context_value=NIP, subject_type="Nip", subject_value=NIP
    )
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {tokens['accessToken']}"}, timeout=30
    ) as c:
        yield c


def _raw(server: SimulatorServer, request: bytes) -> bytes:
    host, port = server.root_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_metadata_query_with_date_at_the_end_of_time_is_400(client: httpx.Client) -> None:
    body = {
        "subjectType": "Subject1",
        "dateRange": {"dateType": "Issue", "from": "9999-12-31T23:59:59", "to": "9999-12-31T23:59:59"},
    }
    response = client.post("/invoices/query/metadata", json=body)
    assert response.status_code in (200, 400), response.text  # an answer, never a 500


def test_online_session_with_a_lone_surrogate_is_400(client: httpx.Client) -> None:
    body = (
        b'{"formCode": {"systemCode": "FA (3)\\ud800", "schemaVersion": "1-0E", "value": "FA"},'
        b' "encryption": {"encryptedSymmetricKey": "AAAA", "initializationVector": "AAAA"}}'
    )
    response = client.post("/sessions/online", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text


def test_a_token_without_exp_is_refused(server: SimulatorServer, client: httpx.Client) -> None:
    token = client.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.pop("exp")
    forged = jwt.encode(claims, server.sim.tokens._secret, algorithm="HS256")
    response = httpx.get(
        server.base_url + "/sessions",
        headers={"Authorization": f"Bearer {forged}"},
        params={"sessionType": "Online"},
    )
    assert response.status_code == 401


def test_dot_segments_do_not_reach_the_admin_api(server: SimulatorServer) -> None:
    for path in (b"/v2/../admin/stats", b"/v2/%2e%2e/admin/stats", b"/v2//../admin/stats"):
        answer = _raw(server, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status = answer.split(b"\r\n", 1)[0]
        assert b" 200 " not in status, (path, answer[:300])
        assert b'"total"' not in answer


def test_admin_api_is_off_unless_switched_on() -> None:
    with SimulatorServer(SimulatorConfig(profile="test", admin_api=False)) as off:
        assert httpx.get(off.root_url + "/admin/stats").status_code == 404
        assert httpx.get(off.base_url + "/security/public-key-certificates").status_code == 200


def test_body_limit_on_a_public_route(server: SimulatorServer) -> None:
    big = b'{"challenge": "' + b"x" * 3_000_000 + b'"}'
    response = httpx.post(
        server.base_url + "/auth/ksef-token", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert "21405" in response.text or "limit" in response.text.lower()


def test_body_limit_without_content_length(server: SimulatorServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 100_000

    response = httpx.post(
        server.base_url + "/auth/ksef-token", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
