"""Outbox transitions: every write the worker makes to its claimed entries, each one fenced.

Durability rules 1 and 3 of docs/engine.md live here: "about to send" is written and committed
before any request that may register an invoice (:meth:`Outbox.mark_sending`), and every write
re-reads the entry under a row lock and checks that this worker still holds its lease
(``repo.fenced`` / ``repo.fenced_many`` and the bulk ``repo.*_many`` statements). An entry whose
lease was lost is left alone: another worker owns it now.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fakturnik.engine import refusals
from fakturnik.engine.context import EngineContext
from fakturnik.engine.jobs import Decision, Job, UpoTask, now
from fakturnik.engine.outcomes import SELLER_NOT_ENTITLED, SendFate, Verdict, classify_send_error
from fakturnik.store import repo, states
from fakturnik.store.models import Company, Invoice, OutboxEntry

log = logging.getLogger("fakturnik.engine")

RECORD_CHUNK = 500  # verdicts recorded per transaction


class Outbox:
    """The claimed entries of one worker and the fenced writes that move them on."""

    def __init__(
        self,
        ctx: EngineContext,
        worker_id: str,
        *,
        on_accepted: Callable[[list[UpoTask]], None] = lambda tasks: None,
    ) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.worker_id = worker_id
        self.on_accepted = on_accepted  # the UPOs of what was just accepted
        self.rejected = 0  # entries rejected since the last reset (one run)
        self._claimed: list[int] = []
        self._renewed_at = 0.0

    def __repr__(self) -> str:
        return f"Outbox({self.worker_id!r}, {len(self._claimed)} claimed)"

    # --- claims ---------------------------------------------------------------------------------------

    def _hold(self, jobs: Sequence[Job]) -> None:
        self._claimed = [j.id for j in jobs]
        self._renewed_at = time.monotonic()

    def claim(self) -> tuple[list[Job], Company | None]:
        """Up to ``claim_limit`` due entries of one login — one company, one sending credential
        (``Job.credential_id``, the same for all) — and that company (detached)."""
        with self.ctx.db.transaction() as s:
            claimed = repo.claim(
                s,
                self.worker_id,
                now=now(),
                lease=self.settings.lease,
                limit=self.settings.claim_limit,
            )
            jobs = [Job.of(e) for e in claimed]
            company = repo.company(s, jobs[0].company_id) if jobs else None
        self._hold(jobs)
        return jobs, company

    def claim_session(self, session_ref: str, hashes: Sequence[str] | None) -> list[Job]:
        """The unclaimed ``sent`` entries of one session (all, or those with these invoice hashes)."""
        with self.ctx.db.transaction() as s:
            entries = repo.claim_session(
                s, self.worker_id, session_ref, now=now(), lease=self.settings.lease, hashes=hashes
            )
            jobs = [Job.of(e) for e in entries]
        self._hold(jobs)
        return jobs

    def keepalive(self) -> None:
        """Extend the lease of everything still claimed once a third of it has passed (long claims)."""
        lease = self.settings.lease.total_seconds()
        if not self._claimed or time.monotonic() - self._renewed_at < lease / 3:
            return
        with self.ctx.db.transaction() as s:
            repo.extend_leases(s, self.worker_id, self._claimed, now() + self.settings.lease)
        self._renewed_at = time.monotonic()

    def postpone_session(self, session_ref: str, until: datetime) -> None:
        """The watched ``sent`` entries of a session are not due before ``until``."""
        with self.ctx.db.transaction() as s:
            repo.postpone_session(s, session_ref, until=until, now=now())

    # --- reads ----------------------------------------------------------------------------------------

    def files_of(self, jobs: Sequence[Job]) -> dict[int, tuple[bytes, str | None]]:
        """Invoice id → (XML, hashOfCorrectedInvoice when the file is a technical correction)."""
        with self.ctx.db.transaction() as s:
            return repo.invoice_files(s, [j.invoice_id for j in jobs])

    def xml_of(self, jobs: Sequence[Job]) -> dict[int, bytes]:
        return {i: data for i, (data, _) in self.files_of(jobs).items()}

    # --- writes around a send -------------------------------------------------------------------------

    def defer(self, jobs: Sequence[Job], delay: timedelta, note: str = "") -> None:
        """Fenced: the entries still held wait ``delay`` and are released (one statement per 900)."""
        if not jobs:
            return
        with self.ctx.db.transaction() as s:
            repo.defer_many(s, [j.id for j in jobs], self.worker_id, when=now() + delay, note=note)

    def mark_sending(self, jobs: Sequence[Job], session_ref: str | None, kind: str) -> list[Job]:
        """Durably record "about to send" (hash + session) and extend the lease; returns jobs still ours."""
        moment = now()
        with self.ctx.db.transaction() as s:
            held = set(
                repo.mark_sending_many(
                    s,
                    [j.id for j in jobs],
                    self.worker_id,
                    session_ref=session_ref,
                    session_kind=kind,
                    now=moment,
                    lease_until=moment + self.settings.lease,
                )
            )
        return [j for j in jobs if j.id in held]  # the others lost their lease

    def sent(self, job: Job, invoice_ref: str) -> None:
        """KSeF acknowledged an online send (202): wait for its verdict."""
        with self.ctx.db.transaction() as s:
            try:
                entry = repo.fenced(s, job.id, self.worker_id)
            except repo.LeaseLostError:
                return
            entry.state = states.SENT
            entry.invoice_ref = invoice_ref
            entry.next_attempt_at = now() + self.settings.poll_interval
            repo.set_invoice_status(s, self._invoice(s, job), states.SENT, invoice_ref)
            repo.release(entry)

    def batch_sent(self, jobs: Sequence[Job], session_ref: str, watched_until: datetime) -> None:
        """A batch was uploaded and closed: its entries are ``sent``, due only after ``watched_until``
        (the worker watches the session until then), and the session row says closed."""
        moment = now()
        with self.ctx.db.transaction() as s:
            repo.mark_sent_many(s, [j.id for j in jobs], self.worker_id, next_attempt_at=watched_until)
            repo.batch_closed(s, session_ref, now=moment)

    def send_failed(self, job: Job, exc: Exception) -> None:
        """A send raised: uncertain (reconcile first), rejected, or queued again (see ``outcomes``)."""
        failure = classify_send_error(exc)
        with self.ctx.db.transaction() as s:
            try:
                entry = repo.fenced(s, job.id, self.worker_id)
            except repo.LeaseLostError:
                return
            invoice = self._invoice(s, job)
            if failure.fate is SendFate.UNCERTAIN:
                entry.state = states.UNCERTAIN
                entry.last_error = failure.message[:2000]
                entry.next_attempt_at = (entry.send_started_at or now()) + self.settings.reconcile_after
                repo.set_invoice_status(s, invoice, states.UNCERTAIN, failure.message)
            elif failure.fate is SendFate.REJECTED:
                self._reject(s, entry, invoice, failure.code or "400", failure.message)
            else:
                note = (
                    refusals.permission_note(s, job.company_id, exc, credential_id=job.credential_id)
                    or failure.message
                )
                self._requeue(s, entry, invoice, note)
                if failure.fate is SendFate.NEW_SESSION:
                    entry.next_attempt_at = now()
                elif failure.retry_after is not None:
                    entry.next_attempt_at = now() + timedelta(seconds=failure.retry_after)
            repo.release(entry)

    def abandon(self, jobs: Sequence[Job]) -> None:
        """Back to ``queued`` without a session (a batch given up before anything was uploaded)."""
        with self.ctx.db.transaction() as s:
            for job in jobs:
                try:
                    entry = repo.fenced(s, job.id, self.worker_id)
                except repo.LeaseLostError:
                    continue
                entry.state = states.QUEUED
                entry.session_ref = entry.session_kind = None
                repo.release(entry)

    # --- sessions opened --------------------------------------------------------------------------------

    def session_opened(
        self,
        company_id: int,
        session_ref: str,
        kind: str,
        *,
        valid_until: datetime | None = None,
        invoice_count: int = 0,
        archive: tuple[str, int, int] | None = None,
        credential_id: int | None = None,
    ) -> None:
        """Record a session this worker opened (``archive``: a batch's hash, size and part count;
        ``credential_id``: the login that opened it, None = the company's)."""
        with self.ctx.db.transaction() as s:
            row = repo.add_session(
                s,
                company_id=company_id,
                reference_number=session_ref,
                kind=kind,
                opened_by=self.worker_id,
                valid_until=valid_until,
                invoice_count=invoice_count,
                credential_id=credential_id,
            )
            if archive is not None:
                digest, size, parts = archive
                repo.add_batch(s, row, archive_sha256=digest, archive_size=size, part_count=parts)

    def session_status(self, session_ref: str, status: str) -> None:
        with self.ctx.db.transaction() as s:
            repo.set_session_status(s, session_ref, status, now=now())

    # --- verdicts -------------------------------------------------------------------------------------

    def record(self, decisions: Sequence[Decision]) -> None:
        """Record many verdicts, a chunk per transaction; then hand the new UPOs on."""
        upos: list[UpoTask] = []
        for start in range(0, len(decisions), RECORD_CHUNK):
            self.keepalive()
            part = decisions[start : start + RECORD_CHUNK]
            with self.ctx.db.transaction() as s, s.no_autoflush:
                # three queries for the whole chunk instead of three per invoice
                entries = repo.fenced_many(s, [d.job.id for d in part], self.worker_id)
                invoices = repo.invoices_by_id(s, [d.job.invoice_id for d in part])
                numbers = repo.invoices_by_ksef_numbers(
                    s,
                    [
                        d.verdict.ksef_number
                        for d in part
                        if d.verdict.verdict is Verdict.ACCEPTED and d.verdict.ksef_number
                    ],
                    company_ids=[d.job.company_id for d in part],
                    direction="issued",
                )
                for decision in part:
                    entry = entries.get(decision.job.id)
                    if entry is None:  # lease lost: another worker owns it now
                        continue
                    task = self._record(s, decision, entry, invoices[decision.job.invoice_id], numbers)
                    if task is not None:
                        upos.append(task)
        if upos:
            self.on_accepted(upos)

    def _record(
        self,
        s: Session,
        decision: Decision,
        entry: OutboxEntry,
        invoice: Invoice,
        numbers: dict[tuple[int, str], Invoice],
    ) -> UpoTask | None:
        """Apply one verdict inside the caller's transaction; returns the UPO to fetch, if any.

        ``entry`` is fenced (locked, still this worker's); ``numbers`` holds the invoices that have
        the chunk's KSeF numbers and is kept up to date as numbers are assigned.
        """
        verdict, remote = decision.verdict, decision.remote
        if remote is not None:
            entry.invoice_ref = remote.reference_number
        if decision.session_ref is not None:
            entry.session_ref = decision.session_ref
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
            invoice.acquired_at = now()
            invoice.error_code = invoice.error_message = None
            repo.set_invoice_status(s, invoice, states.ACCEPTED, verdict.ksef_number)
            repo.audit(
                s,
                self.worker_id,
                "invoice.accepted",
                company_id=invoice.company_id,
                invoice_id=invoice.id,
                detail={"ksefNumber": verdict.ksef_number, "duplicate": verdict.duplicate},
            )
            if entry.session_ref:
                url = remote.upo_url if remote is not None and not verdict.duplicate else None
                task = UpoTask(
                    invoice.company_id,
                    invoice.id,
                    entry.session_ref,
                    verdict.ksef_number,
                    url,
                    entry.credential_id,
                )
        elif verdict.verdict is Verdict.PENDING:
            entry.state = states.SENT
            entry.next_attempt_at = now() + self.settings.poll_interval
            repo.set_invoice_status(s, invoice, states.SENT, verdict.message)
        elif verdict.verdict is Verdict.RESEND and verdict.code == SELLER_NOT_ENTITLED:
            note = refusals.seller_refusal_note(
                s, invoice.company_id, invoice.seller_nip, decision.job.credential_id
            )
            self._requeue(s, entry, invoice, note)
        elif verdict.verdict is Verdict.RESEND:
            self._requeue(s, entry, invoice, f"{verdict.code}: {verdict.message}")
        elif verdict.duplicate:  # a reused number on a different document: name both numbers
            message = verdict.message.replace("Numer tej faktury", f"Numer faktury {invoice.number}", 1)
            self._reject(s, entry, invoice, str(verdict.code), message)
        else:
            self._reject(s, entry, invoice, str(verdict.code), verdict.message)
        repo.release(entry)
        return task

    def _requeue(self, s: Session, entry: OutboxEntry, invoice: Invoice, note: str) -> None:
        # waiting for a grant in KSeF is not the invoice's failure: it never runs out of attempts
        if entry.attempts >= self.settings.max_attempts and not refusals.is_waiting_for_permission(note):
            self._reject(s, entry, invoice, "attempts", f"zbyt wiele prób wysyłki; ostatnio: {note}")
            return
        entry.state = states.QUEUED
        entry.session_ref = entry.session_kind = entry.invoice_ref = None
        entry.send_started_at = None
        entry.next_attempt_at = now() + self.settings.backoff(entry.attempts)
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
            self.worker_id,
            "invoice.rejected",
            company_id=invoice.company_id,
            invoice_id=invoice.id,
            detail={"code": code, "message": message[:500]},
        )

    @staticmethod
    def _invoice(s: Session, job: Job) -> Invoice:
        invoice = repo.invoices_by_id(s, [job.invoice_id]).get(job.invoice_id)
        assert invoice is not None
        return invoice
