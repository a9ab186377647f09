"""Is KSeF answering? The worker's availability watch: failures counted, outages opened and closed.

The outage rows and what they mean for offline invoices are :mod:`fakturnik.engine.availability`'s;
this module decides *when* to open or close one from what the worker's calls see.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict

from fakturnik.engine import availability
from fakturnik.engine.context import EngineContext
from fakturnik.engine.gateway import KsefGateway
from fakturnik.engine.outcomes import is_outage_error
from fakturnik.store import repo

log = logging.getLogger("fakturnik.engine")

OUTAGE_CHECK_EVERY = 5.0  # seconds between "is an outage open?" reads after successful calls


class Reachability:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._failures: dict[str, int] = defaultdict(int)
        self._outage_checked: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"Reachability({dict(self._failures)!r})"

    def available(self, gateway: KsefGateway) -> bool:
        """False while an outage is open and a probe still finds KSeF silent; a probe that is
        answered closes the outage."""
        api = gateway.env.api_url
        with self.ctx.db.transaction() as s:
            open_outage = repo.open_outage(s, api) is not None
        if not open_outage:
            return True
        try:
            gateway.probe()
        except Exception as exc:
            if is_outage_error(exc):
                return False
            raise
        self.answered(api, force=True)
        return True

    def answered(self, api: str, *, force: bool = False) -> None:
        """KSeF answered: forget failures; close an open outage (checked at most every few seconds)."""
        now = time.monotonic()
        recent = now - self._outage_checked.get(api, 0.0) < OUTAGE_CHECK_EVERY
        if not force and self._failures[api] == 0 and recent:
            return
        self._failures[api] = 0
        self._outage_checked[api] = now
        with self.ctx.db.transaction() as s:
            if repo.open_outage(s, api) is not None:
                availability.end_outage(s, api)
                log.warning("KSeF at %s answers again: outage closed", api)

    def _silent(self, api: str) -> None:
        self._failures[api] += 1
        if self._failures[api] >= self.ctx.settings.outage_threshold:
            with self.ctx.db.transaction() as s:
                if repo.open_outage(s, api) is None:
                    availability.start_outage(s, api, failures=self._failures[api])
                    log.warning("KSeF at %s does not answer: offline mode", api)

    def failed(self, gateway: KsefGateway, exc: Exception) -> None:
        """A call failed; if KSeF seems silent, confirm with quick probes and open an outage."""
        log.info("KSeF call failed: %s", type(exc).__name__)
        if not is_outage_error(exc):
            return
        api = gateway.env.api_url
        self._silent(api)
        while 0 < self._failures[api] < self.ctx.settings.outage_threshold:
            try:
                gateway.probe()
            except Exception as probe_exc:
                if not is_outage_error(probe_exc):
                    return
                self._silent(api)
            else:
                self._failures[api] = 0
                return
