"""The transport and the auth manager through the simulator's outages: 503 with Retry-After during
maintenance, and a listener that really refuses connections."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
import pytest

from fakturnik.errors import KsefServerError
from fakturnik.ksef.auth import AuthManager
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.environments import local
from fakturnik.ksef.transport import Transport
from fakturnik.simulator.server import SimulatorServer
from tests.ksef.identities import person_credential, random_nip


def _faults(server: SimulatorServer, **body: Any) -> None:
    httpx.post(server.root_url + "/admin/faults", json=body, timeout=30.0).raise_for_status()


def _statuses(server: SimulatorServer) -> dict[str, int]:
    stats: dict[str, int] = httpx.get(server.root_url + "/admin/stats").json()["byStatus"]
    return stats


def test_login_rides_out_a_maintenance_window(simulator: SimulatorServer) -> None:
    transport = Transport(local(simulator.root_url), backoff_base=0.2)
    nip = random_nip()
    manager = AuthManager.with_certificate(
        transport, ContextIdentifier.nip(nip), person_credential(nip, "ec")
    )
    _faults(simulator, outageSeconds=1.0)
    assert manager.api.request("GET", "/rate-limits").status_code == 200
    statuses = _statuses(simulator)
    assert statuses.get("503", 0) >= 1 and statuses.get("200", 0) >= 3
    transport.close()


def test_non_idempotent_call_during_outage_reports_unknown_outcome(simulator: SimulatorServer) -> None:
    transport = Transport(local(simulator.root_url))
    nip = random_nip()
    manager = AuthManager.with_certificate(transport, ContextIdentifier.nip(nip), person_credential(nip))
    manager.login()
    _faults(simulator, outageSeconds=30.0)
    with pytest.raises(KsefServerError) as info:
        manager.api.request("POST", "/tokens", json={"permissions": ["InvoiceRead"], "description": "outage"})
    assert info.value.status_code == 503 and info.value.outcome_unknown
    httpx.post(simulator.root_url + "/admin/faults/reset", timeout=30.0).raise_for_status()
    transport.close()


def _wait_until_refused(server: SimulatorServer, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((server.host, server.port), timeout=0.2).close()
        except OSError:
            return
        time.sleep(0.02)
    raise AssertionError("the simulator kept accepting connections")


def test_refused_connections_are_retried_even_for_post(simulator: SimulatorServer) -> None:
    if getattr(simulator.sim, "refuse_connections_hook", None) is None:
        pytest.skip("this simulator cannot close its listener for an outage")
    nip = random_nip()
    context = ContextIdentifier.nip(nip)
    first = Transport(local(simulator.root_url))
    tokens = AuthManager.with_certificate(first, context, person_credential(nip)).login()
    first.close()
    _faults(simulator, outageSeconds=1.5, refuseConnections=True)
    _wait_until_refused(simulator)
    transport = Transport(local(simulator.root_url), backoff_base=0.4, max_retries=5)
    manager = AuthManager(transport, context, None, tokens=tokens)
    # a refused connection means nothing was sent: even a POST is safe to try again
    body = {"permissions": ["InvoiceRead"], "description": "po awarii"}
    assert manager.api.request("POST", "/tokens", json=body).status_code == 202
    transport.close()
