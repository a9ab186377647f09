"""The invoice list query: filters, keyset (cursor) paging newest first, optional totals."""

from __future__ import annotations

import base64
import calendar
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, load_only

from fakturnik.app.filters import DEFAULT_LIMIT, MAX_LIMIT, InvoiceFilter, like_anywhere
from fakturnik.app.invoice_views import row_view
from fakturnik.app.views import InvoicePage
from fakturnik.errors import InputError
from fakturnik.store.models import Invoice
from fakturnik.store.states import BY_BUYER

CENT = Decimal("0.01")
LIST_COLUMNS = (
    Invoice.id,
    Invoice.company_id,
    Invoice.direction,
    Invoice.kind,
    Invoice.number,
    Invoice.ksef_number,
    Invoice.status,
    Invoice.issue_date,
    Invoice.sale_date,
    Invoice.due_date,
    Invoice.seller_nip,
    Invoice.seller_name,
    Invoice.buyer_id,
    Invoice.buyer_name,
    Invoice.net,
    Invoice.vat,
    Invoice.gross,
    Invoice.currency,
    Invoice.paid_amount,
    Invoice.paid_at,
    Invoice.offline_deadline,
    Invoice.created_at,
    Invoice.booked_at,
    Invoice.origin,
)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"i:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, value = raw.split(":", 1)
        if prefix != "i" or not value.isdigit():
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise InputError("niepoprawny kursor stronicowania", "cursor") from None


def _month(value: str) -> tuple[date, date]:
    try:
        year, month = (int(x) for x in value.split("-"))
        last = calendar.monthrange(year, month)[1]
        return date(year, month, 1), date(year, month, last)
    except (ValueError, TypeError):
        raise InputError("miesiąc w formacie RRRR-MM", "month") from None


def issue_dates(f: InvoiceFilter) -> list[Any]:
    """The filter's bounds on the issue date (its month, from, to)."""
    dated: list[Any] = []
    if f.month:
        first, last = _month(f.month)
        dated += [Invoice.issue_date >= first, Invoice.issue_date <= last]
    if f.issue_from:
        dated.append(Invoice.issue_date >= f.issue_from)
    if f.issue_to:
        dated.append(Invoice.issue_date <= f.issue_to)
    return dated


def conditions(
    company_id: int,
    direction: str,
    f: InvoiceFilter,
    today: date,
    *,
    sqlite: bool = False,
    dates: bool = True,
) -> list[Any]:
    """The filter as SQL conditions; ``dates=False`` leaves out the issue-date bounds (``issue_dates``)."""
    where: list[Any] = [Invoice.company_id == company_id, Invoice.direction == direction]
    if f.status:
        where.append(Invoice.status.in_(list(f.status)))
    if f.kind:
        where.append(Invoice.kind.in_(list(f.kind)))
    if dates:
        where += issue_dates(f)
    if f.sale_from:
        where.append(Invoice.sale_date >= f.sale_from)
    if f.sale_to:
        where.append(Invoice.sale_date <= f.sale_to)
    if f.buyer_nip:
        where.append(Invoice.buyer_id == f.buyer_nip.replace("-", "").strip())
    if f.seller_nip:
        where.append(Invoice.seller_nip == f.seller_nip.replace("-", "").strip())
    if f.number:
        where.append(Invoice.number == f.number.strip())
    if f.ksef_number:
        where.append(Invoice.ksef_number == f.ksef_number.strip())
    if f.booked is not None:
        where.append(Invoice.booked_at.is_not(None) if f.booked else Invoice.booked_at.is_(None))
    if f.issued_by == "buyer":
        where.append(Invoice.origin == BY_BUYER)
    elif f.issued_by == "company":
        where.append(Invoice.origin.is_(None))
    elif f.issued_by is not None:
        raise InputError("wystawił: company (firma) albo buyer (nabywca, samofakturowanie)", "issued_by")
    if f.paid:
        paid = and_(Invoice.gross.is_not(None), Invoice.paid_amount >= Invoice.gross)
        if f.paid == "paid":
            where.append(paid)
        elif f.paid == "unpaid":
            where.append(~paid)
        elif f.paid == "partly_paid":
            where += [~paid, Invoice.paid_amount > 0]
        elif f.paid == "overdue":
            where += [~paid, Invoice.due_date.is_not(None), Invoice.due_date < today]
        else:
            raise InputError("płatność: paid, unpaid, partly_paid albo overdue", "paid")
    if f.q and f.q.strip():
        if len(f.q) > 200:
            raise InputError("tekst wyszukiwania może mieć najwyżej 200 znaków", "q")
        pattern = like_anywhere(f.q.strip())
        # the match runs on the covering index (ix_invoices_cover), the page then reads 50 rows
        party = (
            (Invoice.buyer_name, Invoice.buyer_id)
            if direction == "issued"
            else (Invoice.seller_name, Invoice.seller_nip)
        )
        columns = (Invoice.number, Invoice.ksef_number, *party)
        # SQLite's LIKE is case-insensitive already (ASCII, as its lower() is); PostgreSQL needs ILIKE
        match = [
            col.like(pattern, escape="\\") if sqlite else col.ilike(pattern, escape="\\") for col in columns
        ]
        where.append(or_(*match))
    return where


def list_page(
    s: Session,
    company_id: int,
    direction: str,
    f: InvoiceFilter,
    *,
    cursor: str | None,
    limit: int,
    with_totals: bool,
    today: date,
) -> InvoicePage:
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit od 1 do {MAX_LIMIT}", "limit")
    sqlite = s.get_bind().dialect.name == "sqlite"
    where = conditions(company_id, direction, f, today, sqlite=sqlite)
    page_where = list(where)
    if cursor:
        page_where.append(Invoice.id < decode_cursor(cursor))
    if f.q and f.q.strip():
        # the page's ids first, newest first, from the covering index ix_invoices_cover (which holds
        # the searched columns in id order: the scan stops after limit + 1 matches and reads no row
        # with its XML); then those rows
        ids = select(Invoice.id).where(*page_where).order_by(Invoice.id.desc()).limit(limit + 1)
        page_where = [Invoice.id.in_(ids)]
    q = (
        select(Invoice)
        .options(load_only(*LIST_COLUMNS, raiseload=True))
        .where(*page_where)
        .order_by(Invoice.id.desc())
        .limit(limit + 1)
    )
    rows = list(s.scalars(q))
    more = len(rows) > limit
    rows = rows[:limit]
    totals: dict[str, Any] = {}
    if with_totals:
        totals = _totals(s, totals_query(company_id, direction, f, today, sqlite=sqlite))
    return InvoicePage(
        items=tuple(row_view(inv, today) for inv in rows),
        next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
        **totals,
    )


def totals_query(
    company_id: int, direction: str, f: InvoiceFilter, today: date, *, sqlite: bool = False
) -> Select[int, Decimal | None, Decimal | None, Decimal | None, Any]:
    """Count of everything matching and, for PLN invoices, gross, net, VAT and unpaid: one aggregate
    over the covering index ix_invoices_cover (no row with its XML is read).

    On SQLite a filter by issue date (a month, from, to) names its invoices by id: the ids of the
    date range come from ix_invoices_issue_date (which holds them), the sums from the covering index
    by id. Given the date bounds themselves, SQLite searches the date index and then reads each row
    of the range for its amounts, walking the XML's overflow pages (twice the time for a month of
    100,000 invoices). PostgreSQL searches the covering index by the bounds directly (the ids first
    would take it twice the time)."""
    where = conditions(company_id, direction, f, today, sqlite=sqlite, dates=not sqlite)
    dated = issue_dates(f) if sqlite else []
    if dated:
        owned = (Invoice.company_id == company_id, Invoice.direction == direction)
        where.append(Invoice.id.in_(select(Invoice.id).where(*owned, *dated)))
    pln = Invoice.currency == "PLN"
    # what is still to be paid: gross minus payments, never below zero (a correction's negative gross,
    # an invoice paid in full count 0), as app.invoice_views.payment_of decides "paid"
    unpaid = case((Invoice.gross > Invoice.paid_amount, Invoice.gross - Invoice.paid_amount), else_=0)
    return select(
        func.count(Invoice.id),
        func.sum(Invoice.gross).filter(pln),
        func.sum(Invoice.net).filter(pln),
        func.sum(Invoice.vat).filter(pln),
        func.sum(unpaid).filter(pln),
    ).where(*where)


def _totals(
    s: Session, query: Select[int, Decimal | None, Decimal | None, Decimal | None, Any]
) -> dict[str, Any]:
    count, gross, net, vat, due = s.execute(query).one()
    return {
        "total_count": int(count),
        "total_gross": _money(gross),
        "total_net": _money(net),
        "total_vat": _money(vat),
        "total_unpaid": _money(due),
    }


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT) if value is not None else Decimal("0.00")


__all__ = ["DEFAULT_LIMIT", "list_page"]
