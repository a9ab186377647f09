"""Webhooks: a company's subscriptions to events, and how their bodies are signed.

Events: ``invoice.accepted`` (KSeF number assigned), ``invoice.rejected`` (KSeF's error),
``invoice.offline`` (issued in offline mode), ``invoice.deadline_near`` (an offline invoice's sending
deadline is today or tomorrow and it has no KSeF number yet), ``received.new`` (a received invoice
downloaded). Delivery (durable, at-least-once, retries with backoff, paused when dead) is
:mod:`fakturnik.app.webhooks_delivery`.

Signature (as payment providers do it): header ``Fakturnik-Signature: t=<unix seconds>,v1=<hex>``
where ``v1`` is HMAC-SHA256 with the subscription's secret over ``"<t>." + body`` (the raw bytes).
A receiver recomputes it, compares in constant time and refuses a ``t`` older than a few minutes.
The secret (``whsec_…``) is shown once when the subscription is created; it is kept in the vault.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

from sqlalchemy import func, select

from fakturnik.app.access import Action
from fakturnik.app.projection import project
from fakturnik.app.service import Service
from fakturnik.errors import InputError
from fakturnik.store.webhook_models import WebhookAttempt, WebhookDelivery, WebhookSubscription

EVENTS: Final = (
    "invoice.accepted",
    "invoice.rejected",
    "invoice.offline",
    "invoice.deadline_near",
    "received.new",
)
SIGNATURE_HEADER: Final = "Fakturnik-Signature"
EVENT_HEADER: Final = "Fakturnik-Event"
DELIVERY_HEADER: Final = "Fakturnik-Delivery"
MAX_SUBSCRIPTIONS_PER_COMPANY: Final = 20


def secret_name(subscription_id: int) -> str:
    return f"webhook:{subscription_id}"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``Fakturnik-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(
    secret: bytes, header: str, body: bytes, *, tolerance_s: int = 300, now: float | None = None
) -> bool:
    """What a receiver does: True when ``header`` signs ``body`` with ``secret`` and is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def check_url(url: str, *, allow_insecure: bool) -> str:
    """A subscription URL: https (http only where allowed, e.g. tests and local networks), no credentials."""
    problems_path = "url"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError("Adres musi zaczynać się od https:// i zawierać nazwę hosta.", problems_path)
    if parts.scheme == "http" and not allow_insecure:
        raise InputError("Wymagany adres https://.", problems_path)
    if parts.username or parts.password:
        raise InputError("Adres nie może zawierać nazwy użytkownika ani hasła.", problems_path)
    if len(url) > 2048:
        raise InputError("Adres jest za długi (najwyżej 2048 znaków).", problems_path)
    return url


def is_private_address(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    company_id: int
    url: str
    events: tuple[str, ...]
    description: str
    state: str  # active | paused
    paused_reason: str | None
    consecutive_failures: int
    created_at: datetime
    pending: int = 0  # deliveries waiting


@dataclass(frozen=True)
class SubscriptionCreated:
    subscription: SubscriptionView
    secret: str = field(repr=False)  # shown once; the key of the HMAC signature


@dataclass(frozen=True)
class AttemptView:
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class DeliveryView:
    id: int
    event_id: int
    event_type: str
    state: str  # pending | delivered | failed
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    log: tuple[AttemptView, ...] = ()


def _view(sub: WebhookSubscription, pending: int = 0) -> SubscriptionView:
    return project(SubscriptionView, sub, events=tuple(sub.events), pending=pending)


def _events(events: list[str] | tuple[str, ...]) -> list[str]:
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise InputError(f"Dozwolone zdarzenia: {', '.join(EVENTS)}.", "events")
    return sorted(set(events))


class WebhooksService(Service):
    """Subscriptions of one company (needs ``webhooks.manage``: owners and ``company:admin`` keys)."""

    allow_insecure_urls: bool = False  # http:// targets (set by the server for local setups/tests)

    def create(
        self, company_id: int, *, url: str, events: list[str] | tuple[str, ...], description: str = ""
    ) -> SubscriptionCreated:
        with self._tx() as s:
            self._company(s, company_id, Action.WEBHOOKS_MANAGE)  # who asks first, then what is asked
            url = check_url(url, allow_insecure=self.allow_insecure_urls)
            chosen = _events(events)
            count = s.scalar(
                select(func.count())
                .select_from(WebhookSubscription)
                .where(WebhookSubscription.company_id == company_id)
            )
            if (count or 0) >= MAX_SUBSCRIPTIONS_PER_COMPANY:
                raise InputError(f"Najwyżej {MAX_SUBSCRIPTIONS_PER_COMPANY} subskrypcji na firmę.", "url")
            sub = WebhookSubscription(
                company_id=company_id,
                url=url,
                events=chosen,
                description=description[:256],
                state="active",
                consecutive_failures=0,
            )
            s.add(sub)
            s.flush()
            self._audit(s, "webhook.create", company_id=company_id, detail={"id": sub.id, "events": chosen})
            view = _view(sub)
        secret = "whsec_" + secrets.token_urlsafe(32)
        try:
            self.ctx.vault.put(secret_name(view.id), str(company_id), secret)
        except BaseException:
            with self._tx() as s:
                doomed = s.get(WebhookSubscription, view.id)
                if doomed is not None:
                    s.delete(doomed)
            raise
        return SubscriptionCreated(subscription=view, secret=secret)

    def _get(self, s: object, company_id: int, subscription_id: int, action: Action) -> WebhookSubscription:
        from sqlalchemy.orm import Session

        assert isinstance(s, Session)
        return self._owned(
            s, company_id, action, WebhookSubscription, subscription_id, "nie ma takiej subskrypcji"
        )

    def list(self, company_id: int) -> builtins.list[SubscriptionView]:
        with self._tx() as s:
            self._company(s, company_id, Action.WEBHOOKS_MANAGE)
            subs = s.scalars(
                select(WebhookSubscription)
                .where(WebhookSubscription.company_id == company_id)
                .order_by(WebhookSubscription.id)
            ).all()
            counts = s.execute(
                select(WebhookDelivery.subscription_id, func.count())
                .where(
                    WebhookDelivery.subscription_id.in_([x.id for x in subs]),
                    WebhookDelivery.state == "pending",
                )
                .group_by(WebhookDelivery.subscription_id)
            )
            pending = {sub_id: n for sub_id, n in counts}
            return [_view(x, pending.get(x.id, 0)) for x in subs]

    def get(self, company_id: int, subscription_id: int) -> SubscriptionView:
        with self._tx() as s:
            sub = self._get(s, company_id, subscription_id, Action.WEBHOOKS_MANAGE)
            pending = s.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.subscription_id == sub.id, WebhookDelivery.state == "pending")
            )
            return _view(sub, pending or 0)

    def update(
        self,
        company_id: int,
        subscription_id: int,
        *,
        url: str | None = None,
        events: builtins.list[str] | None = None,
        description: str | None = None,
        active: bool | None = None,
    ) -> SubscriptionView:
        """Change a subscription; ``active=True`` resumes a paused one (its waiting deliveries go out)."""
        with self._tx() as s:
            sub = self._get(s, company_id, subscription_id, Action.WEBHOOKS_MANAGE)
            if url is not None:
                url = check_url(url, allow_insecure=self.allow_insecure_urls)
            chosen = _events(events) if events is not None else None
            if url is not None:
                sub.url = url
            if chosen is not None:
                sub.events = chosen
            if description is not None:
                sub.description = description[:256]
            if active is True and sub.state != "active":
                sub.state, sub.paused_reason, sub.consecutive_failures = "active", None, 0
                from datetime import UTC
                from datetime import datetime as dt

                now = dt.now(UTC)
                for d in s.scalars(
                    select(WebhookDelivery).where(
                        WebhookDelivery.subscription_id == sub.id, WebhookDelivery.state == "pending"
                    )
                ):
                    d.next_attempt_at = now
            elif active is False:
                sub.state, sub.paused_reason = "paused", "wstrzymana przez użytkownika"
            self._audit(s, "webhook.update", company_id=company_id, detail={"id": sub.id})
            return _view(sub)

    def delete(self, company_id: int, subscription_id: int) -> None:
        with self._tx() as s:
            sub = self._get(s, company_id, subscription_id, Action.WEBHOOKS_MANAGE)
            delivery_ids = select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == sub.id)
            from sqlalchemy import delete

            s.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids)))
            s.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id))
            s.delete(sub)
            self._audit(s, "webhook.delete", company_id=company_id, detail={"id": subscription_id})
        self.ctx.vault.delete(secret_name(subscription_id))

    def deliveries(
        self, company_id: int, subscription_id: int, *, limit: int = 50, state: str | None = None
    ) -> builtins.list[DeliveryView]:
        """The latest deliveries of a subscription with their attempts (status code of each)."""
        from fakturnik.store.webhook_models import WebhookEvent

        with self._tx() as s:
            sub = self._get(s, company_id, subscription_id, Action.WEBHOOKS_MANAGE)
            query = (
                select(WebhookDelivery, WebhookEvent.type)
                .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                .where(WebhookDelivery.subscription_id == sub.id)
                .order_by(WebhookDelivery.id.desc())
                .limit(max(1, min(limit, 500)))
            )
            if state:
                query = query.where(WebhookDelivery.state == state)
            rows = s.execute(query).all()
            ids = [d.id for d, _ in rows]
            log: dict[int, builtins.list[AttemptView]] = {}
            for a in s.scalars(
                select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)).order_by(WebhookAttempt.id)
            ):
                log.setdefault(a.delivery_id, []).append(project(AttemptView, a))
            return [
                project(
                    DeliveryView,
                    d,
                    event_type=kind,
                    next_attempt_at=d.next_attempt_at if d.state == "pending" else None,
                    log=tuple(log.get(d.id, ())),
                )
                for d, kind in rows
            ]
