"""Invoices a company received (downloaded from KSeF by the sync): list, get, XML, booked, paid."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fakturnik.app.access import Action
from fakturnik.app.filters import DEFAULT_LIMIT, InvoiceFilter
from fakturnik.app.invoice_views import detail_view
from fakturnik.app.invoices import InvoicesService, today_pl
from fakturnik.app.views import InvoicePage, InvoiceView
from fakturnik.errors import FakturnikError, PermissionDeniedError
from fakturnik.store.models import Invoice

SUMMARY_DONE = "summary"


class ReceivedService(InvoicesService):
    """The read side of :class:`InvoicesService` on ``direction = received``, plus booking."""

    direction = "received"

    def _complete(self, s: Session, company_id: int, limit: int = 1000) -> None:
        """Fill the list columns (sale date, net, VAT, due date) of invoices the sync stored without them.

        The engine's sync keeps what KSeF's metadata gives; the rest is read from the XML once, here
        (``request_hash`` = ``"summary"`` marks a row done, as received invoices have no request).
        """
        from fakturnik.app.summary import summary_of

        rows = s.scalars(
            select(Invoice)
            .where(
                Invoice.company_id == company_id,
                Invoice.direction == "received",
                Invoice.request_hash.is_(None),
            )
            .limit(limit)
        ).all()
        for inv in rows:
            try:
                summary = summary_of(inv.xml)
            except FakturnikError:
                inv.request_hash = SUMMARY_DONE
                continue
            inv.sale_date, inv.net, inv.vat = summary.sale_date, summary.net, summary.vat
            inv.due_date = summary.due_date
            inv.buyer_name = inv.buyer_name or summary.buyer_name
            inv.seller_name = inv.seller_name or summary.seller_name
            inv.request_hash = SUMMARY_DONE

    def list(
        self,
        company_id: int,
        filter: InvoiceFilter | None = None,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_LIMIT,
        with_totals: bool = False,
    ) -> InvoicePage:
        with self._tx() as s:
            self._company(s, company_id, Action.RECEIVED_READ)
            self._complete(s, company_id)
        return super().list(company_id, filter, cursor=cursor, limit=limit, with_totals=with_totals)

    def get(self, company_id: int, invoice_id: int) -> InvoiceView:
        with self._tx() as s:
            self._company(s, company_id, Action.RECEIVED_READ)
            self._complete(s, company_id)
        return super().get(company_id, invoice_id)

    def mark_booked(self, company_id: int, invoice_id: int, booked: bool = True) -> InvoiceView:
        """Mark as booked in the accounts (or not any more)."""
        with self._tx() as s:
            inv = self._invoice(s, company_id, invoice_id, Action.RECEIVED_WRITE)
            inv.booked_at = datetime.now(UTC) if booked else None
            self._audit(
                s,
                "received.booked" if booked else "received.unbooked",
                company_id=company_id,
                invoice_id=inv.id,
            )
            s.flush()
            return detail_view(s, inv, today_pl())

    # issuing does not apply to received invoices
    def issue(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise PermissionDeniedError("faktur otrzymanych się nie wystawia")

    def issue_many(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise PermissionDeniedError("faktur otrzymanych się nie wystawia")

    def correct(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise PermissionDeniedError("korektę wystawia sprzedawca")
