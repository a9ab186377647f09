"""Webhook delivery: events from the store's history into a durable outbox, then out over HTTP.

1. **Scan** (one transaction): new rows of ``invoice_status_history`` (accepted, rejected, offline,
   received) of companies with subscriptions become ``webhook_events`` (unique per company and
   event key, so a rescan never makes a second event) with one ``webhook_deliveries`` row per
   subscribed subscription. The scan re-reads an overlap of ids behind its cursor: on PostgreSQL a
   transaction may commit a lower id after a higher one. Offline invoices whose deadline is today or
   tomorrow become ``invoice.deadline_near`` once per deadline.
2. **Deliver**: due deliveries of active subscriptions are claimed with a lease (``FOR UPDATE SKIP
   LOCKED`` on PostgreSQL, so several processes share the work), POSTed signed, and the result is
   recorded with an attempt row (status code or error, duration). 2xx → delivered. Otherwise a retry
   with exponential backoff and jitter; after ``max_attempts`` the delivery fails, and a subscription
   with ``pause_after`` consecutive failures (or a 410 Gone) is paused, not retried forever.

At-least-once: a crash between the POST and the record means the POST is repeated; receivers
deduplicate by the event id (``id`` in the body, also ``Fakturnik-Delivery``).
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from fakturnik.app.invoice_query import LIST_COLUMNS
from fakturnik.app.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    is_private_address,
    secret_name,
    sign,
)
from fakturnik.base.warsaw import warsaw_today
from fakturnik.store import states
from fakturnik.store.models import Company, Invoice, InvoiceStatusChange
from fakturnik.store.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookScan,
    WebhookSubscription,
)

log = logging.getLogger("fakturnik.webhooks")

STATUS_EVENTS = {
    states.ACCEPTED: "invoice.accepted",
    states.REJECTED: "invoice.rejected",
    states.OFFLINE: "invoice.offline",
    states.RECEIVED: "received.new",
}
HISTORY = "history"


@dataclass(frozen=True)
class DeliverySettings:
    tick_s: float = 1.0  # pause between rounds when there was nothing to do
    batch: int = 200  # deliveries claimed per round
    parallel: int = 8  # concurrent POSTs
    timeout_s: float = 10.0
    lease: timedelta = timedelta(seconds=60)
    backoff_base_s: float = 10.0
    backoff_cap_s: float = 6 * 3600.0
    max_attempts: int = 15  # about two days with the defaults
    pause_after: int = 50  # consecutive failed attempts of a subscription
    scan_overlap: int = 2000  # ids re-read behind the cursor (late commits on PostgreSQL)
    scan_limit: int = 5000
    deadline_every_s: float = 60.0
    allow_private_targets: bool = False  # loopback / private networks (tests, on-premises receivers)

    @classmethod
    def fast(cls) -> DeliverySettings:
        return cls(tick_s=0.1, backoff_base_s=0.2, backoff_cap_s=2.0, timeout_s=5.0, deadline_every_s=1.0)


def backoff(attempts: int, settings: DeliverySettings) -> float:
    delay: float = min(settings.backoff_cap_s, settings.backoff_base_s * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)


def _now() -> datetime:
    return datetime.now(UTC)


# what an event says of its invoice: the list's columns and the offline/error facts (never the XML:
# scans must stay light)
_INVOICE_COLUMNS = (*LIST_COLUMNS, Invoice.offline_mode, Invoice.error_code, Invoice.error_message)


def _invoice_data(inv: Any) -> dict[str, Any]:
    return {
        "id": inv.id,
        "direction": inv.direction,
        "kind": inv.kind,
        "number": inv.number,
        "ksef_number": inv.ksef_number,
        "status": inv.status,
        "issue_date": inv.issue_date.isoformat() if inv.issue_date else None,
        "seller_nip": inv.seller_nip,
        "buyer_id": inv.buyer_id,
        "gross": str(inv.gross) if inv.gross is not None else None,
        "currency": inv.currency,
        "offline_mode": inv.offline_mode,
        "offline_deadline": inv.offline_deadline.isoformat() if inv.offline_deadline else None,
        "error": {"code": inv.error_code, "message": inv.error_message} if inv.error_code else None,
        # null: issued here or received as the buyer; "buyer": a sale self-billed by the buyer (the
        # sync's, no send behind it); "third_party": received with the company as Podmiot3
        "origin": inv.origin,
    }


def _subscriptions(s: Session) -> dict[int, list[tuple[int, set[str]]]]:
    by_company: dict[int, list[tuple[int, set[str]]]] = defaultdict(list)
    for sub in s.scalars(select(WebhookSubscription)):
        by_company[sub.company_id].append((sub.id, set(sub.events)))
    return by_company


def _add_events(
    s: Session,
    candidates: Iterable[tuple[int, str, str, Any, str]],
    subs: dict[int, list[tuple[int, set[str]]]],
    nips: dict[int, str],
) -> int:
    """Write new events (company, type, key, invoice, at) with a delivery per subscription; returns count."""
    fresh = [c for c in candidates if any(c[1] in events for _, events in subs.get(c[0], ()))]
    if not fresh:
        return 0
    keys = {(c[0], c[2]) for c in fresh}
    found = s.execute(
        select(WebhookEvent.company_id, WebhookEvent.event_key).where(
            WebhookEvent.event_key.in_([k for _, k in keys])
        )
    )
    existing: set[tuple[int, str]] = {(cid, key) for cid, key in found}
    made = 0
    now = _now()
    for company_id, kind, key, inv, at in fresh:
        if (company_id, key) in existing:
            continue
        existing.add((company_id, key))
        uid = str(uuid.uuid4())
        event = WebhookEvent(
            uid=uid,
            company_id=company_id,
            type=kind,
            event_key=key,
            payload={
                "id": uid,
                "type": kind,
                "created_at": at,
                "company": {"id": company_id, "nip": nips.get(company_id, "")},
                "data": {"invoice": _invoice_data(inv)},
            },
            created_at=now,
        )
        s.add(event)
        s.flush()
        for sub_id, events in subs[company_id]:
            if kind in events:
                s.add(WebhookDelivery(event_id=event.id, subscription_id=sub_id, next_attempt_at=now))
        made += 1
    return made


def scan_events(
    s: Session, settings: DeliverySettings, *, deadlines: bool = False, today: date | None = None
) -> int:
    """One scan (see the module doc). Returns how many events were written."""
    cursor_row = s.get(WebhookScan, HISTORY, with_for_update=True)
    if cursor_row is None:
        cursor_row = WebhookScan(source=HISTORY, last_id=0)
        s.add(cursor_row)
        s.flush()
    subs = _subscriptions(s)
    if not subs:
        top = s.scalar(select(InvoiceStatusChange.id).order_by(InvoiceStatusChange.id.desc()).limit(1))
        cursor_row.last_id = top or cursor_row.last_id
        return 0
    nips = {
        cid: nip for cid, nip in s.execute(select(Company.id, Company.nip).where(Company.id.in_(list(subs))))
    }
    start = max(0, cursor_row.last_id - settings.scan_overlap)
    rows = s.execute(
        select(
            InvoiceStatusChange.id.label("history_id"),
            InvoiceStatusChange.status.label("event_status"),
            InvoiceStatusChange.at.label("event_at"),
            *_INVOICE_COLUMNS,
        )
        .join(Invoice, Invoice.id == InvoiceStatusChange.invoice_id)
        .where(
            InvoiceStatusChange.id > start,
            InvoiceStatusChange.status.in_(list(STATUS_EVENTS)),
            Invoice.company_id.in_(list(subs)),
        )
        .order_by(InvoiceStatusChange.id)
        .limit(settings.scan_limit)
    ).all()
    candidates = [
        (
            row.company_id,
            STATUS_EVENTS[row.event_status],
            f"{STATUS_EVENTS[row.event_status]}:{row.id}",
            row,
            row.event_at.isoformat(),
        )
        for row in rows
    ]
    made = _add_events(s, candidates, subs, nips)
    if rows:
        cursor_row.last_id = max(cursor_row.last_id, rows[-1].history_id)
    if len(rows) < settings.scan_limit:
        top = s.scalar(select(InvoiceStatusChange.id).order_by(InvoiceStatusChange.id.desc()).limit(1))
        cursor_row.last_id = max(cursor_row.last_id, top or 0)
    if deadlines:
        made += _scan_deadlines(s, subs, nips, today or warsaw_today())
    return made


def _scan_deadlines(
    s: Session, subs: dict[int, list[tuple[int, set[str]]]], nips: dict[int, str], today: date
) -> int:
    wanted = [c for c, items in subs.items() if any("invoice.deadline_near" in e for _, e in items)]
    if not wanted:
        return 0
    invoices = s.execute(
        select(*_INVOICE_COLUMNS).where(
            Invoice.company_id.in_(wanted),
            Invoice.direction == "issued",
            Invoice.status == states.OFFLINE,
            Invoice.offline_deadline.is_not(None),
            Invoice.offline_deadline <= today + timedelta(days=1),
        )
    ).all()
    now = _now().isoformat()
    return _add_events(
        s,
        (
            (
                i.company_id,
                "invoice.deadline_near",
                f"invoice.deadline_near:{i.id}:{i.offline_deadline}",
                i,
                now,
            )
            for i in invoices
        ),
        subs,
        nips,
    )


@dataclass
class _Job:
    delivery_id: int
    subscription_id: int
    company_id: int
    url: str
    event_type: str
    event_uid: str
    body: bytes
    attempts: int


def claim(s: Session, worker: str, settings: DeliverySettings, now: datetime) -> list[_Job]:
    query = (
        select(WebhookDelivery)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.state == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookSubscription.state == "active",
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(settings.batch)
    )
    if s.bind is not None and s.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    deliveries = s.scalars(query).all()
    if not deliveries:
        return []
    subs = {
        x.id: x
        for x in s.scalars(
            select(WebhookSubscription).where(
                WebhookSubscription.id.in_({d.subscription_id for d in deliveries})
            )
        )
    }
    events = {
        e.id: e
        for e in s.scalars(select(WebhookEvent).where(WebhookEvent.id.in_({d.event_id for d in deliveries})))
    }
    jobs = []
    for d in deliveries:
        d.claimed_by, d.claimed_until = worker, now + settings.lease
        event, sub = events[d.event_id], subs[d.subscription_id]
        body = json.dumps(event.payload, ensure_ascii=False, separators=(",", ":")).encode()
        jobs.append(_Job(d.id, sub.id, sub.company_id, sub.url, event.type, event.uid, body, d.attempts))
    return jobs


@dataclass
class _Outcome:
    job: _Job
    status: int | None
    error: str | None
    duration_ms: int
    at: datetime

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _target_allowed(url: str, settings: DeliverySettings) -> str | None:
    """None when the URL may be called; else why not (no requests into private networks by default)."""
    if settings.allow_private_targets:
        return None
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return "nie można ustalić adresu hosta"
    if any(is_private_address(str(info[4][0])) for info in infos):
        return "adres w sieci prywatnej albo lokalnej jest niedozwolony"
    return None


class DeliveryLoop:
    """Scan and deliver until stopped; run by ``fakturnik serve`` (and any process given a context)."""

    def __init__(
        self,
        ctx: Any,
        settings: DeliverySettings | None = None,
        *,
        worker_id: str | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings = settings or DeliverySettings()
        self.worker_id = worker_id or f"webhooks-{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.client = client or httpx.Client(
            timeout=self.settings.timeout_s,
            follow_redirects=False,
            headers={"User-Agent": "Fakturnik-Webhooks/1"},
        )
        self._stop = threading.Event()
        self._secrets: dict[int, bytes] = {}
        self._last_deadlines = 0.0
        self._pool = ThreadPoolExecutor(max_workers=self.settings.parallel, thread_name_prefix="webhook-post")

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.tick()
            except Exception as exc:  # keep delivering after a transient database error
                log.warning("webhook round failed: %s", type(exc).__name__)
                busy = False
            if not busy:
                self._stop.wait(self.settings.tick_s)
        self._pool.shutdown(wait=True)
        self.client.close()

    def tick(self) -> bool:
        """One round: scan, claim, POST, record. True when there was work."""
        deadlines = time.monotonic() - self._last_deadlines >= self.settings.deadline_every_s
        with self.ctx.db.transaction() as s:
            made = scan_events(s, self.settings, deadlines=deadlines)
        if deadlines:
            self._last_deadlines = time.monotonic()
        with self.ctx.db.transaction() as s:
            jobs = claim(s, self.worker_id, self.settings, _now())
        if not jobs:
            return made > 0
        outcomes = list(self._pool.map(self._post, jobs))
        with self.ctx.db.transaction() as s:
            self._record(s, outcomes)
        return True

    def _secret(self, subscription_id: int) -> bytes:
        cached = self._secrets.get(subscription_id)
        if cached is None:
            cached = self.ctx.vault.get(secret_name(subscription_id)).reveal()
            self._secrets[subscription_id] = cached
        return cached

    def _post(self, job: _Job) -> _Outcome:
        started = time.monotonic()
        at = _now()
        refused = _target_allowed(job.url, self.settings)
        if refused:
            return _Outcome(job, None, refused, 0, at)
        try:
            signature = sign(self._secret(job.subscription_id), int(time.time()), job.body)
        except Exception as exc:
            return _Outcome(job, None, f"brak sekretu subskrypcji ({type(exc).__name__})", 0, at)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature,
            EVENT_HEADER: job.event_type,
            DELIVERY_HEADER: job.event_uid,
        }
        try:
            response = self.client.post(job.url, content=job.body, headers=headers)
            status: int | None = response.status_code
            error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        except httpx.TimeoutException:
            status, error = None, "przekroczony czas oczekiwania"
        except httpx.HTTPError as exc:
            status, error = None, f"błąd połączenia ({type(exc).__name__})"
        return _Outcome(job, status, error, int((time.monotonic() - started) * 1000), at)

    def _record(self, s: Session, outcomes: list[_Outcome]) -> None:
        now = _now()
        by_sub: dict[int, list[_Outcome]] = defaultdict(list)
        for o in outcomes:
            by_sub[o.job.subscription_id].append(o)
        deliveries = {
            d.id: d
            for d in s.scalars(
                select(WebhookDelivery).where(
                    and_(
                        WebhookDelivery.id.in_([o.job.delivery_id for o in outcomes]),
                        WebhookDelivery.claimed_by == self.worker_id,
                    )
                )
            )
        }
        for sub_id, items in by_sub.items():
            sub = s.get(WebhookSubscription, sub_id)
            for o in items:
                d = deliveries.get(o.job.delivery_id)
                if d is None or d.state != "pending":  # lease lost to another process meanwhile
                    continue
                s.add(
                    WebhookAttempt(
                        delivery_id=d.id,
                        at=o.at,
                        status_code=o.status,
                        error=o.error,
                        duration_ms=o.duration_ms,
                    )
                )
                d.attempts += 1
                d.last_status, d.last_error = o.status, o.error
                d.claimed_by, d.claimed_until = None, None
                if o.ok:
                    d.state, d.delivered_at = "delivered", now
                elif d.attempts >= self.settings.max_attempts:
                    d.state = "failed"
                else:
                    d.next_attempt_at = now + timedelta(seconds=backoff(d.attempts, self.settings))
            if sub is None:
                continue
            for o in items:
                if o.ok:
                    sub.consecutive_failures = 0
                else:
                    sub.consecutive_failures += 1
            gone = any(o.status == 410 for o in items)
            exhausted = any(
                (d := deliveries.get(o.job.delivery_id)) is not None and d.state == "failed" for o in items
            )
            if sub.state == "active" and (
                gone or exhausted or sub.consecutive_failures >= self.settings.pause_after
            ):
                sub.state = "paused"
                sub.paused_reason = (
                    "odbiorca odpowiada 410 Gone"
                    if gone
                    else f"{sub.consecutive_failures} nieudanych prób z rzędu; ostatnio: {items[-1].error}"
                )
                log.warning("webhook subscription %s paused: %s", sub.id, sub.paused_reason)
