"""Reconcile and poll: what KSeF's session records say about claimed entries (durability rules 2, 4).

``reconcile`` handles doubt (``sending`` after a crash, ``uncertain`` after a timeout or 5xx): once any
request the entry may have made is surely over, the session's listing is matched by SHA-256 and
nothing is sent again unless KSeF does not have it. ``poll`` asks for the verdicts of ``sent``
entries. Both match a listing against entries in one place (:meth:`Reconciler.settle`), and a 440 is
accepted only for the very same file (:meth:`Reconciler.judge`).

The gateway given is the login of the claimed entries (one company, one sending credential): the
login that opened their sessions, and KSeF shows a session with InvoiceWrite only to the subject
that opened it — a co-worker's invoice is looked up with her own certificate.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from fakturnik.engine.gateway import InvoiceOutcome, KsefGateway
from fakturnik.engine.jobs import Decision, Job, now
from fakturnik.engine.outcomes import (
    PENDING_CODES,
    SESSION_FINAL_PENDING,
    InvoiceVerdict,
    Verdict,
    judge_invoice_status,
    settle_duplicate,
)
from fakturnik.engine.reachability import Reachability
from fakturnik.engine.transitions import Outbox
from fakturnik.engine.upos import UpoFetcher

log = logging.getLogger("fakturnik.engine")

LIST_INSTEAD_OF_STATUS = 5  # this many waiting in one session: one listing beats per-invoice status calls

# company id, batch session ref, entries postponed until, the credential that opened the session
Watch = Callable[[int, str, datetime, int | None], None]


def by_hash(items: Iterable[InvoiceOutcome]) -> dict[str, InvoiceOutcome]:
    """A session listing by invoice hash; when the same file went in twice, a decided entry wins."""
    found: dict[str, InvoiceOutcome] = {}
    for item in items:
        seen = found.get(item.invoice_hash)
        if seen is None or seen.status_code in PENDING_CODES or item.status_code not in PENDING_CODES:
            found[item.invoice_hash] = item
    return found


class Reconciler:
    def __init__(self, outbox: Outbox, reachability: Reachability, watch: Watch, upos: UpoFetcher) -> None:
        self.outbox = outbox
        self.upos = upos
        self.settings = outbox.settings
        self.reachability = reachability
        self.watch = watch

    def __repr__(self) -> str:
        return f"Reconciler({self.outbox.worker_id!r})"

    # --- the one matching step ------------------------------------------------------------------------

    def judge(self, gateway: KsefGateway, job: Job, remote: InvoiceOutcome) -> InvoiceVerdict | None:
        """What KSeF's record of the invoice means; None when a 440 could not be checked yet (ask later).

        A 440 counts as "already registered" only when the original's SHA-256 equals this file's
        (a resend after an uncertain outcome); a reused number on a different document is a rejection.
        """
        verdict = judge_invoice_status(
            remote.status_code, remote.description, remote.ksef_number, remote.details, remote.extensions
        )
        if verdict.verdict is not Verdict.DUPLICATE:
            return verdict
        try:
            check = gateway.check_duplicate(job.invoice_hash, remote.extensions)
        except Exception as exc:
            self.reachability.failed(gateway, exc)
            return None
        if check is None:
            return settle_duplicate(verdict, False)
        return settle_duplicate(verdict, check.same_file, check.rejection(None))

    def settle(
        self,
        gateway: KsefGateway,
        jobs: Sequence[Job],
        listed: Mapping[str, InvoiceOutcome],
        *,
        missing: str | None,
        missing_wait: timedelta | None = None,
        session_ref: str | None = None,
    ) -> list[Decision]:
        """Match entries against what KSeF listed (by invoice hash).

        Found: judged (a 440 that could not be checked waits). Not found: sent again with the note
        ``missing``, or, when ``missing`` is None, asked about again after ``missing_wait``.
        Returns the decisions to record; the entries that wait are deferred here.
        """
        decisions: list[Decision] = []
        waits: dict[timedelta, list[Job]] = defaultdict(list)
        for job in jobs:
            found = listed.get(job.invoice_hash)
            if found is None:
                if missing is not None:
                    decisions.append(Decision(job, InvoiceVerdict(Verdict.RESEND, message=missing)))
                else:
                    waits[missing_wait or self.settings.poll_interval].append(job)
            elif (verdict := self.judge(gateway, job, found)) is None:
                waits[self.settings.poll_interval * 5].append(job)
            else:
                decisions.append(Decision(job, verdict, found, session_ref))
        for delay, group in waits.items():
            self.outbox.defer(group, delay)
        return decisions

    def _listing_failed(self, gateway: KsefGateway, jobs: Sequence[Job], exc: Exception) -> None:
        self.reachability.failed(gateway, exc)
        self.outbox.defer(jobs, self.settings.backoff(1))

    # --- doubt ----------------------------------------------------------------------------------------

    def reconcile(self, gateway: KsefGateway, jobs: Sequence[Job]) -> None:
        """Entries whose last send may or may not have reached KSeF: ask KSeF before anything else."""
        moment = now()
        ready: list[Job] = []
        for job in jobs:
            started = job.send_started_at or job.created_at
            if moment < started + self.settings.reconcile_after:
                self.outbox.defer([job], started + self.settings.reconcile_after - moment)
            else:
                ready.append(job)
        by_session: dict[str | None, list[Job]] = defaultdict(list)
        for job in ready:
            by_session[job.session_ref].append(job)
        for session_ref, group in by_session.items():
            if session_ref is None:  # "sending" written, no session yet: nothing can have been sent
                note = InvoiceVerdict(Verdict.RESEND, message="brak sesji")
                self.outbox.record([Decision(j, note) for j in group])
                continue
            try:
                if (group[0].session_kind or "online") == "batch":
                    status = gateway.session_status(session_ref)
                    if status.code == 100:
                        # never closed: KSeF will not process it; the parts cannot be uploaded again
                        note = InvoiceVerdict(Verdict.RESEND, message="paczka niezamknięta")
                        self.outbox.record([Decision(j, note) for j in group])
                        continue
                    if status.code in SESSION_FINAL_PENDING:
                        self.outbox.defer(group, self.settings.poll_interval * 5)
                        continue
                listed = by_hash(gateway.session_invoices(session_ref))
            except Exception as exc:
                self._listing_failed(gateway, group, exc)
                continue
            self.reachability.answered(gateway.env.api_url)
            missing = [j.id for j in group if j.invoice_hash not in listed]
            if missing:
                log.info("entries %s: not in session %s, sending again", missing, session_ref)
            self.outbox.record(
                self.settle(gateway, group, listed, missing="nie dotarła do KSeF", session_ref=session_ref)
            )

    # --- verdicts awaited -----------------------------------------------------------------------------

    def poll(self, gateway: KsefGateway, jobs: Sequence[Job]) -> None:
        """``sent`` entries: per-invoice status calls for a few, one session listing for many."""
        online = [j for j in jobs if j.session_kind != "batch" and j.invoice_ref and j.session_ref]
        listings: dict[str, list[Job]] = defaultdict(list)
        for j in jobs:
            if j.session_kind == "batch" and j.session_ref:
                listings[j.session_ref].append(j)
        broken = [j for j in jobs if j not in online and not (j.session_kind == "batch" and j.session_ref)]
        if broken:
            note = InvoiceVerdict(Verdict.RESEND, message="niepełny zapis wysyłki")
            self.outbox.record([Decision(j, note) for j in broken])
        by_session: dict[str, list[Job]] = defaultdict(list)
        for job in online:
            assert job.session_ref is not None
            by_session[job.session_ref].append(job)
        for session_ref, group in by_session.items():
            if len(group) >= LIST_INSTEAD_OF_STATUS:
                listings[session_ref].extend(group)  # one listing call instead of many status calls
                continue
            for job in group:
                assert job.invoice_ref is not None
                try:
                    remote = gateway.invoice_status(session_ref, job.invoice_ref)
                except Exception as exc:
                    self._listing_failed(gateway, [job], exc)
                    continue
                self.reachability.answered(gateway.env.api_url)
                self.outbox.record(self.settle(gateway, [job], {job.invoice_hash: remote}, missing=None))
        for session_ref, group in listings.items():
            self._poll_listing(gateway, session_ref, group)

    def _poll_listing(self, gateway: KsefGateway, session_ref: str, group: Sequence[Job]) -> None:
        is_batch = group[0].session_kind == "batch"
        note: str | None = None
        try:
            if is_batch:
                status = gateway.session_status(session_ref)
                if status.code in SESSION_FINAL_PENDING:  # still processing: watch it from here
                    self.watch(
                        group[0].company_id, session_ref, now() + self.settings.lease, group[0].credential_id
                    )
                    self.outbox.defer(group, self.settings.lease)
                    return
                note = f"brak w paczce ({status.code} {status.description})"
            listed = by_hash(gateway.session_invoices(session_ref))
        except Exception as exc:
            self._listing_failed(gateway, group, exc)
            return
        self.reachability.answered(gateway.env.api_url)
        if is_batch:
            self.outbox.session_status(session_ref, "closed")
            self.upos.session_upo(gateway, session_ref, status.upo_pages)
        # a batch's missing invoice is sent again; an online one acknowledged (202) but not listed
        # yet is asked about again
        self.outbox.record(self.settle(gateway, group, listed, missing=note))
