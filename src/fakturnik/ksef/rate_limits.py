"""KSeF 2.0's published rate limits as data, and the pure sliding-window arithmetic (digest §8).

Three windows (1 s, 60 s, 60 min) per endpoint group; the table, the endpoint → group mapping and
:func:`delay_until_free` are shared by :mod:`fakturnik.ksef.throttle` (the in-process books) and
:mod:`fakturnik.ksef.throttle_ledger` (the books shared between processes).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CONTEXT_GROUPS",
    "ENDPOINT_GROUPS",
    "OTHER",
    "PUBLIC",
    "PUBLISHED",
    "PUBLISHED_LIMITS",
    "UNLIMITED",
    "WINDOWS",
    "RateLimit",
    "delay_until_free",
    "endpoint_counter",
    "endpoint_group",
]

WINDOWS = (1.0, 60.0, 3600.0)
PUBLIC = "public"
OTHER = "other"


@dataclass(frozen=True)
class RateLimit:
    """Allowed requests per second, minute and hour (all three apply together)."""

    per_second: int
    per_minute: int
    per_hour: int

    def allowances(self) -> tuple[int, int, int]:
        return (self.per_second, self.per_minute, self.per_hour)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> RateLimit:
        """``{"perSecond", "perMinute"?, "perHour"?}``; a missing window is unlimited by it."""
        per_second = int(body.get("perSecond") or 0) or 1_000_000
        per_minute = int(body.get("perMinute") or 0) or per_second * 60
        per_hour = int(body.get("perHour") or 0) or per_minute * 60
        return cls(per_second, per_minute, per_hour)


UNLIMITED = -1

# THE published table (digest §8, §15), read by the client's throttle and by the simulator: group →
# (per second, per minute, per hour), in the order GET /rate-limits lists them. API 2.6.0 published the
# groups from ``onlineSession`` to ``other`` (close shared the opening groups); 2.7.0 added
# ``collectiveIdentifier``; 2.8.0 (the Ministry's changelog, no OpenAPI document here) gave closing a session
# groups of its own and made GET /rate-limits also report ``anonymous`` (the unauthenticated endpoints, 60/s
# per IP, no minute or hour window) and ``global`` (future per-IP limits, off). -1 = no limit in that window.
PUBLISHED: dict[str, tuple[int, int, int]] = {
    "onlineSession": (10, 30, 120),
    "onlineSessionClose": (20, 60, 240),  # 2.8.0
    "batchSession": (10, 20, 60),
    "batchSessionClose": (20, 40, 120),  # 2.8.0
    "invoiceSend": (10, 30, 180),
    "invoiceStatus": (30, 120, 1200),
    "sessionList": (5, 10, 60),
    "sessionInvoiceList": (10, 20, 200),
    "sessionMisc": (10, 120, 1200),
    "invoiceMetadata": (8, 16, 20),
    "invoiceExport": (8, 16, 20),
    "invoiceExportStatus": (10, 60, 600),
    "invoiceDownload": (8, 16, 64),
    "collectiveIdentifier": (10, 60, 120),  # 2.7.0
    OTHER: (10, 30, 120),
    "anonymous": (60, UNLIMITED, UNLIMITED),  # 2.8.0 in GET /rate-limits
    "global": (UNLIMITED, UNLIMITED, UNLIMITED),  # 2.8.0 in GET /rate-limits; not enforced yet
}
# the groups counted per context (the ones POST /testdata/rate-limits switches)
CONTEXT_GROUPS: tuple[str, ...] = tuple(g for g in PUBLISHED if g not in ("anonymous", "global"))

# The client's books: every context group, and ``public`` for the unauthenticated and auth-flow endpoints
# (KSeF's ``anonymous``: 60/s; the open minute and hour windows written as 60 times the one before).
PUBLISHED_LIMITS: dict[str, RateLimit] = {g: RateLimit(*PUBLISHED[g]) for g in CONTEXT_GROUPS}
PUBLISHED_LIMITS[PUBLIC] = RateLimit(60, 3600, 216000)

_REF = r"[^/]+"
# (method, path regex relative to /v2, group) – first match wins; anything else is ``other``.
ENDPOINT_GROUPS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(f"^{pattern}$"), group)
    for method, pattern, group in (
        ("POST", r"/sessions/online", "onlineSession"),
        ("POST", rf"/sessions/online/{_REF}/close", "onlineSessionClose"),
        ("POST", rf"/sessions/online/{_REF}/invoices", "invoiceSend"),
        ("POST", r"/sessions/batch", "batchSession"),
        ("POST", rf"/sessions/batch/{_REF}/close", "batchSessionClose"),
        ("GET", r"/sessions", "sessionList"),
        ("GET", rf"/sessions/{_REF}/invoices(/failed)?", "sessionInvoiceList"),
        ("GET", rf"/sessions/{_REF}/invoices/ksef/{_REF}/upo", "sessionMisc"),
        ("GET", rf"/sessions/{_REF}/invoices/{_REF}/upo", "sessionMisc"),
        ("GET", rf"/sessions/{_REF}/invoices/{_REF}", "invoiceStatus"),
        ("GET", rf"/sessions/{_REF}/upo/{_REF}", "sessionMisc"),
        ("GET", rf"/sessions/{_REF}", "sessionMisc"),
        ("POST", r"/invoices/query/metadata", "invoiceMetadata"),
        ("POST", r"/invoices/exports", "invoiceExport"),
        ("GET", rf"/invoices/exports/{_REF}", "invoiceExportStatus"),
        ("GET", rf"/invoices/ksef/{_REF}", "invoiceDownload"),
        ("POST", r"/collective-identifiers(/invoices)?", "collectiveIdentifier"),
        ("POST", r"/auth/(challenge|xades-signature|ksef-token|token/redeem|token/refresh)", PUBLIC),
        ("GET", r"/auth/(?!sessions$)[^/]+", PUBLIC),
        ("GET", r"/security/public-key-certificates", PUBLIC),
        ("GET", r"/peppol/query", PUBLIC),
        ("POST", r"/testdata/(subject|person|permissions|attachment)(/remove|/revoke)?", PUBLIC),
    )
)

_VARIABLE_SEGMENT = re.compile(r"\d")


def endpoint_group(method: str, path: str) -> str:
    """The published rate-limit group of an endpoint (``path`` relative to ``/v2``, no query)."""
    method = method.upper()
    path = "/" + path.split("?", 1)[0].strip("/")
    for m, pattern, group in ENDPOINT_GROUPS:
        if m == method and pattern.match(path):
            return group
    return OTHER


def endpoint_counter(method: str, path: str) -> str:
    """A per-endpoint counter name for the ``other`` group: the path with identifiers collapsed.

    Segments holding a digit (reference numbers, serials, permission ids) become ``{}``, so
    ``DELETE /tokens/20250101-EC-…`` and every other token share the counter ``/tokens/{}``. The
    method is left out on purpose: counting ``GET`` and ``DELETE`` of one path together is never
    looser than KSeF, whether it counts per path or per method and path.
    """
    del method
    segments = path.split("?", 1)[0].strip("/").split("/")
    return "/" + "/".join("{}" if _VARIABLE_SEGMENT.search(s) else s for s in segments)


def delay_until_free(
    completed: list[float], in_flight: int, now: float, limit: RateLimit, margin: float
) -> float | None:
    """Seconds until one more request fits all three windows; 0 = now; None = after a release.

    ``completed`` are sorted response times of counted requests, ``in_flight`` the reserved slots
    still waiting for their response (they count in every window and have no date yet).
    """
    wait = 0.0
    for window, allowed in zip(WINDOWS, limit.allowances(), strict=True):
        start = bisect.bisect_right(completed, now - window - margin)
        inside = len(completed) - start
        excess = inside + in_flight - allowed + 1
        if excess <= 0:
            continue
        if excess > inside:
            return None  # in-flight requests alone fill the window: wait for one to finish
        # the ``excess``-th oldest completed request must leave the window first
        wait = max(wait, completed[start + excess - 1] + window + margin - now)
    return wait
