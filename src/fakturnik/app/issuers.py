"""Who issued an invoice: the actor of its ``invoice.issue`` audit entry, made readable.

The audit log keeps the actor as a label (:class:`fakturnik.app.actor.Actor`): ``user:7 <ala@firma.pl>``,
``key:3 (ERP)``, ``system:cli``. :func:`issuer_of` reads that entry and the user's or key's current
name (one primary-key read) and gives an :class:`IssuerView` with a Polish label for the invoice page.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from fakturnik.app.views import IssuerView
from fakturnik.store.models import ApiKey, AuditEntry, Invoice, User
from fakturnik.store.states import BY_BUYER

ISSUE_ACTION = "invoice.issue"
_USER = re.compile(r"user:(\d+)(?: <(.*)>)?$")
_KEY = re.compile(r"key:(\d+)(?: \((.*)\))?$", re.DOTALL)
SYSTEM_NAMES = {  # Actor.system(name) → what people read
    "library": "system (biblioteka Pythona)",
    "cli": "system (wiersz poleceń)",
    "recurring": "faktura cykliczna (automatycznie)",
}


def issuer_label(s: Session, company_id: int, invoice_id: int) -> str | None:
    """The raw actor label of the invoice's first ``invoice.issue`` entry (None: no entry)."""
    return s.scalar(
        select(AuditEntry.actor)
        .where(
            AuditEntry.invoice_id == invoice_id,
            AuditEntry.company_id == company_id,
            AuditEntry.action == ISSUE_ACTION,
        )
        .order_by(AuditEntry.id)
        .limit(1)
    )


def issuer_of(s: Session, invoice: Invoice) -> IssuerView | None:
    """Who issued the invoice: the buyer of a sale it self-billed in the company's name (downloaded
    from KSeF), else the actor of its ``invoice.issue`` entry (None: no entry)."""
    if invoice.origin == BY_BUYER:
        who = invoice.buyer_name or f"NIP {invoice.buyer_id}"
        return IssuerView("buyer", f"nabywca: {who} (samofakturowanie)", name=invoice.buyer_name)
    label = issuer_label(s, invoice.company_id, invoice.id)
    return describe(s, invoice.company_id, label) if label is not None else None


def describe(s: Session, company_id: int, label: str) -> IssuerView:
    """An audit actor label → who it is, with today's name of the user or key."""
    user = _USER.match(label)
    if user:
        user_id, email = int(user.group(1)), user.group(2) or ""
        row = s.get(User, user_id)
        name = row.name if row is not None else ""
        email = (row.email if row is not None else "") or email
        shown = f"{name} <{email}>" if name and email else (name or email or f"użytkownik nr {user_id}")
        return IssuerView("user", shown, user_id=user_id, email=email, name=name)
    key = _KEY.match(label)
    if key:
        key_id, key_name = int(key.group(1)), key.group(2) or ""
        row_key = s.get(ApiKey, key_id)
        if row_key is not None and row_key.company_id == company_id:
            key_name = row_key.name or key_name
        shown = f"klucz API „{key_name}”" if key_name else f"klucz API nr {key_id}"
        return IssuerView("api_key", shown, api_key_id=key_id, api_key_name=key_name)
    name = label.removeprefix("system:")
    return IssuerView("system", SYSTEM_NAMES.get(name, f"system ({name})"))
