"""Many threads, one context, one AuthManager, the simulator's production rate limits: tokens are
renewed once per expiry (not once per thread), no call meets a 401 or a 429."""

from __future__ import annotations

from typing import Any

import httpx

from fakturnik.ksef.auth import AuthManager
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.environments import local
from fakturnik.ksef.transport import Transport
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from tests.ksef.identities import person_credential, random_nip
from tests.threads import run_threads


def test_threads_share_one_session_and_renew_it_once_each_time(simulator_factory: Any) -> None:
    server: SimulatorServer = simulator_factory(SimulatorConfig(profile="test", rate_limits_enabled=True))
    transport = Transport(local(server.root_url))
    nip = random_nip()
    # a margin one second short of the 15-minute lifetime: the access token "expires" every second
    manager = AuthManager.with_certificate(
        transport, ContextIdentifier.nip(nip), person_credential(nip, "ec"), refresh_margin=15 * 60 - 1
    )
    calls: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):  # 6 threads × 5 = 30 calls per endpoint: the per-minute limit, ~3 s at 10/s
                # /limits/context and /rate-limits: two `other` endpoints, separate counters
                for path in ("/limits/context", "/rate-limits"):
                    assert manager.api.request("GET", path).status_code == 200
                    calls.append(1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    run_threads([worker] * 6)
    transport.close()
    assert not errors, errors
    stats = httpx.get(server.root_url + "/admin/stats").json()
    assert "429" not in stats["byStatus"] and "401" not in stats["byStatus"], stats["byStatus"]
    refreshes = sum(r["count"] for r in stats["byRoute"] if r["route"].endswith("/auth/token/refresh"))
    assert refreshes == manager.refreshes
    assert 1 <= manager.refreshes <= 8  # about one per second of the run, not one per thread and call
    assert manager.authentications == 1
    assert len(calls) == 60
