"""UPO fetching: the session UPO at once, per-invoice UPOs after the KSeF numbers.

The session UPO (one document, in pages for a big session, covering every invoice the session
registered) is stored as soon as the session's final status offers it (:meth:`UpoFetcher.session_upo`):
a batch's by the batch watch, an online session's right after the worker closes it
(:meth:`UpoFetcher.session_closed`, then a few status calls spaced out while KSeF finishes the session,
:meth:`UpoFetcher.fetch_closed_sessions`); per-invoice UPOs come from KSeF's pre-signed links where known.
Only reads of KSeF and inserts of UPO rows happen here: nothing an outbox entry records depends on it,
and a session whose UPO did not come within :data:`CLOSED_WATCH` (or a worker that stopped) is found
again by the retry round (:meth:`UpoFetcher.fetch_missing_sessions`).

Accepted invoices are queued here (``upo_later``, the default) and fetched when nothing else is due,
so they never hold up the numbers; UPOs that could not be fetched are found again in the store
(:meth:`UpoFetcher.fetch_missing`) and fetched through one listing of their session for the links.
Every UPO is fetched with the login that opened its session (a co-worker's own certificate for
what she sent: KSeF shows a session with InvoiceWrite only to its subject).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from fakturnik.engine.context import EngineContext
from fakturnik.engine.gateway import KsefGateway
from fakturnik.engine.gateways import Gateways
from fakturnik.engine.jobs import UpoTask
from fakturnik.engine.outcomes import SESSION_FINAL_PENDING
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.store import repo

log = logging.getLogger("fakturnik.engine")

SESSIONS_PER_ROUND = 10  # sessions without a session UPO asked about per retry round
CLOSED_WATCH = 60.0  # seconds an online session just closed is asked about before the retry round takes over
CLOSED_FIRST_LOOK = 0.2  # seconds after the close: KSeF finishes a closed online session quickly
CLOSED_LOOK_CAP = 5.0  # the longest wait between two status calls of one closed session
LIST_FOR_LINKS = 5  # this many missing in one session: one listing gives every pre-signed link
STORE_CHUNK = 500


@dataclass
class ClosedSession:
    """An online session the worker just closed, whose UPO is asked for until KSeF issues it."""

    company_id: int
    credential_id: int | None
    ref: str
    closed_at: float  # time.monotonic()
    next_look: float
    looks: int = 0


class UpoFetcher:
    def __init__(self, ctx: EngineContext, gateways: Gateways, *, threads: int = 8) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.gateways = gateways
        self.threads = threads
        self.queue: deque[UpoTask] = deque()  # accepted, UPO not fetched yet (with its link)
        self.closed: dict[str, ClosedSession] = {}  # online sessions just closed, UPO not stored yet

    def __repr__(self) -> str:
        return f"UpoFetcher({len(self.queue)} queued, {len(self.closed)} closed sessions)"

    def session_closed(self, company_id: int, ref: str, credential_id: int | None = None) -> None:
        """The worker closed this online session: its UPO is fetched as soon as KSeF issues it."""
        if not self.settings.upo_fetch:
            return
        moment = time.monotonic()
        self.closed[ref] = ClosedSession(company_id, credential_id, ref, moment, moment + CLOSED_FIRST_LOOK)

    def fetch_closed_sessions(self, *, moment: float | None = None) -> int:
        """One status call for each closed online session whose next look is due; the UPO stored once
        the status is final. Returns how many session UPO pages were stored."""
        at = time.monotonic() if moment is None else moment
        stored = 0
        for ref, closed in list(self.closed.items()):
            if closed.next_look > at:
                continue
            if at - closed.closed_at > CLOSED_WATCH:  # the retry round asks from now on
                del self.closed[ref]
                continue
            try:
                gateway = self.gateways.for_company_id(closed.company_id, closed.credential_id)
                status = gateway.session_status(ref)
            except Exception as exc:
                log.info("session %s: status not read (%s)", ref, type(exc).__name__)
                status = None
            if status is not None and status.code not in SESSION_FINAL_PENDING:
                del self.closed[ref]  # a failed download is tried again by the retry round
                stored += self.session_upo(gateway, ref, status.upo_pages)
                continue
            closed.looks += 1
            closed.next_look = at + min(CLOSED_FIRST_LOOK * 2**closed.looks, CLOSED_LOOK_CAP)
        return stored

    def accepted(self, tasks: list[UpoTask]) -> None:
        """Invoices just accepted: their UPOs now, or queued for when nothing else is due."""
        if not self.settings.upo_fetch:
            return
        if self.settings.upo_later:
            self.queue.extend(tasks)
        else:
            self.fetch(tasks)

    def fetch_queued(self, chunk: int = STORE_CHUNK) -> int:
        """Fetch up to ``chunk`` queued UPOs; returns how many were tried."""
        tasks = [self.queue.popleft() for _ in range(min(chunk, len(self.queue)))]
        if tasks:
            self.fetch(tasks)
        return len(tasks)

    def fetch(self, tasks: Sequence[UpoTask]) -> int:
        """Download UPOs (pre-signed links are not rate-limited) in parallel; store them in chunks."""

        def one(task: UpoTask) -> tuple[int, str, bytes] | None:
            gateway = self.gateways.get(task.company_id, task.credential_id)
            if gateway is None:
                return None
            try:
                return (
                    task.invoice_id,
                    task.ksef_number,
                    gateway.invoice_upo(task.session_ref, task.ksef_number, task.url),
                )
            except Exception as exc:
                log.info("UPO of %s not fetched yet (%s)", task.ksef_number, type(exc).__name__)
                return None

        if not tasks:
            return 0
        with ThreadPoolExecutor(max_workers=min(self.threads, len(tasks))) as pool:
            # stored in invoice order: workers storing the same UPOs lock their rows in one order
            # (in different orders two PostgreSQL transactions deadlock on the unique invoice_id)
            results = sorted((r for r in pool.map(one, tasks) if r is not None), key=lambda r: r[0])
        for start in range(0, len(results), STORE_CHUNK):
            with self.ctx.db.transaction() as s:
                part = results[start : start + STORE_CHUNK]
                invoices = repo.invoices_by_id(s, [invoice_id for invoice_id, _, _ in part])
                for invoice_id, number, xml in part:
                    invoice = invoices.get(invoice_id)
                    if invoice is None:
                        continue
                    try:
                        with s.begin_nested():
                            repo.save_upo(s, invoice, number, xml, sha256_b64(xml))
                    except IntegrityError:  # another worker stored it a moment ago
                        continue
        return len(results)

    def session_upo(self, gateway: KsefGateway, session_ref: str, pages: Sequence[tuple[str, str]]) -> int:
        """Store every page of the session's UPO (all or none); returns how many pages were stored."""
        if not self.settings.upo_fetch or not pages:
            return 0
        got: list[tuple[int, str, bytes]] = []
        for number, (page_ref, url) in enumerate(pages, start=1):
            try:
                got.append((number, page_ref, gateway.session_upo(session_ref, page_ref, url)))
            except Exception as exc:  # tried again by fetch_missing
                log.info("session UPO of %s not fetched yet (%s)", session_ref, type(exc).__name__)
                return 0
        try:
            with self.ctx.db.transaction() as s:
                row = repo.session_by_ref(s, session_ref)
                if row is None:
                    return 0
                for number, page_ref, xml in got:
                    repo.save_session_upo(s, row, number, page_ref, xml, sha256_b64(xml))
        except IntegrityError:  # another worker stored it a moment ago
            return 0
        return len(got)

    def fetch_missing_sessions(self, limit: int = SESSIONS_PER_ROUND) -> int:
        """Session UPOs still missing (a failed try, an online session closed since): one status call
        per session, the pages stored once its status is final."""
        if not self.settings.upo_fetch:
            return 0
        with self.ctx.db.transaction() as s:
            todo = repo.sessions_without_upo(s, limit)
        stored = 0
        for company_id, session_ref, credential_id in todo:
            try:
                gateway = self.gateways.for_company_id(company_id, credential_id)
                status = gateway.session_status(session_ref)
            except Exception as exc:
                log.info("session %s: status not read (%s)", session_ref, type(exc).__name__)
                continue
            if status.code not in SESSION_FINAL_PENDING:
                stored += self.session_upo(gateway, session_ref, status.upo_pages)
        return stored

    def fetch_missing(self, limit: int = 50) -> int:
        """UPOs of accepted invoices that do not have one yet (after a failed first try, a restart)."""
        if not self.settings.upo_fetch:
            return 0
        with self.ctx.db.transaction() as s:
            todo = [
                (e.company_id, e.credential_id, e.session_ref, e.invoice_id, number)
                for e, number in repo.accepted_without_upo(s, limit)
            ]
        by_session: dict[tuple[int, int | None, str], list[tuple[int, str]]] = defaultdict(list)
        for company_id, credential_id, session_ref, invoice_id, number in todo:
            assert session_ref is not None
            by_session[(company_id, credential_id, session_ref)].append((invoice_id, number))
        done = 0
        for (company_id, credential_id, session_ref), group in by_session.items():
            try:
                gateway = self.gateways.for_company_id(company_id, credential_id)
            except Exception as exc:  # the login cannot be prepared now (e.g. a certificate removed)
                log.info("session %s: no login for UPOs (%s)", session_ref, type(exc).__name__)
                continue
            links: dict[str, str] = {}
            if len(group) >= LIST_FOR_LINKS:
                try:
                    links = {
                        r.ksef_number: r.upo_url
                        for r in gateway.session_invoices(session_ref)
                        if r.ksef_number and r.upo_url
                    }
                except Exception as exc:
                    log.info("session %s not listed for UPO links (%s)", session_ref, type(exc).__name__)
            self.fetch(
                [
                    UpoTask(company_id, invoice_id, session_ref, number, links.get(number), credential_id)
                    for invoice_id, number in group
                ]
            )
            done += len(group)
        return done
