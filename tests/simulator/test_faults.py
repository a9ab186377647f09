"""Faults on demand (admin endpoints outside /v2) and the request statistics."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from fakturnik.cli.simulator import parse_outage
from fakturnik.simulator.server import SimulatorServer


@pytest.fixture
def admin(simulator: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=simulator.root_url, timeout=10) as c:
        yield c


def _wait_until(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_stats_count_by_route_and_status_and_reset(admin: httpx.Client) -> None:
    admin.post("/admin/stats/reset")
    for _ in range(3):
        admin.post("/v2/auth/challenge")
    admin.get("/v2/tokens")  # 401
    stats = admin.get("/admin/stats").json()
    # routes are counted by their template relative to /v2 (as open-api.json names them)
    rows = {(r["method"], r["route"], r["status"]): r["count"] for r in stats["byRoute"]}
    assert rows[("POST", "/auth/challenge", 200)] == 3
    assert rows[("GET", "/tokens", 401)] == 1
    assert stats["byStatus"]["200"] >= 3
    assert admin.post("/admin/stats/reset").json()["total"] == 0


def test_error_rate_and_reset(admin: httpx.Client) -> None:
    assert admin.post("/admin/faults", json={"errorRate": 1.0}).json()["errorRate"] == 1.0
    codes = {admin.post("/v2/auth/challenge").status_code for _ in range(10)}
    assert codes <= {500, 502, 503} and codes
    assert admin.get("/admin/stats").status_code == 200  # admin calls are never failed
    admin.post("/admin/faults/reset")
    assert admin.post("/v2/auth/challenge").status_code == 200


def test_latency_is_added(admin: httpx.Client) -> None:
    admin.post("/admin/faults", json={"latency": 0.3})
    start = time.monotonic()
    assert admin.post("/v2/auth/challenge").status_code == 200
    assert time.monotonic() - start >= 0.3  # a lower bound only: the sleep happened
    admin.post("/admin/faults/reset")


def test_outage_window_answers_503_then_recovers(admin: httpx.Client) -> None:
    admin.post("/admin/faults", json={"outageSeconds": 1.0})
    r = admin.post("/v2/auth/challenge")
    assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 1
    assert r.headers["content-type"].startswith("application/problem+json") and r.json()["status"] == 503
    assert admin.get("/admin/faults").json()["outageUntil"]
    _wait_until(lambda: admin.post("/v2/auth/challenge").status_code == 200)


def test_outage_starting_later(admin: httpx.Client) -> None:
    admin.post("/admin/faults", json={"outageSeconds": 30, "outageStartsIn": 30})
    assert admin.post("/v2/auth/challenge").status_code == 200
    admin.post("/admin/faults/reset")


def test_refused_connections_for_the_window(simulator: SimulatorServer) -> None:
    shut_down: list[bool] = []
    simulator.sim.on_shutdown.append(lambda: shut_down.append(True))
    with httpx.Client(base_url=simulator.root_url, timeout=5) as c:
        challenge = c.post("/v2/auth/challenge").json()["challenge"]
        c.post("/admin/faults", json={"outageSeconds": 1.5, "refuseConnections": True})

    def refused() -> bool:
        try:
            with httpx.Client(base_url=simulator.root_url, timeout=2) as fresh:
                fresh.post("/v2/auth/challenge")
        except httpx.ConnectError:
            return True
        return False

    _wait_until(refused)

    def back() -> bool:
        try:
            with httpx.Client(base_url=simulator.root_url, timeout=2) as fresh:
                return fresh.post("/v2/auth/challenge").status_code == 200
        except httpx.TransportError:
            return False

    _wait_until(back)
    # same simulator, same state after the listener came back; background work was not shut down
    assert simulator.sim.state.get("challenge", challenge) is not None
    assert shut_down == []


def test_stuck_processing_flag(admin: httpx.Client, simulator: SimulatorServer) -> None:
    admin.post("/admin/faults", json={"stuckProcessing": True})
    assert simulator.sim.faults.stuck_processing is True
    admin.post("/admin/faults", json={"stuckProcessing": False})
    assert simulator.sim.faults.stuck_processing is False


def test_bad_fault_values_are_refused(admin: httpx.Client) -> None:
    assert admin.post("/admin/faults", json={"errorRate": 2}).status_code == 400
    assert admin.post("/admin/faults", json={"unknown": 1}).status_code == 400


def test_cli_outage_syntax() -> None:
    assert parse_outage("30") == (0.0, 30.0)
    assert parse_outage("10:5") == (10.0, 5.0)


def test_cli_runs_with_fault_flags(tmp_path: object) -> None:
    """``fakturnik simulator`` as a real process: flags become faults, SIGINT stops it cleanly."""
    import signal
    import subprocess
    import sys

    from fakturnik.simulator.server import free_port

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fakturnik.cli.main",
            "simulator",
            "--port",
            str(port),
            "--error-rate",
            "1",
            "--latency",
            "0",
            "--admin",  # the /admin API is off unless asked for
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{url}/admin/faults", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        _wait_until(up, timeout=30)
        assert httpx.get(f"{url}/admin/faults").json()["errorRate"] == 1.0
        assert httpx.post(f"{url}/v2/auth/challenge").status_code in (500, 502, 503)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) is not None


def test_auth_delay_keeps_operations_in_progress(admin: httpx.Client, simulator: SimulatorServer) -> None:
    from tests.simulator import xades_helpers as xh

    admin.post("/admin/faults", json={"authDelay": 0.5})
    with httpx.Client(base_url=simulator.base_url, timeout=10) as c:
        ch = xh.challenge(c)["challenge"]
        signed = xh.sign(xh.auth_token_request(ch, "5265877635"), xh.person("5265877635", "ec"))
        init = c.post(
            "/auth/xades-signature", content=signed, headers={"Content-Type": "application/xml"}
        ).json()
        op = xh.bearer(init["authenticationToken"]["token"])
        first = c.get(f"/auth/{init['referenceNumber']}", headers=op).json()
        assert first["status"]["code"] == 100 and "details" not in first["status"]
        early = c.post("/auth/token/redeem", headers=op)
        assert (
            early.status_code == 400
            and early.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301
        )
        final = xh.wait_status(c, init["referenceNumber"], init["authenticationToken"]["token"])
        assert final["status"]["code"] == 200
        assert c.post("/auth/token/redeem", headers=op).status_code == 200
    admin.post("/admin/faults/reset")


def test_test_profile_echoes_the_system_warning_header(simulator: SimulatorServer) -> None:
    """TEST echoes ``X-Test-System-Warning`` back as ``X-System-Warning`` (digest §1)."""
    warning = "[21999]: Planowana przerwa techniczna | jutro 16:00"
    r = httpx.post(f"{simulator.base_url}/auth/challenge", headers={"X-Test-System-Warning": warning})
    assert r.status_code == 200
    assert r.headers["X-System-Warning"] == warning
    plain = httpx.post(f"{simulator.base_url}/auth/challenge")
    assert "X-System-Warning" not in plain.headers
