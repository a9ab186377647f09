"""Invoices a company received (downloaded from KSeF by the sync): list, get, XML, booked, paid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fakturnik.app.access import Action
from fakturnik.app.invoice_views import detail_view
from fakturnik.app.invoices import InvoicesService, today_pl
from fakturnik.app.views import InvoiceView
from fakturnik.errors import FakturnikError, PermissionDeniedError
from fakturnik.store.models import Invoice

SUMMARY_DONE = "summary"

RECEIVED_LABELS = {  # a received invoice: KSeF took it; the groups say who would object, and to what
    "ksef": "Sprawdzenia KSeF (KSeF przyjął fakturę; tu zgłaszamy ostrzej, np. cyfrę kontrolną NIP)",
    "vat_act": "Wymaga tego ustawa o VAT (faktura przyjęta przez KSeF, ale wadliwa)",
    "amounts": "Kwoty się nie zgadzają",
}


@dataclass(frozen=True)
class WarningNote:
    code: str
    path: str
    message: str


@dataclass(frozen=True)
class WarningGroup:
    authority: str  # ksef | vat_act | amounts (fa3.authority)
    label: str
    notes: list[WarningNote]


@dataclass(frozen=True)
class ReceivedWarnings:
    """What validation says of a received invoice; it was stored as KSeF gave it and is never refused."""

    invoice_id: int
    ksef_number: str | None
    groups: list[WarningGroup]

    @property
    def count(self) -> int:
        return sum(len(g.notes) for g in self.groups)


def received_warnings(invoice_id: int, ksef_number: str | None, xml: bytes, env: str) -> ReceivedWarnings:
    """Every problem and warning of the document as a warning, grouped by authority (KSeF, VAT, amounts)."""
    from fakturnik.fa3.authority import grouped
    from fakturnik.fa3.validation import validate_xml

    try:
        report = validate_xml(xml, env)  # type: ignore[arg-type]
        problems = [*report.problems, *report.warnings]
    except FakturnikError as exc:  # unreadable: say so, keep the invoice
        from fakturnik.errors import Problem

        problems = [Problem("", str(exc), "XML_UNREADABLE")]
    groups = [
        WarningGroup(
            str(authority),
            RECEIVED_LABELS[str(authority)],
            [WarningNote(p.code, p.path, p.message) for p in found],
        )
        for authority, found in grouped(problems).items()
    ]
    return ReceivedWarnings(invoice_id, ksef_number, groups)


class ReceivedService(InvoicesService):
    """The read side of :class:`InvoicesService` on ``direction = received``, plus booking."""

    direction = "received"

    def _before_reading(self, s: Session, company_id: int, limit: int = 1000) -> None:
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

    def warnings(self, company_id: int, invoice_id: int) -> ReceivedWarnings:
        """The received invoice's warnings by authority (checked as for the company's environment)."""
        from fakturnik.engine.issuing import validation_env

        with self._tx() as s:
            company = self._company(s, company_id, Action.RECEIVED_READ)
            inv = self._invoice(s, company_id, invoice_id, Action.RECEIVED_READ)
            env = validation_env(company.environment)
            number, xml = inv.ksef_number, bytes(inv.xml or b"")
        if not xml:
            return ReceivedWarnings(invoice_id, number, [])
        return received_warnings(invoice_id, number, xml, env)

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
