"""Sliding-window rate limits per (group, context, client IP) with the published table (digest §8).

The default table (``limits``, on or off with ``enabled``) applies to every context that has not
switched its own with ``/testdata/rate-limits`` (``context_limits``): KSeF's test endpoints change
"the limits of the current context", and a context's own table applies whether or not the default
one is on.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from fakturnik.ksef import rate_limits as ratelimits
from fakturnik.simulator.errors import RateLimitedError


@dataclass(frozen=True)
class Limit:
    per_second: int
    per_minute: int
    per_hour: int

    def as_json(self) -> dict[str, int]:
        return {"perSecond": self.per_second, "perMinute": self.per_minute, "perHour": self.per_hour}


# the published table (ksef/rate_limits.py, the client's throttle reads the same one), per-context groups
PRODUCTION_LIMITS: dict[str, Limit] = {g: Limit(*ratelimits.PUBLISHED[g]) for g in ratelimits.CONTEXT_GROUPS}
# GET /rate-limits also reports these (2.8.0): ``anonymous`` (check_public, per IP); ``global`` is off
REPORTED_ONLY: dict[str, Limit] = {g: Limit(*ratelimits.PUBLISHED[g]) for g in ("anonymous", "global")}
PUBLIC_PER_SECOND = ratelimits.PUBLISHED["anonymous"][0]
_WINDOWS = (1.0, 60.0, 3600.0)


class RateLimiter:
    """Counts accepted requests in three sliding windows; refuses with a Retry-After that grows.

    A refused request is not counted. Retry-After is the time until the oldest request leaves the
    tightest full window, plus a penalty that doubles with each consecutive refusal of the same
    counter (0, 1, 3, 7 … s, at most 60 s extra); until then the counter stays blocked, so the
    advertised wait is truthful. An accepted request resets the penalty.
    """

    MAX_PENALTY = 60

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # replaceable: tests freeze it to count windows deterministically
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, str, str], deque[float]] = {}
        self._violations: dict[tuple[str, str, str], int] = {}
        self._blocked_until: dict[tuple[str, str, str], float] = {}
        self.limits: dict[str, Limit] = dict(PRODUCTION_LIMITS)
        self.context_limits: dict[str, dict[str, Limit]] = {}
        self.enabled = True

    def reset_to_production(self) -> None:
        self.limits = dict(PRODUCTION_LIMITS)

    def reset_counters(self, context: str | None = None) -> None:
        """Forget the windows and blocks of every counter, or only of one context's."""
        with self._lock:
            for book in (self._hits, self._violations, self._blocked_until):
                if context is None:
                    book.clear()
                else:
                    for key in [k for k in book if k[1] == context]:
                        del book[key]

    def table_for(self, context: str) -> dict[str, Limit] | None:
        """The table that limits ``context``: its own, else the default one when that is on, else None."""
        own = self.context_limits.get(context)
        if own is not None:
            return own
        return self.limits if self.enabled else None

    def check(self, group: str, context: str, client_ip: str, counter: str | None = None) -> None:
        """Record one request or raise :class:`RateLimitedError`.

        ``counter`` separates endpoints of the ``other`` group, each of which has its own counter.
        """
        table = self.table_for(context)
        if table is None:
            return
        limit = table.get(group, table.get("other", PRODUCTION_LIMITS["other"]))
        key = (counter or group, context, client_ip)
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - _WINDOWS[-1]:
                hits.popleft()
            wait = max(0.0, self._blocked_until.get(key, 0.0) - now)
            for window, allowed in zip(
                _WINDOWS, (limit.per_second, limit.per_minute, limit.per_hour), strict=True
            ):
                in_window = _recent(hits, now - window)
                if len(in_window) >= allowed:
                    # the oldest hit that must leave the window before one more fits
                    oldest = in_window[len(in_window) - allowed] if allowed > 0 else now
                    wait = max(wait, oldest + window - now)
            if wait > 0:
                n = self._violations.get(key, 0) + 1
                self._violations[key] = n
                retry = max(1, math.ceil(wait)) + min(2 ** (n - 1) - 1, self.MAX_PENALTY)
                self._blocked_until[key] = now + retry
                raise RateLimitedError(
                    retry, f"Przekroczono limit żądań dla grupy {group}; spróbuj ponownie za {retry} s."
                )
            self._violations.pop(key, None)
            self._blocked_until.pop(key, None)
            hits.append(now)

    def check_public(self, client_ip: str, path: str) -> None:
        if not self.enabled:
            return
        now = self.clock()
        key = ("public", "", client_ip)
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - 1.0:
                hits.popleft()
            if len(hits) >= PUBLIC_PER_SECOND:
                retry = max(1, math.ceil(hits[0] + 1.0 - now))
                raise RateLimitedError(
                    retry, f"Przekroczono limit {PUBLIC_PER_SECOND} żądań publicznych na sekundę ({path})."
                )
            hits.append(now)


def _recent(hits: deque[float], since: float) -> list[float]:
    # hits are sorted; walk from the right while inside the window
    out: list[float] = []
    for t in reversed(hits):
        if t <= since:
            break
        out.append(t)
    out.reverse()
    return out
