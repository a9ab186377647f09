"""The batch watch: a closed batch session is watched by the worker that sent it.

At the final status the session UPO is stored at once; the per-invoice UPOs follow in the background.

Its entries are ``sent`` and kept from coming due while the watch lasts (postponed one lease at a
time). Each look is one status call; while KSeF is still processing, the session's invoice listing
is read page by page and the verdicts on it are recorded at once, so KSeF numbers arrive while the
rest of the batch is still being processed. After the final status the rest is read, and what is
still missing is sent again. A look that fails after KSeF answered backs off and, after
``WATCH_PARK_AFTER`` in a row, the batch is parked: its entries come due by themselves and the
ordinary poll (or another worker) decides them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from fakturnik.engine.gateway import LISTING_PAGE, InvoiceOutcome, KsefGateway
from fakturnik.engine.gateways import Gateways
from fakturnik.engine.jobs import now
from fakturnik.engine.outcomes import PENDING_CODES, SESSION_FINAL_PENDING
from fakturnik.engine.reachability import Reachability
from fakturnik.engine.reconcile import Reconciler, by_hash
from fakturnik.engine.transitions import Outbox
from fakturnik.store.health import raise_if_unusable

log = logging.getLogger("fakturnik.engine")

LIST_EVERY = 3.0  # seconds between listings of a processing batch whose first open page did not fill up
WATCH_PARK_AFTER = 5  # failed looks at one batch in a row: stop watching it (its entries come due by lease)


@dataclass
class InFlight:
    """A closed batch session this worker watches: its verdicts are recorded as the listing shows them."""

    company_id: int
    ref: str
    postponed_until: datetime  # its entries are not due before this (another worker takes over then)
    credential_id: int | None = None  # the login that opened it (None: the company's); only it reads it
    started: float = field(default_factory=time.monotonic)
    token: str | None = None  # the first listing page not yet wholly decided (None: the first page)
    next_poll: float = 0.0
    next_list: float = 0.0
    failures: int = 0  # consecutive looks that failed after KSeF answered (a bug, a database hiccup)
    expected: int | None = None  # entries sent in the batch (None: not known, found by a poll)
    decided: int = 0  # entries whose verdict was recorded so far


class BatchWatch:
    def __init__(
        self, outbox: Outbox, gateways: Gateways, reachability: Reachability, reconciler: Reconciler
    ) -> None:
        self.outbox = outbox
        self.settings = outbox.settings
        self.gateways = gateways
        self.reachability = reachability
        self.reconciler = reconciler
        self.inflight: dict[str, InFlight] = {}

    def __repr__(self) -> str:
        return f"BatchWatch({sorted(self.inflight)!r})"

    def __bool__(self) -> bool:
        return bool(self.inflight)

    def watch(
        self,
        company_id: int,
        ref: str,
        postponed_until: datetime,
        expected: int | None = None,
        *,
        credential_id: int | None = None,
    ) -> None:
        if ref not in self.inflight:
            self.inflight[ref] = InFlight(company_id, ref, postponed_until, credential_id, expected=expected)

    def look(self) -> int:
        """Look at the batches in flight that are due; returns how many entries were decided."""
        done = 0
        for flight in list(self.inflight.values()):
            if time.monotonic() < flight.next_poll:
                continue
            gateway = self.gateways.get(flight.company_id, flight.credential_id)
            if gateway is None:  # its entries come due by themselves
                del self.inflight[flight.ref]
                continue
            try:
                done += self._look(gateway, flight)
            except Exception as exc:
                raise_if_unusable(exc)
                self._failed(flight, exc)
            else:
                flight.failures = 0
        return done

    def _failed(self, flight: InFlight, exc: Exception) -> None:
        """A look failed after KSeF answered: back off, and after a few in a row park the batch."""
        flight.failures += 1
        log.warning(
            "batch %s: watching failed (%s), %d in a row", flight.ref, type(exc).__name__, flight.failures
        )
        log.debug("batch watch failed", exc_info=True)
        if flight.failures >= WATCH_PARK_AFTER:
            log.warning("batch %s: no longer watched; its entries come due by themselves", flight.ref)
            del self.inflight[flight.ref]
            return
        flight.next_poll = time.monotonic() + self.settings.backoff(flight.failures).total_seconds()

    def _look(self, gateway: KsefGateway, flight: InFlight) -> int:
        """One look at a batch in flight: the verdicts listed so far are recorded at once (KSeF numbers
        while the rest of the batch is still processing); after the session's final status, the rest."""
        moment = time.monotonic()
        age = moment - flight.started
        flight.next_poll = moment + max(self.settings.poll_interval.total_seconds(), min(age / 10, 30.0))
        try:
            status = gateway.session_status(flight.ref)
            final = status.code not in SESSION_FINAL_PENDING
            listed: list[InvoiceOutcome] = []
            if final:
                listed = list(gateway.session_invoices(flight.ref, start=flight.token))
            elif moment >= flight.next_list:
                listed, following = gateway.session_invoice_page(flight.ref, flight.token)
                decided = all(r.status_code not in PENDING_CODES for r in listed)
                if following and len(listed) >= LISTING_PAGE and decided:  # a whole page: on to the next
                    flight.token = following
                    flight.next_list = moment
                else:
                    flight.next_list = moment + LIST_EVERY
        except Exception as exc:
            self.reachability.failed(gateway, exc)
            flight.next_poll = moment + self.settings.backoff(1).total_seconds()
            return 0
        self.reachability.answered(gateway.env.api_url)
        remote = by_hash(r for r in listed if r.status_code not in PENDING_CODES or final)
        if not final and not remote:
            self._postpone(flight)
            return 0
        jobs = self.outbox.claim_session(flight.ref, None if final else list(remote))
        if final and flight.token is not None and any(j.invoice_hash not in remote for j in jobs):
            try:  # not on the pages after the token: look through the whole listing once
                remote.update(by_hash(gateway.session_invoices(flight.ref)))
            except Exception as exc:
                self.reachability.failed(gateway, exc)
                self.outbox.defer(jobs, self.settings.poll_interval)
                return 0
        missing = f"brak w paczce ({status.code} {status.description})" if final else None
        decisions = self.reconciler.settle(
            gateway, jobs, remote, missing=missing, missing_wait=self.settings.lease
        )
        self.outbox.record(decisions)
        if final:
            del self.inflight[flight.ref]
            self.outbox.session_status(flight.ref, "closed")
            self.reconciler.upos.session_upo(gateway, flight.ref, status.upo_pages)  # at once
        else:
            flight.decided += len(decisions)
            if flight.expected is not None and flight.decided >= flight.expected:
                # every number is in: only the final status (and the session UPO) is left to wait for
                flight.next_poll = moment + self.settings.poll_interval.total_seconds()
            self._postpone(flight)
        return len(jobs)

    def _postpone(self, flight: InFlight) -> None:
        """Keep the watched entries from coming due while this worker watches them."""
        moment = now()
        if flight.postponed_until - moment > self.settings.lease / 2:
            return
        flight.postponed_until = moment + self.settings.lease
        self.outbox.postpone_session(flight.ref, flight.postponed_until)
