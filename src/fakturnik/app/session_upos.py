"""The session UPO of an invoice: KSeF's receipt for the whole session the invoice went in.

KSeF issues one UPO per session (in pages for a big batch), listing every invoice it accepted there;
the engine stores it as soon as the session's final status offers it (``session_upos``,
engine/upos.py). Here it is read for one invoice: the session of the invoice's outbox entry, its
pages, and the page that lists the invoice's KSeF number. Called inside the service's transaction,
after the tenancy check.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from fakturnik.app.views import SessionUpoPageView, SessionUpoView
from fakturnik.errors import InputError, NotFoundError
from fakturnik.store import repo
from fakturnik.store.models import Invoice, KsefSession, OutboxEntry, SessionUpo

NOT_YET = "UPO sesji tej faktury nie jest jeszcze dostępne (KSeF wydaje je po zamknięciu sesji)"


def session_of(s: Session, inv: Invoice) -> KsefSession | None:
    """The KSeF session the invoice was last sent in (None: not sent yet)."""
    ref = s.scalar(select(OutboxEntry.session_ref).where(OutboxEntry.invoice_id == inv.id))
    if not ref:
        return None
    row = repo.session_by_ref(s, ref)
    return row if row is not None and row.company_id == inv.company_id else None


def availability(s: Session, inv: Invoice) -> tuple[str | None, bool]:
    """(session reference, whether its UPO is stored and confirms this invoice) for the invoice page."""
    session = session_of(s, inv)
    if session is None:
        return None, False
    if not inv.ksef_number:  # KSeF's session UPO lists only the invoices it accepted
        return session.reference_number, False
    stored = s.scalar(select(SessionUpo.id).where(SessionUpo.session_id == session.id).limit(1))
    return session.reference_number, stored is not None


def _pages(s: Session, inv: Invoice) -> tuple[KsefSession, Sequence[SessionUpo]]:
    session = session_of(s, inv)
    if session is None or not inv.ksef_number:
        raise NotFoundError(NOT_YET)
    pages = repo.session_upos(s, session.reference_number)
    if not pages:
        raise NotFoundError(NOT_YET)
    return session, pages


def _lists(page: SessionUpo, ksef_number: str) -> bool:
    # a KSeF number is a fixed-format string that occurs in a UPO only as NumerKSeFDokumentu
    return ksef_number.encode("ascii", "replace") in bytes(page.xml)


def view(s: Session, inv: Invoice) -> SessionUpoView:
    session, pages = _pages(s, inv)
    number = inv.ksef_number or ""
    page_views = tuple(
        SessionUpoPageView(
            page=p.page,
            reference_number=p.reference_number,
            sha256=p.sha256,
            size=len(p.xml),
            fetched_at=p.fetched_at,
            lists_invoice=_lists(p, number),
        )
        for p in pages
    )
    return SessionUpoView(
        invoice_id=inv.id,
        ksef_number=number,
        session_reference=session.reference_number,
        session_kind=session.kind,
        opened_at=session.opened_at,
        closed_at=session.closed_at,
        invoice_count=session.invoice_count,
        pages=page_views,
        invoice_page=next((p.page for p in page_views if p.lists_invoice), None),
    )


def page_xml(s: Session, inv: Invoice, page: int | None = None) -> bytes:
    """One page's XML: ``page``, or the page that lists the invoice (the first page if none does)."""
    _, pages = _pages(s, inv)
    if page is not None:
        if type(page) is not int or page < 1:
            raise InputError("numer strony UPO sesji: liczba od 1", "page")
        for p in pages:
            if p.page == page:
                return bytes(p.xml)
        raise NotFoundError(f"nie ma strony {page} UPO sesji (stron: {len(pages)})")
    number = inv.ksef_number or ""
    chosen = next((p for p in pages if _lists(p, number)), pages[0])
    return bytes(chosen.xml)
