"""Store rows → read models (inside the transaction that read them; nothing lazy escapes)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from fakturnik.app.views import (
    InvoiceRow,
    InvoiceView,
    KsefErrorView,
    Party,
    PaymentState,
    PaymentView,
    StatusChange,
    Totals,
)
from fakturnik.errors import Problem
from fakturnik.store import repo
from fakturnik.store.models import Invoice, Upo
from fakturnik.store.states import BY_BUYER

ZERO = Decimal("0")


def payment_of(inv: Invoice, today: date) -> PaymentView:
    paid = inv.paid_amount or ZERO
    gross = inv.gross
    state: PaymentState
    if gross is not None and paid >= gross and (paid > 0 or gross <= 0):
        state = "paid"
    elif paid > 0:
        state = "partly_paid"
    else:
        state = "unpaid"
    overdue = state != "paid" and inv.due_date is not None and inv.due_date < today
    return PaymentView(
        state=state, paid_amount=paid, paid_at=inv.paid_at, due_date=inv.due_date, overdue=overdue
    )


def _row_fields(inv: Invoice, today: date) -> dict[str, object]:
    return {
        "id": inv.id,
        "company_id": inv.company_id,
        "direction": inv.direction,
        "kind": inv.kind,
        "number": inv.number,
        "ksef_number": inv.ksef_number,
        "status": inv.status,
        "issue_date": inv.issue_date,
        "sale_date": inv.sale_date,
        "seller": Party(inv.seller_nip, inv.seller_name),
        "buyer": Party(inv.buyer_id, inv.buyer_name),
        "totals": Totals(inv.net, inv.vat, inv.gross, inv.currency),
        "payment": payment_of(inv, today),
        "offline_deadline": inv.offline_deadline if inv.ksef_number is None else None,
        "created_at": inv.created_at,
        "booked_at": inv.booked_at,
        "issued_by_buyer": inv.origin == BY_BUYER,
    }


def row_view(inv: Invoice, today: date) -> InvoiceRow:
    return InvoiceRow(**_row_fields(inv, today))  # type: ignore[arg-type]


def ksef_error_of(inv: Invoice) -> KsefErrorView | None:
    if not inv.error_code and not inv.error_message:
        return None
    # the engine keeps KSeF's description and its details joined by "; " (engine.outcomes)
    parts = [p.strip() for p in (inv.error_message or "").split("; ")]
    details = tuple(p for p in parts[1:] if p)
    return KsefErrorView(code=inv.error_code or "", message=parts[0], details=details)


def detail_view(s: Session, inv: Invoice, today: date, warnings: tuple[Problem, ...] = ()) -> InvoiceView:
    from fakturnik.app import session_upos
    from fakturnik.app.issuers import issuer_of
    from fakturnik.app.summary import summary_of
    from fakturnik.errors import FakturnikError

    history = tuple(StatusChange(h.status, h.at, h.detail) for h in repo.history(s, inv.id))
    upo = bool(s.scalar(select(exists().where(Upo.invoice_id == inv.id))))
    fields = _row_fields(inv, today)
    session_ref, session_upo = session_upos.availability(s, inv)
    try:  # the parties' addresses live in the document only
        summary = summary_of(inv.xml)
        fields["seller"] = Party(inv.seller_nip, inv.seller_name, summary.seller_address)
        fields["buyer"] = Party(inv.buyer_id, inv.buyer_name, summary.buyer_address)
    except FakturnikError:
        pass
    return InvoiceView(
        **fields,  # type: ignore[arg-type]
        offline_mode=inv.offline_mode,
        offline_kind=inv.offline_kind,
        ksef_error=ksef_error_of(inv),
        acquired_at=inv.acquired_at,
        upo_available=upo,
        sha256=inv.sha256,
        corrects_id=inv.corrects_id,
        history=history,
        warnings=warnings,
        issued_by=issuer_of(s, inv) if inv.direction == "issued" else None,
        session_reference=session_ref,
        session_upo_available=session_upo,
    )
