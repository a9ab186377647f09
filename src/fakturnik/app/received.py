"""Invoices a company received (downloaded from KSeF by the sync): list, get, XML, booked, paid."""

from __future__ import annotations

from datetime import UTC, datetime

from fakturnik.app.access import Action
from fakturnik.app.invoice_views import detail_view
from fakturnik.app.invoices import InvoicesService, today_pl
from fakturnik.app.views import InvoiceView
from fakturnik.errors import PermissionDeniedError


class ReceivedService(InvoicesService):
    """The read side of :class:`InvoicesService` on ``direction = received``, plus booking."""

    direction = "received"

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
