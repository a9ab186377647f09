"""Client-side throttling: the published table as data, the window arithmetic, and no 429 in real use."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakturnik.ksef.environments import local
from fakturnik.ksef.rate_limits import (
    OTHER,
    PUBLIC,
    PUBLISHED_LIMITS,
    RateLimit,
    delay_until_free,
    endpoint_counter,
    endpoint_group,
)
from fakturnik.ksef.throttle import Throttle, throttle_for
from fakturnik.ksef.transport import Transport
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.ratelimit import Limit
from fakturnik.simulator.server import SimulatorServer
from tests.conftest import OPENAPI_PATH
from tests.ksef.clientkit import StaticTokens
from tests.threads import run_threads

# --- the table is data and agrees with the contract -------------------------------------------------


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    spec = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in ("get", "post", "put", "delete", "patch"):
                yield method.upper(), path, op


# The 2.7.0 document gives the close operations the opening group's limits; 2.8.0 (changelog) their own.
CLOSED_BY_28 = {
    ("POST", "/sessions/online/{referenceNumber}/close"): {"perSecond": 20, "perMinute": 60, "perHour": 240},
    ("POST", "/sessions/batch/{referenceNumber}/close"): {"perSecond": 20, "perMinute": 40, "perHour": 120},
}


def test_every_operation_maps_to_a_group_with_the_published_limits() -> None:
    """For each operation of open-api.json, the inferred group carries its ``x-rate-limits``."""
    checked = 0
    for method, path, op in _operations():
        published = op.get("x-rate-limits")
        if not published:
            continue
        if (method, path) in CLOSED_BY_28:  # 2.8.0 moved closing to groups of its own (digest §15)
            published = CLOSED_BY_28[(method, path)]
        concrete = path.replace("{referenceNumber}", "20250101-SO-0000000000-0000000000-00")
        concrete = concrete.replace("{invoiceReferenceNumber}", "20250101-EE-0000000000-0000000000-00")
        concrete = concrete.replace("{ksefNumber}", "5265877635-20250101-0123456789AB-00")
        concrete = concrete.replace("{upoReferenceNumber}", "20250101-EU-0000000000-0000000000-00")
        concrete = concrete.replace("{certificateSerialNumber}", "0123456789ABCDEF")
        concrete = concrete.replace("{permissionId}", "0123456789abcdef0123456789abcdef0123")
        group = endpoint_group(method, concrete)
        limit = PUBLISHED_LIMITS[group]
        assert limit.per_second == published["perSecond"], (method, path, group)
        if "perMinute" in published:
            assert (limit.per_minute, limit.per_hour) == (published["perMinute"], published["perHour"]), (
                method,
                path,
                group,
            )
        else:
            assert group == PUBLIC, (method, path)
        checked += 1
    assert checked > 70


def test_simulator_and_client_tables_agree() -> None:
    from fakturnik.simulator.ratelimit import PRODUCTION_LIMITS

    for group, limit in PRODUCTION_LIMITS.items():
        assert PUBLISHED_LIMITS[group].allowances() == (limit.per_second, limit.per_minute, limit.per_hour)


def test_other_endpoints_get_their_own_counters() -> None:
    a = endpoint_counter("DELETE", "/tokens/20250101-EC-1111111111-2222222222-AB")
    b = endpoint_counter("DELETE", "/tokens/20250102-EC-3333333333-4444444444-CD")
    assert a == b == "/tokens/{}"
    assert endpoint_counter("GET", "/tokens") == endpoint_counter("POST", "/tokens") != a
    assert endpoint_counter("POST", "/certificates/0123456789ABCDEF/revoke") == "/certificates/{}/revoke"
    assert endpoint_group("GET", "/auth/sessions") == OTHER
    assert endpoint_group("GET", "/auth/20250101-AU-1111111111-2222222222-AB") == PUBLIC


def test_rate_limits_json_overrides_per_context() -> None:
    throttle = Throttle()
    throttle.apply_rate_limits_json(
        {"invoiceSend": {"perSecond": 2, "perMinute": 3, "perHour": 4}, "junk": 7}, context="Nip:1"
    )
    assert throttle.limit_for("invoiceSend", "Nip:1") == RateLimit(2, 3, 4)
    assert throttle.limit_for("invoiceSend", "Nip:2") == PUBLISHED_LIMITS["invoiceSend"]
    assert RateLimit.from_json({"perSecond": 60}) == RateLimit(60, 3600, 216000)


# --- the arithmetic -----------------------------------------------------------------------------------


def test_delay_until_free_sliding_windows() -> None:
    limit = RateLimit(2, 3, 100)
    assert delay_until_free([], 0, 10.0, limit, 0.0) == 0.0
    assert delay_until_free([9.5], 0, 10.0, limit, 0.0) == 0.0
    # two in the last second: wait until the older leaves the 1 s window
    assert delay_until_free([9.5, 9.8], 0, 10.0, limit, 0.0) == pytest.approx(0.5)
    # three in the last minute: the oldest must leave the 60 s window
    assert delay_until_free([1.0, 5.0, 9.0], 0, 10.0, limit, 0.0) == pytest.approx(51.0)
    # margin is added to every window
    assert delay_until_free([9.5, 9.8], 0, 10.0, limit, 0.1) == pytest.approx(0.6)
    # requests still in flight fill the window without a date: wait for a release
    assert delay_until_free([], 2, 10.0, limit, 0.0) is None
    assert delay_until_free([9.9], 1, 10.0, limit, 0.0) == pytest.approx(0.9)


def test_throttle_blocks_then_admits_across_threads() -> None:
    throttle = Throttle({"g": RateLimit(3, 1000, 1000)}, margin=0.0)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(2):
            with throttle.slot("g", "ctx"), lock:
                starts.append(time.monotonic())

    run_threads([worker] * 3)
    starts.sort()
    assert len(starts) == 6
    # any 4 consecutive starts span at least ~1 s (3 per second allowed)
    assert starts[3] - starts[0] >= 0.9


def test_penalty_blocks_a_counter() -> None:
    now = [100.0]
    throttle = Throttle({"g": RateLimit(10, 10, 10)}, clock=lambda: now[0])
    slot = throttle.acquire("g", "c")
    throttle.release(slot)
    throttle.penalize(slot, 30.0)
    assert throttle._books[("g", "c")].blocked_until == pytest.approx(130.0)


def test_registry_shares_one_throttle_per_deployment() -> None:
    assert throttle_for("http://a/v2") is throttle_for("http://a/v2")
    assert throttle_for("http://a/v2") is not throttle_for("http://b/v2")


# --- real use: several threads, one context, the simulator's limits ----------------------------------


def test_threads_sharing_a_context_never_meet_429() -> None:
    config = SimulatorConfig(profile="test", rate_limits_enabled=True)
    with SimulatorServer(config) as server:
        low = Limit(4, 30, 100)
        server.sim.rate_limiter.limits = {group: low for group in server.sim.rate_limiter.limits}
        minted = mint_session(
            server.sim,
            context_type="Nip",
            context_value="5265877635",
            subject_type="Nip",
            subject_value="5265877635",
            permissions=["InvoiceRead", "InvoiceWrite", "CredentialsManage", "CredentialsRead"],
        )
        throttle = Throttle({group: RateLimit(4, 30, 100) for group in PUBLISHED_LIMITS})
        transport = Transport(
            local(server.root_url),
            tokens=StaticTokens(minted["accessToken"], context_key="Nip:5265877635"),
            throttle=throttle,
        )
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                for _ in range(4):
                    transport.request("GET", "/rate-limits")
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        run_threads([worker] * 4)
        transport.close()
        assert not errors, errors
        stats = httpx.get(server.root_url + "/admin/stats").json()
        assert stats["byStatus"].get("429", 0) == 0, stats
        assert stats["byStatus"].get("200", 0) == 16, stats
        # and the throttle really had to hold callers back (16 calls at 4/s)
        assert throttle.total_wait > 0


def _minted_transport(server: SimulatorServer, throttle: Throttle) -> Transport:
    nip = "5265877635"
    minted = mint_session(
        server.sim, context_type="Nip", context_value=nip, subject_type="Nip", subject_value=nip
    )
    return Transport(
        local(server.root_url),
        tokens=StaticTokens(minted["accessToken"], context_key=f"Nip:{nip}"),
        throttle=throttle,
    )


def test_published_table_against_the_production_profile(simulator_factory: Any) -> None:
    """The client's default table versus the simulator's production limits: a burst of 14 `other`
    calls (limit 10/s) from 4 threads is spread over the second window instead of meeting 429."""
    server: SimulatorServer = simulator_factory(SimulatorConfig(profile="test", rate_limits_enabled=True))
    transport = _minted_transport(server, Throttle())
    threads = [
        threading.Thread(target=lambda n=n: [transport.request("GET", "/limits/context") for _ in range(n)])
        for n in (4, 4, 3, 3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = httpx.get(server.root_url + "/admin/stats").json()
    assert stats["byStatus"] == {"200": 14}, stats
    transport.close()


def test_limits_synced_from_the_server(simulator_factory: Any) -> None:
    server: SimulatorServer = simulator_factory(SimulatorConfig(profile="test", rate_limits_enabled=True))
    server.sim.rate_limiter.limits["invoiceSend"] = Limit(3, 7, 11)
    throttle = Throttle()
    transport = _minted_transport(server, throttle)
    transport.sync_rate_limits()
    assert throttle.limit_for("invoiceSend", "Nip:5265877635") == RateLimit(3, 7, 11)
    assert throttle.limit_for("invoiceSend", "Nip:1111111111") == PUBLISHED_LIMITS["invoiceSend"]
    transport.close()


def test_retry_after_is_honoured_when_a_429_comes_anyway(simulator_factory: Any) -> None:
    """Without client throttling the simulator answers 429; the transport waits and every call succeeds."""
    server: SimulatorServer = simulator_factory(SimulatorConfig(profile="test", rate_limits_enabled=True))
    server.sim.rate_limiter.limits = {g: Limit(1, 100, 1000) for g in server.sim.rate_limiter.limits}
    transport = _minted_transport(server, Throttle.unlimited())
    for _ in range(3):
        assert transport.request("GET", "/limits/context").status_code == 200
    stats = httpx.get(server.root_url + "/admin/stats").json()
    assert stats["byStatus"]["200"] == 3
    assert stats["byStatus"].get("429", 0) >= 1  # it did meet the limit, and recovered
    transport.close()


def test_more_threads_than_the_per_second_limit(simulator_factory: Any) -> None:
    """32 threads against 8/s: slots still in flight count too, so the server never sees a ninth."""
    server: SimulatorServer = simulator_factory(SimulatorConfig(profile="test", rate_limits_enabled=True))
    server.sim.rate_limiter.limits = {g: Limit(8, 100, 1000) for g in server.sim.rate_limiter.limits}
    transport = _minted_transport(server, Throttle({g: RateLimit(8, 100, 1000) for g in PUBLISHED_LIMITS}))
    barrier = threading.Barrier(32)

    def worker() -> None:
        barrier.wait()
        transport.request("GET", "/limits/context")

    run_threads([worker] * 32)
    stats = httpx.get(server.root_url + "/admin/stats").json()
    assert stats["byStatus"] == {"200": 32}, stats
    transport.close()


def test_share_splits_the_limits_between_processes() -> None:
    throttle = Throttle(share=0.25)
    assert throttle.limit_for("invoiceSend") == RateLimit(2, 7, 45)
    assert throttle.limit_for("sessionList") == RateLimit(1, 2, 15)
    with pytest.raises(ValueError):
        Throttle(share=0)
