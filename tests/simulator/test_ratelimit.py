"""Sliding-window rate limits (digest §8): the published table, windows, Retry-After, 429 bodies."""

from __future__ import annotations

import json

import httpx
import pytest

from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.errors import RateLimitedError
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.ratelimit import PRODUCTION_LIMITS, PUBLIC_PER_SECOND, Limit, RateLimiter
from tests.conftest import OPENAPI_PATH

OPENAPI = OPENAPI_PATH


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _refused(limiter: RateLimiter, group: str = "other", ctx: str = "Nip:1", ip: str = "1.1.1.1") -> int:
    with pytest.raises(RateLimitedError) as exc:
        limiter.check(group, ctx, ip)
    return exc.value.retry_after


def test_production_table_is_the_default() -> None:
    assert RateLimiter().limits == PRODUCTION_LIMITS
    assert PRODUCTION_LIMITS["invoiceSend"] == Limit(10, 30, 180)
    assert PRODUCTION_LIMITS["invoiceMetadata"] == Limit(8, 16, 20)
    assert PUBLIC_PER_SECOND == 60


@pytest.mark.skipif(not OPENAPI.exists(), reason="open-api.json not in ../shared")
def test_table_matches_the_spec_x_rate_limits() -> None:
    """Every protected operation's x-rate-limits appears in the table (the group names differ only)."""
    spec = json.loads(OPENAPI.read_text())
    published = {(lim.per_second, lim.per_minute, lim.per_hour) for lim in PRODUCTION_LIMITS.values()}
    for ops in spec["paths"].values():
        for op in ops.values():
            rl = op.get("x-rate-limits") if isinstance(op, dict) else None
            if rl and "perMinute" in rl:
                assert (rl["perSecond"], rl["perMinute"], rl["perHour"]) in published


def test_per_second_window_slides() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    for _ in range(10):
        limiter.check("other", "Nip:1", "1.1.1.1")
    assert _refused(limiter) == 1
    clock.t += 1.0
    limiter.check("other", "Nip:1", "1.1.1.1")  # the first ten left the 1 s window
    # other contexts, IPs and counters are separate
    limiter.check("other", "Nip:2", "1.1.1.1")
    limiter.check("other", "Nip:1", "2.2.2.2")
    limiter.check("other", "Nip:1", "1.1.1.1", counter="/tokens")


def test_per_minute_window_gives_the_true_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    for _ in range(30):  # 30/min, spaced so the per-second limit never bites
        limiter.check("other", "Nip:1", "1.1.1.1")
        clock.t += 0.5
    # the first hit was 15 s ago: it leaves the minute window in 45 s
    assert _refused(limiter) == 45
    clock.t += 45
    limiter.check("other", "Nip:1", "1.1.1.1")


def test_retry_after_grows_with_repeated_violations_and_resets() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    for _ in range(10):
        limiter.check("other", "Nip:1", "1.1.1.1")
    first, second, third = _refused(limiter), _refused(limiter), _refused(limiter)
    assert first < second < third
    clock.t += third
    limiter.check("other", "Nip:1", "1.1.1.1")
    for _ in range(9):
        limiter.check("other", "Nip:1", "1.1.1.1")
    assert _refused(limiter) == 1  # penalty reset by the accepted request


def test_hour_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    for _ in range(20):  # invoiceMetadata: 20/h
        limiter.check("invoiceMetadata", "Nip:1", "1.1.1.1")
        clock.t += 10
    assert _refused(limiter, "invoiceMetadata") == 3600 - 200
    clock.t += 3600
    limiter.check("invoiceMetadata", "Nip:1", "1.1.1.1")


def test_public_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    for _ in range(PUBLIC_PER_SECOND):
        limiter.check_public("1.1.1.1", "/auth/challenge")
    with pytest.raises(RateLimitedError):
        limiter.check_public("1.1.1.1", "/auth/challenge")
    limiter.check_public("2.2.2.2", "/auth/challenge")


def test_429_over_http_with_retry_after(simulator_factory: object) -> None:
    server = simulator_factory(SimulatorConfig(rate_limits_enabled=True))  # type: ignore[operator]
    access = mint_session(
        server.sim,
        context_type="Nip",
        context_value="5265877635",
        subject_type="Nip",
        subject_value="5265877635",
    )["accessToken"]
    headers = {"Authorization": f"Bearer {access}"}
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        codes = [c.get("/tokens", headers=headers).status_code for _ in range(11)]
        assert codes[:10] == [200] * 10 and codes[10] == 429
        r = c.get("/tokens", headers=headers)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert r.json()["status"]["code"] == 429 and r.json()["status"]["description"] == "Too Many Requests"
        p = c.get("/tokens", headers={**headers, "X-Error-Format": "problem-details"})
        assert p.status_code == 429 and p.headers["content-type"].startswith("application/problem+json")
        # each "other" endpoint has its own counter
        assert c.get("/certificates/limits", headers=headers).status_code == 200
