"""The simulator instance: state, keys, tokens, limits, faults and counters in one object.

Handlers reach it as ``request.app.state.sim``. Modules keep their protocol logic in functions that
take this object, so tests can drive them without HTTP.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.keys import SimulatorKeys
from fakturnik.simulator.ratelimit import RateLimiter
from fakturnik.simulator.security import TokenIssuer
from fakturnik.simulator.state import StateStore


@dataclass
class Faults:
    """Faults switched on by the admin endpoints or CLI flags (see ``routes_admin``)."""

    outage_until: datetime | None = None  # 503 for every /v2 call until then
    refuse_connections: bool = False  # with an outage: drop connections instead of answering 503
    error_rate: float = 0.0  # share of /v2 calls answered with a random 5xx
    latency: float = 0.0  # seconds added to every /v2 call
    stuck_processing: bool = False  # invoices stay at 150 while True
    auth_delay: float = 0.0  # seconds a new auth operation shows 100 (like OCSP/CRL checks on PRD)
    outage_from: datetime | None = None  # start of the outage window (None: already started)
    session_unavailable: int = 0  # pause this many open online sessions at their next send (21184)
    session_unavailable_after: int = 0  # ... once the session has taken this many invoices (mid-session)
    paused_sessions: set[str] = field(default_factory=set)  # online sessions answering 21184
    collective_error: int = (
        0  # 71004 / 71005 (API 2.8.1, meaning unpublished): answer collective calls with it
    )
    collective_error_count: int = 0  # ... that many of them (then off again)

    def outage_active(self, now: datetime) -> bool:
        if self.outage_until is None or now >= self.outage_until:
            return False
        return self.outage_from is None or now >= self.outage_from

    def as_json(self) -> dict[str, object]:
        def ts(dt: datetime | None) -> str | None:
            return dt.isoformat().replace("+00:00", "Z") if dt else None

        return {
            "outageFrom": ts(self.outage_from),
            "outageUntil": ts(self.outage_until),
            "refuseConnections": self.refuse_connections,
            "errorRate": self.error_rate,
            "latency": self.latency,
            "stuckProcessing": self.stuck_processing,
            "authDelay": self.auth_delay,
            "sessionUnavailable": self.session_unavailable,
            "sessionUnavailableAfter": self.session_unavailable_after,
            "pausedSessions": sorted(self.paused_sessions),
            "collectiveError": self.collective_error or None,
            "collectiveErrorCount": self.collective_error_count,
        }


@dataclass
class Stats:
    """Requests counted by (method, route template, status code)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    by_route: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    def record(self, method: str, route: str, status: int) -> None:
        with self.lock:
            self.by_route[(method, route, status)] += 1

    def reset(self) -> None:
        with self.lock:
            self.by_route.clear()

    def as_json(self) -> dict[str, object]:
        with self.lock:
            items = sorted(self.by_route.items())
        by_status: Counter[int] = Counter()
        for (_, _, status), n in items:
            by_status[status] += n
        return {
            "total": sum(by_status.values()),
            "byStatus": {str(k): v for k, v in sorted(by_status.items())},
            "byRoute": [{"method": m, "route": r, "status": s, "count": n} for (m, r, s), n in items],
        }


class Simulator:
    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.state = StateStore(self.config.data_dir)
        self.keys = SimulatorKeys(self.state)
        self.tokens = TokenIssuer(self._token_secret())
        self.rate_limiter = RateLimiter()
        self.rate_limiter.enabled = self.config.rate_limits_enabled
        self.faults = Faults()
        self.stats = Stats()
        self.on_startup: list[Callable[[], None]] = []
        self.on_shutdown: list[Callable[[], None]] = []
        # Set by SimulatorServer: close the TCP listener from ``start`` to ``end`` (refused connections).
        self.refuse_connections_hook: Callable[[datetime, datetime], None] | None = None

    def _token_secret(self) -> bytes:
        doc = self.state.get("setting", "jwt-secret")
        if doc is None:
            import secrets

            doc = {"hex": secrets.token_hex(32)}
            self.state.put("setting", "jwt-secret", doc)
        return bytes.fromhex(doc["hex"])

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def is_refresh_revoked(self, auth_ref: str) -> bool:
        doc = self.state.get("auth", auth_ref)
        return doc is None or bool(doc.get("revoked"))

    def public_base(self, request: Request) -> str:
        """Base URL for links the simulator hands out (``--public-url`` or the called host)."""
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        return str(request.base_url).rstrip("/")

    def close(self) -> None:
        self.state.close()


def sim_of(request: Request) -> Simulator:
    sim: Simulator = request.app.state.sim
    return sim


Sim = Annotated[Simulator, Depends(sim_of)]
"""A route's simulator (the app's ``state.sim``), as a parameter: ``sim: Sim``."""
