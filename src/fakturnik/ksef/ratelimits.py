"""The published KSeF rate-limit table (digest §8, §15): the one copy the client and the simulator read.

Requests per second, minute and hour for each group of ``GET /rate-limits``. API 2.6.0 published the twelve
groups from ``onlineSession`` to ``other``; 2.7.0 added ``collectiveIdentifier``; 2.8.0 (from the Ministry's
changelog, no OpenAPI document here) gave closing a session groups of its own (``onlineSessionClose``,
``batchSessionClose``) and made ``GET /rate-limits`` also report ``anonymous`` (unauthenticated endpoints,
60/s per IP, no minute or hour window) and ``global`` (future per-IP limits, off: ``-1`` everywhere).
``-1`` means "no limit in this window", as KSeF writes it.
"""

from __future__ import annotations

from typing import Final

UNLIMITED: Final = -1

# group → (per second, per minute, per hour), in the order GET /rate-limits lists them
PUBLISHED: Final[dict[str, tuple[int, int, int]]] = {
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
    "other": (10, 30, 120),
    "anonymous": (60, UNLIMITED, UNLIMITED),  # 2.8.0 in GET /rate-limits; the public endpoints
    "global": (UNLIMITED, UNLIMITED, UNLIMITED),  # 2.8.0 in GET /rate-limits; not enforced yet
}

# groups a caller can switch with POST /testdata/rate-limits (the ones counted per context)
CONTEXT_GROUPS: Final = tuple(g for g in PUBLISHED if g not in ("anonymous", "global"))
# groups added after 2.6.0 that an override body written for an older API may lack: they keep their
# published values
ADDED_AFTER_260: Final = ("onlineSessionClose", "batchSessionClose", "collectiveIdentifier")
