"""Sending: the planner's choice carried out, online (one by one, in the pooled session) or in batches.

Every send is preceded by the durable "about to send" write (:meth:`Outbox.mark_sending`). A batch
is recorded (session and archive rows) before its parts are uploaded, and once closed it is handed
to the :class:`~fakturnik.engine.batch_watch.BatchWatch`.

The entries given are one login's (one company, one sending credential: the claim guarantees it),
and so are the gateway, the pooled session and every batch session opened for them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from fakturnik.engine import refusals
from fakturnik.engine.batch_watch import BatchWatch
from fakturnik.engine.gateway import KsefGateway, PreparedBatch, prepare_in_memory
from fakturnik.engine.gateways import LoginKey
from fakturnik.engine.jobs import Job, now
from fakturnik.engine.online_pool import OnlinePool
from fakturnik.engine.outcomes import SendFate, classify_send_error
from fakturnik.engine.planner import Queued, plan
from fakturnik.engine.reachability import Reachability
from fakturnik.engine.transitions import Outbox
from fakturnik.errors import FakturnikError, KsefProcessingError

log = logging.getLogger("fakturnik.engine")


class Sender:
    def __init__(
        self, outbox: Outbox, reachability: Reachability, pool: OnlinePool, watch: BatchWatch
    ) -> None:
        self.outbox = outbox
        self.settings = outbox.settings
        self.reachability = reachability
        self.pool = pool
        self.watch = watch

    def __repr__(self) -> str:
        return f"Sender({self.outbox.worker_id!r})"

    def _retry_after(self, attempts: int, note: str) -> timedelta:
        """When to open a session again: a login waiting for someone to act (a grant, a co-worker's
        new certificate) is tried at about the backoff's cap, so it never spends the context's
        authentication limits, which the company's other logins share."""
        if refusals.is_waiting_for_permission(note):
            return self.settings.backoff(max(attempts, refusals.WAITING_RETRY_ATTEMPT))
        return self.settings.backoff(attempts)

    def send(self, company_id: int, gateway: KsefGateway, jobs: Sequence[Job]) -> None:
        """Queued entries of one login (company + credential, ``gateway`` is its): technical
        corrections online, then per mode as planned."""
        if not jobs:
            return
        login: LoginKey = (company_id, jobs[0].credential_id)
        assert all(j.credential_id == login[1] for j in jobs), "one login per send"
        files = self.outbox.files_of(jobs)  # one query: each file and, for a technical correction, its hash
        xml = {i: data for i, (data, _) in files.items()}
        corrected = {i: h for i, (_, h) in files.items() if h is not None}
        if corrected:  # technical corrections go in online sessions only (digest §10)
            fixes = [j for j in jobs if j.invoice_id in corrected]
            self.online(login, gateway, fixes, True, xml, corrected)
            jobs = [j for j in jobs if j.invoice_id not in corrected]
        for offline in (False, True):
            part = [j for j in jobs if j.offline_mode is offline]
            if not part:
                continue
            chosen = plan([Queued(j.urgent, j.created_at) for j in part], now(), self.settings.planner)
            online = [part[i] for i in chosen.online]
            if online:  # urgent ones first, by themselves
                self.online(login, gateway, online, offline, xml)
            batch = [part[i] for i in chosen.batch]
            limit = self.settings.planner.batch_max_invoices
            for i in range(0, len(batch), limit):
                self.batch(login, gateway, batch[i : i + limit], offline, xml)

    def online(
        self,
        login: LoginKey,
        gateway: KsefGateway,
        jobs: Sequence[Job],
        offline: bool,
        xml: dict[int, bytes],
        corrected: dict[int, str] | None = None,
    ) -> None:
        corrected = corrected or {}
        company_id, credential_id = login
        for index, job in enumerate(jobs):
            self.outbox.keepalive()
            try:
                online = self.pool.session(company_id, gateway, offline, credential_id)
            except Exception as exc:
                self.reachability.failed(gateway, exc)
                note = refusals.note_for(self.outbox.ctx, company_id, exc, credential_id)
                # a Fakturnik error carries KSeF's status text (never a secret), e.g. auth 460
                note = note or f"sesja: {exc if isinstance(exc, FakturnikError) else type(exc).__name__}"
                self.outbox.defer(jobs[index:], self._retry_after(job.attempts, note), note)
                return
            if not self.outbox.mark_sending([job], online.ref, "online"):
                continue
            try:
                invoice_ref = gateway.send_online(
                    online.session,
                    xml[job.invoice_id],
                    offline_mode=job.offline_mode,
                    corrected_hash=corrected.get(job.invoice_id),
                )
            except Exception as exc:
                self.reachability.failed(gateway, exc)
                self.outbox.send_failed(job, exc)
                if classify_send_error(exc).fate is SendFate.NEW_SESSION:
                    # gone, or paused (21184): this invoice was not taken; what the session did take
                    # is processed anyway. Close it (best effort) and send on in a new one.
                    self.pool.close((company_id, credential_id, offline))
                continue
            self.pool.used(online)
            self.reachability.answered(gateway.env.api_url)
            self.outbox.sent(job, invoice_ref)

    def batch(
        self,
        login: LoginKey,
        gateway: KsefGateway,
        jobs: Sequence[Job],
        offline: bool,
        xml: dict[int, bytes],
    ) -> None:
        try:
            batch = prepare_in_memory([(f"{j.invoice_id}.xml", xml[j.invoice_id]) for j in jobs])
        except KsefProcessingError as exc:  # over KSeF's 5 GB / 50 parts: two smaller batches
            log.info("batch of %d not prepared (%s); split in two", len(jobs), exc)
            if len(jobs) == 1:
                self.online(login, gateway, jobs, offline, xml)
            else:
                half = len(jobs) // 2
                self.batch(login, gateway, jobs[:half], offline, xml)
                self.batch(login, gateway, jobs[half:], offline, xml)
            return
        self._send_prepared(login, gateway, jobs, offline, batch)

    def _send_prepared(
        self, login: LoginKey, gateway: KsefGateway, jobs: Sequence[Job], offline: bool, batch: PreparedBatch
    ) -> None:
        company_id, credential_id = login
        try:
            session_ref, uploads = gateway.open_batch(batch, offline_mode=offline)
        except Exception as exc:
            self.reachability.failed(gateway, exc)
            note = refusals.note_for(self.outbox.ctx, company_id, exc, credential_id) or f"paczka: {exc}"
            self.outbox.defer(jobs, self._retry_after(jobs[0].attempts, note), note)
            return
        kept = self.outbox.mark_sending(jobs, session_ref, "batch")
        self.outbox.session_opened(
            company_id,
            session_ref,
            "batch",
            invoice_count=len(kept),
            archive=(batch.archive_hash, batch.archive_size, len(batch.parts)),
            credential_id=credential_id,
        )
        if len(kept) != len(jobs):
            log.warning(
                "batch %s: %d entries lost their lease; batch abandoned", session_ref, len(jobs) - len(kept)
            )
            self.outbox.abandon(kept)
            return
        try:
            gateway.upload_parts(batch, uploads)
            gateway.close_session(session_ref, "batch")
        except Exception as exc:
            self.reachability.failed(gateway, exc)
            for job in kept:
                self.outbox.send_failed(
                    job, exc if classify_send_error(exc).fate is not SendFate.REJECTED else RuntimeError()
                )
            return
        self.reachability.answered(gateway.env.api_url)
        # sent; this worker watches the session, the entries come due only if it stops
        watched_until = now() + self.settings.lease
        self.outbox.batch_sent(kept, session_ref, watched_until)
        self.watch.watch(
            company_id, session_ref, watched_until, expected=len(kept), credential_id=credential_id
        )
