"""The worker: claims outbox entries, reconciles doubt, polls verdicts, sends, stores KSeF numbers and UPOs.

Durability rules (the reason this module exists):

* Before any request that may register an invoice, the entry is written ``sending`` together with
  the session reference and the invoice hash, and committed. A crash after that point leaves a
  trace that :meth:`Worker._reconcile` resolves against KSeF before the invoice is ever sent again.
* Every write is fenced by the worker's lease (``repo.fenced``): a worker that lost its claim
  cannot overwrite what another worker decided.
* KSeF's own duplicate detection (status 440 with ``originalKsefNumber``) is the last safety net: a
  duplicate whose original has this file's SHA-256 is recorded as accepted under the original KSeF
  number, never as a second invoice; a different document that reuses a number is rejected.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fakturnik.engine import availability, refusals
from fakturnik.engine.connect import default_gateway
from fakturnik.engine.context import EngineContext
from fakturnik.engine.gateway import LISTING_PAGE, KsefGateway, RemoteInvoice, prepare_batch
from fakturnik.engine.outcomes import (
    PENDING_CODES,
    SELLER_NOT_ENTITLED,
    InvoiceVerdict,
    SendFate,
    Verdict,
    backoff,
    classify_send_error,
    is_outage_error,
    judge_invoice_status,
    settle_duplicate,
)
from fakturnik.engine.planner import Queued, plan
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.ksef.sessions import OnlineSession
from fakturnik.store import repo, states
from fakturnik.store.health import raise_if_unusable
from fakturnik.store.models import Batch, Company, Invoice, KsefSession, OutboxEntry

log = logging.getLogger("fakturnik.engine")

SESSION_FINAL_PENDING = frozenset({100, 150, 170})
ONLINE_SESSION_MAX = 9_000  # roll over before KSeF's 10 000 invoices per session
SESSION_RENEW_BEFORE = timedelta(minutes=15)  # open a new online session before KSeF's 12 h close
UPO_RETRY_EVERY = 60.0  # seconds between retries of UPOs that could not be fetched at acceptance
OUTAGE_CHECK_EVERY = 5.0  # seconds between "is an outage open?" reads after successful calls
LIST_EVERY = 3.0  # seconds between listings of a processing batch whose first open page did not fill up
LIST_INSTEAD_OF_STATUS = 5  # this many waiting in one session: one listing beats per-invoice status calls


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Job:
    """A claimed entry as plain data (no ORM object crosses a transaction)."""

    id: int
    invoice_id: int
    company_id: int
    state: str
    urgent: bool
    offline_mode: bool
    invoice_hash: str
    attempts: int
    session_ref: str | None
    session_kind: str | None
    invoice_ref: str | None
    send_started_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, e: OutboxEntry) -> Job:
        return cls(
            e.id,
            e.invoice_id,
            e.company_id,
            e.state,
            e.urgent,
            e.offline_mode,
            e.invoice_hash,
            e.attempts,
            e.session_ref,
            e.session_kind,
            e.invoice_ref,
            e.send_started_at,
            e.created_at,
        )


@dataclass(frozen=True)
class RunSummary:
    """What a :meth:`Worker.run` left behind: entries it rejected, entries not decided yet."""

    rejected: int = 0
    pending: int = 0

    @property
    def exit_code(self) -> int:
        """``worker --once``: 0 when every entry is decided and none was rejected by this run, else 1."""
        return 1 if self.rejected or self.pending else 0


@dataclass
class _Online:
    session: OnlineSession
    ref: str
    count: int
    last_used: float


@dataclass
class _InFlight:
    """A closed batch session this worker watches: its verdicts are recorded as the listing shows them."""

    company_id: int
    ref: str
    postponed_until: datetime  # its entries are not due before this (another worker takes over then)
    started: float = field(default_factory=time.monotonic)
    token: str | None = None  # the first listing page not yet wholly decided (None: the first page)
    next_poll: float = 0.0
    next_list: float = 0.0


GatewayFactory = Callable[[EngineContext, Company], KsefGateway]
Decision = tuple[Job, InvoiceVerdict, RemoteInvoice | None, str | None]
UpoTask = tuple[Job, str, str, str | None]  # job, session ref, KSeF number, pre-signed UPO link


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
        self._factory = gateway_factory
        self._gateways: dict[int, KsefGateway] = {}
        self._online: dict[tuple[int, bool], _Online] = {}
        self._failures: dict[str, int] = defaultdict(int)
        self._claimed: list[int] = []
        self._sync_checked = 0.0
        self._upos_checked = time.monotonic()
        self._outage_checked: dict[str, float] = {}
        self._renewed_at = 0.0
        self.rejected = 0  # entries rejected by the current run
        self._upo_queue: deque[UpoTask] = deque()  # accepted, UPO not fetched yet (with its link)
        self._inflight: dict[str, _InFlight] = {}  # batch sessions this worker closed, still processing
        self.stop_event = threading.Event()

    def __repr__(self) -> str:
        return f"Worker({self.id!r})"

    # --- loop -----------------------------------------------------------------------------------------

    def run(
        self, *, once: bool = False, idle_sleep: float = 0.5, max_seconds: float | None = None
    ) -> RunSummary:
        """Work until stopped; ``once``: until nothing is due (drained) and then return.

        Returns what the run left behind (rejected in this run, not yet decided). A database that
        cannot be used any more (corrupted, full disk, read-only, no schema) stops the worker with
        :class:`~fakturnik.errors.DatabaseUnusableError` naming the reason, instead of idling on it.
        """
        started = time.monotonic()
        self.rejected = 0
        try:
            while not self.stop_event.is_set():
                try:
                    touched = self.tick()
                    self.maybe_sync()
                    if time.monotonic() - self._upos_checked > UPO_RETRY_EVERY:
                        self._upos_checked = time.monotonic()
                        self.fetch_missing_upos()
                except Exception as exc:  # a bug or a database hiccup must not stop the worker
                    raise_if_unusable(exc)
                    log.error("worker tick failed: %s", type(exc).__name__)
                    log.debug("worker tick failed", exc_info=True)
                    self.stop_event.wait(min(5.0, idle_sleep * 4))
                    continue
                if max_seconds is not None and time.monotonic() - started > max_seconds:
                    break
                if touched == 0 and self._upo_queue and not self._inflight:  # numbers first
                    touched = self.fetch_queued_upos()
                if touched == 0:
                    if once and self.pending() == 0:
                        self.fetch_missing_upos(limit=10_000)  # a last try for UPOs that failed
                        break
                    self.stop_event.wait(idle_sleep)
        except Exception as exc:
            raise_if_unusable(exc)
            raise
        finally:
            self.shutdown()
        try:
            left = self.pending()
        except Exception as exc:
            raise_if_unusable(exc)
            raise
        return RunSummary(rejected=self.rejected, pending=left)

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

    def pending(self) -> int:
        """Entries not yet decided (accepted or rejected)."""
        with self.ctx.db.transaction() as s:
            counts = repo.outbox_counts(s)
        return sum(n for state, n in counts.items() if state not in states.TERMINAL)

    def shutdown(self) -> None:
        for key in list(self._online):
            self._close_online(key)
        for gateway in self._gateways.values():
            gateway.close()
        self._gateways.clear()

    def tick(self) -> int:
        """Claim one company's due entries and move each of them forward once."""
        watched = self._watch_batches()
        now = _now()
        with self.ctx.db.transaction() as s:
            claimed = repo.claim(
                s, self.id, now=now, lease=self.settings.lease, limit=self.settings.claim_limit
            )
            jobs = [Job.of(e) for e in claimed]
            self._claimed = [j.id for j in jobs]
            self._renewed_at = time.monotonic()
            company = s.get(Company, jobs[0].company_id) if jobs else None
            if company is not None:
                s.expunge(company)
        if not jobs or company is None:
            self._close_idle_sessions()
            return watched
        try:
            gateway = self._gateway(company)
        except Exception as exc:
            log.warning("company %s: cannot prepare KSeF access: %s", company.nip, type(exc).__name__)
            self._defer(
                jobs, backoff(3, base=self.settings.backoff_base, cap=self.settings.backoff_cap), str(exc)
            )
            return len(jobs)
        if not self._available(company, gateway):
            self._defer(jobs, backoff(2, base=self.settings.backoff_base, cap=self.settings.backoff_cap), "")
            return len(jobs)
        doubtful = [j for j in jobs if j.state in (states.SENDING, states.UNCERTAIN)]
        waiting = [j for j in jobs if j.state == states.SENT]
        fresh = [j for j in jobs if j.state == states.QUEUED]
        self._reconcile(gateway, doubtful)
        self._poll(gateway, waiting)
        self._send(company, gateway, fresh)
        self._close_idle_sessions()
        return len(jobs) + watched

    # --- companies and availability --------------------------------------------------------------------

    def _gateway(self, company: Company) -> KsefGateway:
        gateway = self._gateways.get(company.id)
        if gateway is None:
            gateway = self._gateways[company.id] = self._factory(self.ctx, company)
        return gateway

    def _available(self, company: Company, gateway: KsefGateway) -> bool:
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
        self._ksef_answered(api, force=True)
        return True

    def _ksef_answered(self, api: str, *, force: bool = False) -> None:
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

    def _ksef_silent(self, api: str) -> None:
        self._failures[api] += 1
        if self._failures[api] >= self.settings.outage_threshold:
            with self.ctx.db.transaction() as s:
                if repo.open_outage(s, api) is None:
                    availability.start_outage(s, api, failures=self._failures[api])
                    log.warning("KSeF at %s does not answer: offline mode", api)

    # --- writes ---------------------------------------------------------------------------------------

    def _defer(self, jobs: Sequence[Job], delay: timedelta, note: str) -> None:
        """Fenced: the entries still held wait ``delay`` and are released (one statement per 900)."""
        if not jobs:
            return
        with self.ctx.db.transaction() as s:
            repo.defer_many(s, [j.id for j in jobs], self.id, when=_now() + delay, note=note)

    def _keepalive(self) -> None:
        """Extend the lease of everything still claimed once a third of it has passed (long claims)."""
        lease = self.settings.lease.total_seconds()
        if not self._claimed or time.monotonic() - self._renewed_at < lease / 3:
            return
        with self.ctx.db.transaction() as s:
            repo.extend_leases(s, self.id, self._claimed, _now() + self.settings.lease)
        self._renewed_at = time.monotonic()

    def _apply(
        self, job: Job, verdict: InvoiceVerdict, remote: RemoteInvoice | None, session_ref: str | None
    ) -> None:
        """Record what KSeF said about one invoice."""
        self._apply_many([(job, verdict, remote, session_ref)])

    def _apply_many(self, decisions: Sequence[Decision], chunk: int = 500) -> None:
        """Record many verdicts, a chunk per transaction; then fetch the new UPOs."""
        upos: list[UpoTask] = []
        for start in range(0, len(decisions), chunk):
            self._keepalive()
            part = decisions[start : start + chunk]
            with self.ctx.db.transaction() as s, s.no_autoflush:
                # three queries for the whole chunk instead of three per invoice
                entries = repo.fenced_many(s, [d[0].id for d in part], self.id)
                invoices = repo.invoices_by_id(s, [d[0].invoice_id for d in part])
                numbers = repo.invoices_by_ksef_numbers(
                    s,
                    [v.ksef_number for _, v, _, _ in part if v.verdict is Verdict.ACCEPTED and v.ksef_number],
                    company_ids=[d[0].company_id for d in part],
                    direction="issued",
                )
                for job, verdict, remote, session_ref in part:
                    entry = entries.get(job.id)
                    if entry is None:  # lease lost: another worker owns it now
                        continue
                    task = self._record(
                        s, job, verdict, remote, session_ref, entry, invoices[job.invoice_id], numbers
                    )
                    if task is not None:
                        upos.append(task)
        if upos and self.settings.upo_fetch:
            if self.settings.upo_later:  # KSeF numbers first; the UPOs when nothing else is due
                self._upo_queue.extend(upos)
            else:
                self._fetch_upos(upos)

    def _record(
        self,
        s: Session,
        job: Job,
        verdict: InvoiceVerdict,
        remote: RemoteInvoice | None,
        session_ref: str | None,
        entry: OutboxEntry,
        invoice: Invoice,
        numbers: dict[tuple[int, str], Invoice],
    ) -> UpoTask | None:
        """Apply one verdict inside the caller's transaction; returns the UPO to fetch, if any.

        ``entry`` is fenced (locked, still this worker's); ``numbers`` holds the invoices that have
        the chunk's KSeF numbers and is kept up to date as numbers are assigned.
        """
        if remote is not None:
            entry.invoice_ref = remote.reference_number
        if session_ref is not None:
            entry.session_ref = session_ref
        task: UpoTask | None = None
        if verdict.verdict is Verdict.ACCEPTED:
            assert verdict.ksef_number is not None
            clash = numbers.get((invoice.company_id, verdict.ksef_number))
            if clash is not None and clash.id != invoice.id:
                self._reject(
                    s, entry, invoice, "440", f"duplikat faktury {clash.number} ({clash.ksef_number})"
                )
                repo.release(entry)
                return None
            if verdict.duplicate and remote is not None:
                original_session = remote.extensions.get("originalSessionReferenceNumber")
                if original_session:
                    entry.session_ref = original_session
            entry.state = states.ACCEPTED
            entry.last_error = None
            invoice.ksef_number = verdict.ksef_number
            numbers[(invoice.company_id, verdict.ksef_number)] = invoice
            invoice.acquired_at = _now()
            invoice.error_code = invoice.error_message = None
            repo.set_invoice_status(s, invoice, states.ACCEPTED, verdict.ksef_number)
            repo.audit(
                s,
                self.id,
                "invoice.accepted",
                company_id=invoice.company_id,
                invoice_id=invoice.id,
                detail={"ksefNumber": verdict.ksef_number, "duplicate": verdict.duplicate},
            )
            if entry.session_ref:
                url = remote.upo_url if remote is not None and not verdict.duplicate else None
                task = (job, entry.session_ref, verdict.ksef_number, url)
        elif verdict.verdict is Verdict.PENDING:
            entry.state = states.SENT
            entry.next_attempt_at = _now() + self.settings.poll_interval
            repo.set_invoice_status(s, invoice, states.SENT, verdict.message)
        elif verdict.verdict is Verdict.RESEND and verdict.code == SELLER_NOT_ENTITLED:
            self._requeue(
                entry, invoice, s, refusals.seller_refusal_note(s, invoice.company_id, invoice.seller_nip)
            )
        elif verdict.verdict is Verdict.RESEND:
            self._requeue(entry, invoice, s, f"{verdict.code}: {verdict.message}")
        elif verdict.duplicate:  # a reused number on a different document: name both numbers
            message = verdict.message.replace("Numer tej faktury", f"Numer faktury {invoice.number}", 1)
            self._reject(s, entry, invoice, str(verdict.code), message)
        else:
            self._reject(s, entry, invoice, str(verdict.code), verdict.message)
        repo.release(entry)
        return task

    def _fetch_upos(self, tasks: Sequence[UpoTask], threads: int = 8, chunk: int = 500) -> None:
        """Download UPOs (pre-signed links are not rate-limited) in parallel; store them in chunks."""
        from concurrent.futures import ThreadPoolExecutor

        def fetch(task: UpoTask) -> tuple[int, str, bytes] | None:
            job, session_ref, number, url = task
            gateway = self._gateways.get(job.company_id)
            if gateway is None:
                return None
            try:
                return job.invoice_id, number, gateway.invoice_upo(session_ref, number, url)
            except Exception as exc:
                log.info("UPO of %s not fetched yet (%s)", number, type(exc).__name__)
                return None

        with ThreadPoolExecutor(max_workers=min(threads, len(tasks))) as pool:
            results = [r for r in pool.map(fetch, tasks) if r is not None]
        for start in range(0, len(results), chunk):
            with self.ctx.db.transaction() as s:
                for invoice_id, number, xml in results[start : start + chunk]:
                    invoice = s.get(Invoice, invoice_id)
                    if invoice is None:
                        continue
                    try:
                        with s.begin_nested():
                            repo.save_upo(s, invoice, number, xml, sha256_b64(xml))
                    except IntegrityError:  # another worker stored it a moment ago
                        continue

    def _requeue(self, entry: OutboxEntry, invoice: Invoice, s: Session, note: str) -> None:
        # waiting for a grant in KSeF is not the invoice's failure: it never runs out of attempts
        if entry.attempts >= self.settings.max_attempts and not refusals.is_waiting_for_permission(note):
            self._reject(s, entry, invoice, "attempts", f"zbyt wiele prób wysyłki; ostatnio: {note}")
            return
        entry.state = states.QUEUED
        entry.session_ref = entry.session_kind = entry.invoice_ref = None
        entry.send_started_at = None
        entry.next_attempt_at = _now() + backoff(
            entry.attempts, base=self.settings.backoff_base, cap=self.settings.backoff_cap
        )
        entry.last_error = note[:2000]
        repo.set_invoice_status(s, invoice, states.OFFLINE if entry.offline_mode else states.QUEUED, note)

    def _reject(self, s: Session, entry: OutboxEntry, invoice: Invoice, code: str, message: str) -> None:
        self.rejected += 1
        entry.state = states.REJECTED
        entry.last_error = f"{code}: {message}"[:2000]
        invoice.error_code = code[:32]
        invoice.error_message = message[:4000]
        repo.set_invoice_status(s, invoice, states.REJECTED, f"{code}: {message}")
        repo.audit(
            s,
            self.id,
            "invoice.rejected",
            company_id=invoice.company_id,
            invoice_id=invoice.id,
            detail={"code": code, "message": message[:500]},
        )

    def fetch_queued_upos(self, chunk: int = 500) -> int:
        """Fetch up to ``chunk`` UPOs of invoices accepted by this worker (pre-signed links, unlimited)."""
        tasks = [self._upo_queue.popleft() for _ in range(min(chunk, len(self._upo_queue)))]
        if tasks:
            self._fetch_upos(tasks)
        return len(tasks)

    def fetch_missing_upos(self, limit: int = 50) -> int:
        """UPOs of accepted invoices that do not have one yet (after a failed first try)."""
        from fakturnik.store.models import Upo

        if not self.settings.upo_fetch:
            return 0
        with self.ctx.db.transaction() as s:
            rows = s.execute(
                select(OutboxEntry, Invoice.ksef_number)
                .join(Invoice, Invoice.id == OutboxEntry.invoice_id)
                .outerjoin(Upo, Upo.invoice_id == Invoice.id)
                .where(
                    OutboxEntry.state == states.ACCEPTED,
                    Upo.id.is_(None),
                    OutboxEntry.session_ref.is_not(None),
                )
                .limit(limit)
            ).all()
            todo = [(Job.of(e), n) for e, n in rows]
        by_session: dict[tuple[int, str], list[tuple[Job, str]]] = defaultdict(list)
        for job, number in todo:
            assert job.session_ref is not None and number is not None
            by_session[(job.company_id, job.session_ref)].append((job, number))
        done = 0
        for (company_id, session_ref), group in by_session.items():
            if company_id not in self._gateways:
                with self.ctx.db.transaction() as s:
                    company = s.get(Company, company_id)
                    assert company is not None
                    s.expunge(company)
                self._gateway(company)
            links: dict[str, str] = {}
            if len(group) >= LIST_INSTEAD_OF_STATUS:  # one listing gives every pre-signed link
                try:
                    links = {
                        r.ksef_number: r.upo_url
                        for r in self._gateways[company_id].session_invoices(session_ref)
                        if r.ksef_number and r.upo_url
                    }
                except Exception as exc:
                    log.info("session %s not listed for UPO links (%s)", session_ref, type(exc).__name__)
            self._fetch_upos([(job, session_ref, number, links.get(number)) for job, number in group])
            done += len(group)
        return done

    # --- reconciliation -------------------------------------------------------------------------------

    def _reconcile(self, gateway: KsefGateway, jobs: Sequence[Job]) -> None:
        """Entries whose last send may or may not have reached KSeF: ask KSeF before anything else."""
        now = _now()
        ready: list[Job] = []
        for job in jobs:
            started = job.send_started_at or job.created_at
            if now < started + self.settings.reconcile_after:
                self._defer([job], started + self.settings.reconcile_after - now, "")
            else:
                ready.append(job)
        by_session: dict[str | None, list[Job]] = defaultdict(list)
        for job in ready:
            by_session[job.session_ref].append(job)
        for session_ref, group in by_session.items():
            if session_ref is None:  # "sending" written, no session yet: nothing can have been sent
                for job in group:
                    self._apply(job, InvoiceVerdict(Verdict.RESEND, message="brak sesji"), None, None)
                continue
            try:
                kind = group[0].session_kind or "online"
                if kind == "batch":
                    status = gateway.session_status(session_ref)
                    if status.code == 100:
                        # never closed: KSeF will not process it; the parts cannot be uploaded again
                        for job in group:
                            self._apply(
                                job, InvoiceVerdict(Verdict.RESEND, message="paczka niezamknięta"), None, None
                            )
                        continue
                    if status.code in SESSION_FINAL_PENDING:
                        self._defer(group, self.settings.poll_interval * 5, "")
                        continue
                remote = {r.invoice_hash: r for r in gateway.session_invoices(session_ref)}
            except Exception as exc:
                self._note_failure(gateway, exc)
                self._defer(
                    group, backoff(1, base=self.settings.backoff_base, cap=self.settings.backoff_cap), ""
                )
                continue
            self._ksef_answered(gateway.env.api_url)
            for job in group:
                found = remote.get(job.invoice_hash)
                if found is None:
                    log.info("entry %s: not in session %s, sending again", job.id, session_ref)
                    self._apply(
                        job, InvoiceVerdict(Verdict.RESEND, message="nie dotarła do KSeF"), None, None
                    )
                elif (verdict := self._judge(gateway, job, found)) is None:
                    self._defer([job], self.settings.poll_interval * 5, "")
                else:
                    self._apply(job, verdict, found, session_ref)

    def _judge(self, gateway: KsefGateway, job: Job, remote: RemoteInvoice) -> InvoiceVerdict | None:
        """What KSeF's record of the invoice means; None when a 440 could not be checked yet (ask later).

        A 440 counts as "already registered" only when the original's SHA-256 equals this file's
        (a resend after an uncertain outcome); a reused number on a different document is a rejection.
        """
        verdict = judge_invoice_status(
            remote.code, remote.description, remote.ksef_number, remote.details, remote.extensions
        )
        if verdict.verdict is not Verdict.DUPLICATE:
            return verdict
        try:
            check = gateway.check_duplicate(job.invoice_hash, remote.extensions)
        except Exception as exc:
            self._note_failure(gateway, exc)
            return None
        if check is None:
            return settle_duplicate(verdict, False)
        return settle_duplicate(verdict, check.same_file, check.rejection(None))

    def _note_failure(self, gateway: KsefGateway, exc: Exception) -> None:
        """A call failed; if KSeF seems silent, confirm with quick probes and open an outage."""
        log.info("KSeF call failed: %s", type(exc).__name__)
        if not is_outage_error(exc):
            return
        api = gateway.env.api_url
        self._ksef_silent(api)
        while 0 < self._failures[api] < self.settings.outage_threshold:
            try:
                gateway.probe()
            except Exception as probe_exc:
                if not is_outage_error(probe_exc):
                    return
                self._ksef_silent(api)
            else:
                self._failures[api] = 0
                return

    # --- polling --------------------------------------------------------------------------------------

    def _poll(self, gateway: KsefGateway, jobs: Sequence[Job]) -> None:
        online = [j for j in jobs if j.session_kind != "batch" and j.invoice_ref and j.session_ref]
        batch: dict[str, list[Job]] = defaultdict(list)
        for j in jobs:
            if j.session_kind == "batch" and j.session_ref:
                batch[j.session_ref].append(j)
        broken = [j for j in jobs if j not in online and not (j.session_kind == "batch" and j.session_ref)]
        for job in broken:
            self._apply(job, InvoiceVerdict(Verdict.RESEND, message="niepełny zapis wysyłki"), None, None)
        by_session: dict[str, list[Job]] = defaultdict(list)
        for job in online:
            assert job.session_ref is not None
            by_session[job.session_ref].append(job)
        for session_ref, group in by_session.items():
            if len(group) >= LIST_INSTEAD_OF_STATUS:
                batch[session_ref].extend(group)  # one listing call instead of many status calls
                continue
            for job in group:
                assert job.invoice_ref is not None
                try:
                    remote = gateway.invoice_status(session_ref, job.invoice_ref)
                except Exception as exc:
                    self._note_failure(gateway, exc)
                    self._defer(
                        [job], backoff(1, base=self.settings.backoff_base, cap=self.settings.backoff_cap), ""
                    )
                    continue
                self._ksef_answered(gateway.env.api_url)
                if (verdict := self._judge(gateway, job, remote)) is None:
                    self._defer([job], self.settings.poll_interval * 5, "")
                else:
                    self._apply(job, verdict, remote, None)
        for session_ref, group in batch.items():
            is_batch = group[0].session_kind == "batch"
            try:
                if is_batch:
                    status = gateway.session_status(session_ref)
                    if status.code in SESSION_FINAL_PENDING:  # still processing: watch it from here
                        self._watch(group[0].company_id, session_ref, _now() + self.settings.lease)
                        self._defer(group, self.settings.lease, "")
                        continue
                by_hash = {r.invoice_hash: r for r in gateway.session_invoices(session_ref)}
            except Exception as exc:
                self._note_failure(gateway, exc)
                self._defer(
                    group, backoff(1, base=self.settings.backoff_base, cap=self.settings.backoff_cap), ""
                )
                continue
            self._ksef_answered(gateway.env.api_url)
            if is_batch:
                self._mark_session(session_ref, "closed")
            decisions: list[Decision] = []
            for job in group:
                found = by_hash.get(job.invoice_hash)
                if found is not None:
                    if (verdict := self._judge(gateway, job, found)) is None:
                        self._defer([job], self.settings.poll_interval * 5, "")
                    else:
                        decisions.append((job, verdict, found, None))
                elif is_batch:
                    note = f"brak w paczce ({status.code} {status.description})"
                    decisions.append((job, InvoiceVerdict(Verdict.RESEND, message=note), None, None))
                else:  # acknowledged (202) but not listed yet: ask again later
                    self._defer([job], self.settings.poll_interval, "")
            self._apply_many(decisions)

    # --- sending --------------------------------------------------------------------------------------

    def _send(self, company: Company, gateway: KsefGateway, jobs: Sequence[Job]) -> None:
        files = self._files_of(jobs)  # one query: each file and, for a technical correction, its hash
        xml = {i: data for i, (data, _) in files.items()}
        corrected = {i: h for i, (_, h) in files.items() if h is not None}
        if corrected:  # technical corrections go in online sessions only (digest §10)
            fixes = [j for j in jobs if j.invoice_id in corrected]
            self._send_online(company, gateway, fixes, True, xml, corrected)
            jobs = [j for j in jobs if j.invoice_id not in corrected]
        for offline in (False, True):
            part = [j for j in jobs if j.offline_mode is offline]
            if not part:
                continue
            chosen = plan([Queued(j.urgent, j.created_at) for j in part], _now(), self.settings.planner)
            online = [part[i] for i in chosen.online]
            if online:  # urgent ones first, by themselves
                self._send_online(company, gateway, online, offline, xml)
            batch = [part[i] for i in chosen.batch]
            limit = self.settings.planner.batch_max_invoices
            for i in range(0, len(batch), limit):
                self._send_batch(company, gateway, batch[i : i + limit], offline, xml)

    def _mark_sending(self, jobs: Sequence[Job], session_ref: str | None, kind: str) -> list[Job]:
        """Durably record "about to send" (hash + session) and extend the lease; returns jobs still ours."""
        now = _now()
        with self.ctx.db.transaction() as s:
            held = set(
                repo.mark_sending_many(
                    s,
                    [j.id for j in jobs],
                    self.id,
                    session_ref=session_ref,
                    session_kind=kind,
                    now=now,
                    lease_until=now + self.settings.lease,
                )
            )
        return [j for j in jobs if j.id in held]  # the others lost their lease

    def _fenced(
        self, s: Session, jobs: Sequence[Job], now: datetime, chunk: int = 900
    ) -> dict[int, OutboxEntry]:
        """The entries of ``jobs`` this worker still holds, locked; one query per ``chunk`` ids."""
        found: dict[int, OutboxEntry] = {}
        for start in range(0, len(jobs), chunk):
            ids = [j.id for j in jobs[start : start + chunk]]
            found.update(repo.fenced_many(s, ids, self.id, now=now))
        return found

    def _sent(self, job: Job, invoice_ref: str) -> None:
        with self.ctx.db.transaction() as s:
            try:
                entry = repo.fenced(s, job.id, self.id)
            except repo.LeaseLostError:
                return
            entry.state = states.SENT
            entry.invoice_ref = invoice_ref
            entry.next_attempt_at = _now() + self.settings.poll_interval
            invoice = s.get(Invoice, job.invoice_id)
            assert invoice is not None
            repo.set_invoice_status(s, invoice, states.SENT, invoice_ref)
            repo.release(entry)

    def _send_failed(self, job: Job, exc: Exception) -> None:
        failure = classify_send_error(exc)
        with self.ctx.db.transaction() as s:
            try:
                entry = repo.fenced(s, job.id, self.id)
            except repo.LeaseLostError:
                return
            invoice = s.get(Invoice, job.invoice_id)
            assert invoice is not None
            if failure.fate is SendFate.UNCERTAIN:
                entry.state = states.UNCERTAIN
                entry.last_error = failure.message[:2000]
                entry.next_attempt_at = (entry.send_started_at or _now()) + self.settings.reconcile_after
                repo.set_invoice_status(s, invoice, states.UNCERTAIN, failure.message)
            elif failure.fate is SendFate.REJECTED:
                self._reject(s, entry, invoice, failure.code or "400", failure.message)
            else:
                note = refusals.permission_note(s, job.company_id, exc) or failure.message
                self._requeue(entry, invoice, s, note)
                if failure.fate is SendFate.NEW_SESSION:
                    entry.next_attempt_at = _now()
                elif failure.retry_after is not None:
                    entry.next_attempt_at = _now() + timedelta(seconds=failure.retry_after)
            repo.release(entry)

    def _files_of(self, jobs: Sequence[Job]) -> dict[int, tuple[bytes, str | None]]:
        """Invoice id → (XML, hashOfCorrectedInvoice when the file is a technical correction)."""
        with self.ctx.db.transaction() as s:
            rows = s.execute(
                select(Invoice.id, Invoice.xml, Invoice.corrected_hash).where(
                    Invoice.id.in_([j.invoice_id for j in jobs])
                )
            ).all()
        return {int(i): (bytes(x), h) for i, x, h in rows}

    def _xml_of(self, jobs: Sequence[Job]) -> dict[int, bytes]:
        return {i: data for i, (data, _) in self._files_of(jobs).items()}

    def _online_session(self, company: Company, gateway: KsefGateway, offline: bool) -> _Online:
        key = (company.id, offline)
        current = self._online.get(key)
        valid_until = current.session.valid_until if current is not None else None
        fresh = valid_until is None or valid_until - SESSION_RENEW_BEFORE > _now()
        if current is not None and current.count < ONLINE_SESSION_MAX and fresh:
            return current
        if current is not None:
            self._close_online(key)
        session = gateway.open_online()
        with self.ctx.db.transaction() as s:
            s.add(
                KsefSession(
                    company_id=company.id,
                    reference_number=session.ref,
                    kind="online",
                    opened_by=self.id,
                    valid_until=session.valid_until,
                )
            )
        current = self._online[key] = _Online(session, session.ref, 0, time.monotonic())
        return current

    def _send_online(
        self,
        company: Company,
        gateway: KsefGateway,
        jobs: Sequence[Job],
        offline: bool,
        xml: dict[int, bytes],
        corrected: dict[int, str] | None = None,
    ) -> None:
        corrected = corrected or {}
        for index, job in enumerate(jobs):
            self._keepalive()
            try:
                online = self._online_session(company, gateway, offline)
            except Exception as exc:
                self._note_failure(gateway, exc)
                self._defer(
                    jobs[index:],
                    backoff(job.attempts, base=self.settings.backoff_base, cap=self.settings.backoff_cap),
                    refusals.note_for(self.ctx, company.id, exc) or f"sesja: {type(exc).__name__}",
                )
                return
            if not self._mark_sending([job], online.ref, "online"):
                continue
            try:
                invoice_ref = gateway.send_online(
                    online.session,
                    xml[job.invoice_id],
                    offline_mode=job.offline_mode,
                    corrected_hash=corrected.get(job.invoice_id),
                )
            except Exception as exc:
                self._note_failure(gateway, exc)
                self._send_failed(job, exc)
                if classify_send_error(exc).fate is SendFate.NEW_SESSION:
                    # gone, or paused (21184): this invoice was not taken; what the session did take
                    # is processed anyway. Close it (best effort) and send on in a new one.
                    self._close_online((company.id, offline))
                continue
            online.count += 1
            online.last_used = time.monotonic()
            self._ksef_answered(gateway.env.api_url)
            self._sent(job, invoice_ref)

    def _send_batch(
        self,
        company: Company,
        gateway: KsefGateway,
        jobs: Sequence[Job],
        offline: bool,
        xml: dict[int, bytes],
    ) -> None:
        batch = prepare_batch([(f"{j.invoice_id}.xml", xml[j.invoice_id]) for j in jobs])
        try:
            session_ref, uploads = gateway.open_batch(batch, offline_mode=offline)
        except Exception as exc:
            self._note_failure(gateway, exc)
            note = refusals.note_for(self.ctx, company.id, exc) or f"paczka: {exc}"
            self._defer(jobs, backoff(jobs[0].attempts, base=self.settings.backoff_base), note)
            return
        kept = self._mark_sending(jobs, session_ref, "batch")
        with self.ctx.db.transaction() as s:
            row = KsefSession(
                company_id=company.id,
                reference_number=session_ref,
                kind="batch",
                opened_by=self.id,
                invoice_count=len(kept),
            )
            s.add(row)
            s.flush()
            s.add(
                Batch(
                    session_id=row.id,
                    archive_sha256=batch.archive_hash,
                    archive_size=batch.archive_size,
                    part_count=len(batch.parts),
                    invoice_count=len(kept),
                )
            )
        if len(kept) != len(jobs):
            log.warning(
                "batch %s: %d entries lost their lease; batch abandoned", session_ref, len(jobs) - len(kept)
            )
            self._abandon(kept)
            return
        try:
            gateway.upload_parts(batch, uploads)
            gateway.close_session(session_ref, "batch")
        except Exception as exc:
            self._note_failure(gateway, exc)
            for job in kept:
                self._send_failed(
                    job, exc if classify_send_error(exc).fate is not SendFate.REJECTED else RuntimeError()
                )
            return
        self._ksef_answered(gateway.env.api_url)
        now = _now()
        with self.ctx.db.transaction() as s:
            # sent; this worker watches the session (below), the entries come due only if it stops
            repo.mark_sent_many(s, [j.id for j in kept], self.id, next_attempt_at=now + self.settings.lease)
            sess = s.scalar(select(KsefSession).where(KsefSession.reference_number == session_ref))
            if sess is not None:
                sess.status = "closed"
                sess.closed_at = now
                b = s.scalar(select(Batch).where(Batch.session_id == sess.id))
                if b is not None:
                    b.uploaded = b.closed = True
        self._watch(company.id, session_ref, now + self.settings.lease)

    def _abandon(self, jobs: Sequence[Job]) -> None:
        with self.ctx.db.transaction() as s:
            for job in jobs:
                try:
                    entry = repo.fenced(s, job.id, self.id)
                except repo.LeaseLostError:
                    continue
                entry.state = states.QUEUED
                entry.session_ref = entry.session_kind = None
                repo.release(entry)

    # --- batches in flight ------------------------------------------------------------------------------

    def _watch(self, company_id: int, ref: str, postponed_until: datetime) -> None:
        if ref not in self._inflight:
            self._inflight[ref] = _InFlight(company_id, ref, postponed_until)

    def _watch_batches(self) -> int:
        """Poll the batch sessions in flight that are due; returns how many entries were decided."""
        done = 0
        for flight in list(self._inflight.values()):
            if time.monotonic() < flight.next_poll:
                continue
            gateway = self._gateways.get(flight.company_id)
            if gateway is None:  # its entries come due by themselves
                del self._inflight[flight.ref]
                continue
            done += self._watch_one(gateway, flight)
        return done

    def _watch_one(self, gateway: KsefGateway, flight: _InFlight) -> int:
        """One look at a batch in flight: the verdicts listed so far are recorded at once (KSeF numbers
        while the rest of the batch is still processing); after the session's final status, the rest."""
        now = time.monotonic()
        age = now - flight.started
        flight.next_poll = now + max(self.settings.poll_interval.total_seconds(), min(age / 10, 30.0))
        try:
            status = gateway.session_status(flight.ref)
            final = status.code not in SESSION_FINAL_PENDING
            listed: list[RemoteInvoice] = []
            if final:
                listed = list(gateway.session_invoices(flight.ref, start=flight.token))
            elif now >= flight.next_list:
                listed, following = gateway.session_invoice_page(flight.ref, flight.token)
                decided = all(r.code not in PENDING_CODES for r in listed)
                if following and len(listed) >= LISTING_PAGE and decided:  # a whole page: on to the next
                    flight.token = following
                    flight.next_list = now
                else:
                    flight.next_list = now + LIST_EVERY
        except Exception as exc:
            self._note_failure(gateway, exc)
            flight.next_poll = (
                now
                + backoff(1, base=self.settings.backoff_base, cap=self.settings.backoff_cap).total_seconds()
            )
            return 0
        self._ksef_answered(gateway.env.api_url)
        remote = {r.invoice_hash: r for r in listed if r.code not in PENDING_CODES or final}
        if not final and not remote:
            self._postpone(flight)
            return 0
        with self.ctx.db.transaction() as s:
            entries = repo.claim_session(
                s,
                self.id,
                flight.ref,
                now=_now(),
                lease=self.settings.lease,
                hashes=None if final else list(remote),
            )
            jobs = [Job.of(e) for e in entries]
        self._claimed = [j.id for j in jobs]
        self._renewed_at = time.monotonic()
        if final and flight.token is not None and any(j.invoice_hash not in remote for j in jobs):
            try:  # not on the pages after the token: look through the whole listing once
                remote.update({r.invoice_hash: r for r in gateway.session_invoices(flight.ref)})
            except Exception as exc:
                self._note_failure(gateway, exc)
                self._defer(jobs, self.settings.poll_interval, "")
                return 0
        decisions: list[Decision] = []
        for job in jobs:
            found = remote.get(job.invoice_hash)
            if found is None:
                if final:
                    note = f"brak w paczce ({status.code} {status.description})"
                    decisions.append((job, InvoiceVerdict(Verdict.RESEND, message=note), None, None))
                else:
                    self._defer([job], self.settings.lease, "")
            elif (verdict := self._judge(gateway, job, found)) is None:
                self._defer([job], self.settings.poll_interval * 5, "")
            else:
                decisions.append((job, verdict, found, None))
        self._apply_many(decisions)
        if final:
            del self._inflight[flight.ref]
            self._mark_session(flight.ref, "closed")
        else:
            self._postpone(flight)
        return len(jobs)

    def _postpone(self, flight: _InFlight) -> None:
        """Keep the watched entries from coming due while this worker watches them."""
        now = _now()
        if flight.postponed_until - now > self.settings.lease / 2:
            return
        flight.postponed_until = now + self.settings.lease
        with self.ctx.db.transaction() as s:
            repo.postpone_session(s, flight.ref, until=flight.postponed_until, now=now)

    # --- sessions -------------------------------------------------------------------------------------

    def _mark_session(self, ref: str, status: str) -> None:
        with self.ctx.db.transaction() as s:
            sess = s.scalar(select(KsefSession).where(KsefSession.reference_number == ref))
            if sess is not None and sess.status != status:
                sess.status = status
                sess.closed_at = _now()

    def _close_online(self, key: tuple[int, bool]) -> None:
        online = self._online.pop(key, None)
        if online is None:
            return
        try:
            online.session.close()
        except Exception as exc:
            log.info(
                "closing session %s failed (%s); KSeF closes it after 12 h", online.ref, type(exc).__name__
            )
        self._mark_session(online.ref, "closed")

    def _close_idle_sessions(self) -> None:
        idle = self.settings.online_idle_close.total_seconds()
        now = time.monotonic()
        for key, online in list(self._online.items()):
            if now - online.last_used > idle:
                self._close_online(key)
