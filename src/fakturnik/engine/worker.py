"""The worker's loop: claims outbox entries and moves them on through the engine's parts.

Durability rules (docs/engine.md), and where each one lives:

* Before any request that may register an invoice, the entry is written ``sending`` together with
  the session reference and the invoice hash, and committed (:mod:`~fakturnik.engine.transitions`).
  A crash after that point leaves a trace that :mod:`~fakturnik.engine.reconcile` resolves against
  KSeF before the invoice is ever sent again.
* Every write is fenced by the worker's lease (``repo.fenced``): a worker that lost its claim
  cannot overwrite what another worker decided (:mod:`~fakturnik.engine.transitions`).
* KSeF's own duplicate detection (status 440 with ``originalKsefNumber``) is the last safety net: a
  duplicate whose original has this file's SHA-256 is recorded as accepted under the original KSeF
  number, never as a second invoice; a different document that reuses a number is rejected
  (:meth:`~fakturnik.engine.reconcile.Reconciler.judge`).

The parts: :class:`Outbox` (fenced writes), :class:`Reachability` (the availability watch),
:class:`OnlinePool` (online sessions), :class:`Sender` (online and batch sends),
:class:`BatchWatch` (closed batches in flight), :class:`Reconciler` (doubt and polling),
:class:`UpoFetcher` (UPOs after the numbers).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from fakturnik.engine.batch_watch import BatchWatch
from fakturnik.engine.connect import default_gateway
from fakturnik.engine.context import EngineContext
from fakturnik.engine.gateways import GatewayFactory, Gateways
from fakturnik.engine.jobs import Job
from fakturnik.engine.online_pool import OnlinePool
from fakturnik.engine.reachability import Reachability
from fakturnik.engine.reconcile import Reconciler
from fakturnik.engine.sending import Sender
from fakturnik.engine.transitions import Outbox
from fakturnik.engine.upos import UpoFetcher
from fakturnik.ksef.backoff import delay
from fakturnik.store import repo, states
from fakturnik.store.health import contention, raise_if_unusable

__all__ = ["Job", "RunSummary", "Worker"]

log = logging.getLogger("fakturnik.engine")

UPO_RETRY_EVERY = 60.0  # seconds between retries of UPOs that could not be fetched at acceptance
RETRY_CAP = 10.0  # seconds: the longest wait between tries of a failing step of the loop
END_TRIES = 8  # tries of the closing count of undecided entries (the run's summary)

# what one step of the loop left (Worker.step)
BUSY, IDLE, DRAINED = "busy", "idle", "drained"


@dataclass(frozen=True)
class RunSummary:
    """What a :meth:`Worker.run` left behind: entries it rejected, entries not decided yet."""

    rejected: int = 0
    pending: int = 0

    @property
    def exit_code(self) -> int:
        """``worker --once``: 0 when every entry is decided and none was rejected by this run, else 1."""
        return 1 if self.rejected or self.pending else 0


class Worker:
    """One engine worker. Run several (processes) on PostgreSQL; one on SQLite."""

    def __init__(
        self,
        ctx: EngineContext,
        *,
        worker_id: str | None = None,
        gateway_factory: GatewayFactory = default_gateway,
    ) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.gateways = Gateways(ctx, gateway_factory)
        self.upos = UpoFetcher(ctx, self.gateways)
        self.outbox = Outbox(ctx, self.id, on_accepted=self.upos.accepted)
        self.reachability = Reachability(ctx)
        # an online session's UPO at once: asked for as soon as the pool closes the session
        self.pool = OnlinePool(
            self.outbox, self.settings.online_idle_close, on_closed=self.upos.session_closed
        )
        self.reconciler = Reconciler(self.outbox, self.reachability, self._watch, self.upos)
        self.batches = BatchWatch(self.outbox, self.gateways, self.reachability, self.reconciler)
        self.sender = Sender(self.outbox, self.reachability, self.pool, self.batches)
        self._sync_checked = 0.0
        self._upos_checked = time.monotonic()
        self.stop_event = threading.Event()

    def __repr__(self) -> str:
        return f"Worker({self.id!r})"

    def _watch(
        self, company_id: int, ref: str, postponed_until: datetime, credential_id: int | None = None
    ) -> None:
        self.batches.watch(company_id, ref, postponed_until, credential_id=credential_id)

    @property
    def rejected(self) -> int:
        """Entries rejected by the current run."""
        return self.outbox.rejected

    # --- loop -----------------------------------------------------------------------------------------

    def run(
        self, *, once: bool = False, idle_sleep: float = 0.5, max_seconds: float | None = None
    ) -> RunSummary:
        """Work until stopped; ``once``: until nothing is due (drained) and then return.

        Returns what the run left behind (rejected in this run, not yet decided). Every step of the
        loop is retried after a failure (:meth:`_trouble`: logged, then the backoff of
        :func:`fakturnik.ksef.backoff.delay`): another process holding the database or the throttle's
        books, a deadlock between workers, a dropped connection or a bug in one step never end a run,
        ``--once`` included. A database that cannot be used any more (corrupted, full disk, read-only,
        no schema) stops the worker with :class:`~fakturnik.errors.DatabaseUnusableError` naming the
        reason, instead of idling on it.
        """
        started = time.monotonic()
        self.outbox.rejected = 0
        failures = 0
        try:
            while not self.stop_event.is_set():
                if max_seconds is not None and time.monotonic() - started > max_seconds:
                    break
                try:
                    step = self.step(once=once)
                except Exception as exc:  # a bug or a database hiccup must not stop the worker
                    self.stop_event.wait(self._trouble(exc, failures, idle_sleep))
                    failures += 1
                    continue
                failures = 0
                if step == DRAINED:
                    break
                if step == IDLE:
                    self.stop_event.wait(idle_sleep)
        finally:
            self.shutdown()
        return RunSummary(rejected=self.rejected, pending=self._pending_at_end(idle_sleep))

    def step(self, *, once: bool = False) -> str:
        """One turn of the loop: :data:`BUSY` (something moved: go on), :data:`IDLE` (nothing due: wait),
        :data:`DRAINED` (``once`` and every entry decided: the run is over)."""
        touched = self.tick()
        self.maybe_sync()
        self.upos.fetch_closed_sessions()  # closed online sessions: their UPOs once KSeF issues them
        if time.monotonic() - self._upos_checked > UPO_RETRY_EVERY:
            self._upos_checked = time.monotonic()
            self.fetch_missing_upos()
            self.upos.fetch_missing_sessions()
        if touched == 0 and self.upos.queue and not self.batches:  # numbers first
            touched = self.upos.fetch_queued()
        if touched:
            return BUSY
        if once and self.pending() == 0:
            if self.pool.open_count:  # every number is in: close the online sessions, then their UPOs
                self.pool.close_all()
                return BUSY
            if self.upos.closed:  # KSeF is finishing a closed session (at most CLOSED_WATCH)
                return IDLE
            self.fetch_missing_upos(limit=10_000)  # a last try for UPOs that failed
            self.upos.fetch_missing_sessions()
            return DRAINED
        return IDLE

    def _trouble(self, exc: Exception, failures: int, idle_sleep: float) -> float:
        """Log a failed step and say how long to wait before the next (unusable database: raise)."""
        raise_if_unusable(exc)
        wait = delay(failures, base=max(idle_sleep, 0.05), cap=RETRY_CAP)
        busy = contention(exc)
        if busy is not None:
            log.warning("worker step: %s (%s); again in %.1f s", busy, type(exc).__name__, wait)
        else:
            log.error("worker step failed: %s; again in %.1f s", type(exc).__name__, wait)
        log.debug("worker step failed", exc_info=True)
        return wait

    def _pending_at_end(self, idle_sleep: float) -> int:
        """:meth:`pending` for the summary, asked again while the database is held by another process."""
        for failures in range(END_TRIES):
            try:
                return self.pending()
            except Exception as exc:
                if failures == END_TRIES - 1:
                    raise_if_unusable(exc)
                    raise
                time.sleep(self._trouble(exc, failures, idle_sleep))
        raise AssertionError("unreachable")

    def tick(self) -> int:
        """Look at the batches in flight, then claim one company's due entries and move each on once."""
        watched = self.batches.look()
        jobs, company = self.outbox.claim()
        if not jobs or company is None:
            self.pool.close_idle()
            return watched
        try:
            gateway = self.gateways.for_company(company, jobs[0].credential_id)  # the jobs' login (c16)
        except Exception as exc:
            log.warning("company %s: cannot prepare KSeF access: %s", company.nip, type(exc).__name__)
            self.outbox.defer(jobs, self.settings.backoff(3), str(exc))
            return len(jobs)
        if not self.reachability.available(gateway):
            self.outbox.defer(jobs, self.settings.backoff(2))
            return len(jobs)
        self.reconciler.reconcile(gateway, [j for j in jobs if j.state in (states.SENDING, states.UNCERTAIN)])
        self.reconciler.poll(gateway, [j for j in jobs if j.state == states.SENT])
        self.sender.send(company.id, gateway, [j for j in jobs if j.state == states.QUEUED])
        self.pool.close_idle()
        return len(jobs) + watched

    def maybe_sync(self, *, force: bool = False) -> int:
        """Scheduled incoming sync: every company with credentials, at most once per ``sync_interval``.

        Several workers may call this; the checkpoint row decides who runs (``sync.claim_sync``).
        Returns the number of new received invoices.
        """
        interval = self.settings.sync_interval
        if interval is None and not force:
            return 0
        if not force and time.monotonic() - self._sync_checked < 30:
            return 0
        self._sync_checked = time.monotonic()
        from fakturnik.engine.sync import sync_company

        with self.ctx.db.transaction() as s:
            nips = [c.nip for c in repo.list_companies(s) if repo.active_credential(s, c.id) is not None]
        new = 0
        for nip in nips:
            try:
                new += sync_company(self.ctx, nip, interval=interval or timedelta(0)).new
            except Exception as exc:  # a failed sync must not stop sending
                log.warning("incoming sync of %s failed: %s", nip, type(exc).__name__)
        return new

    def fetch_missing_upos(self, limit: int = 50) -> int:
        """UPOs of accepted invoices that do not have one yet (after a failed first try)."""
        return self.upos.fetch_missing(limit)

    def pending(self) -> int:
        """Entries not yet decided (accepted or rejected)."""
        with self.ctx.db.transaction() as s:
            counts = repo.outbox_counts(s)
        return sum(n for state, n in counts.items() if state not in states.TERMINAL)

    def shutdown(self) -> None:
        self.pool.close_all()
        self.gateways.close()
