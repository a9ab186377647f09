"""Collective identifiers in the product (KSeF API 2.7): one transfer for many invoices of one seller.

The seller side: for the unpaid invoices of one buyer (registered in KSeF, not yet paid in full) the
company asks KSeF for one collective identifier (``ksef.collective``) and keeps it with the amount to
pay, so the buyer pays them all with one transfer titled with the identifier. The buyer side: the
identifiers sellers created for the company's received invoices are read from KSeF, matched with the
received invoices stored here, and a payment list is exported (``fakturnik.payments``: CSV, Elixir-O)
with the KSeF numbers, or the identifier, in each transfer's title.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from fakturnik.app.access import Action
from fakturnik.app.projection import project
from fakturnik.app.service import Service
from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import ConflictError, InputError, KsefApiError, NotFoundError
from fakturnik.store import states
from fakturnik.store.collective_models import CollectiveIdentifierRow
from fakturnik.store.models import Company, CompanyProfile, Invoice

if TYPE_CHECKING:
    from fakturnik.ksef.client import KsefClient

MAX_INVOICES = 500  # KSeF: at most 500 invoices per identifier
RECEIVED_WINDOW = timedelta(days=99)  # KSeF queries span at most 100 days
PaymentFormat = Literal["csv", "elixir"]


@dataclass(frozen=True)
class PayableInvoiceView:
    invoice_id: int
    number: str
    ksef_number: str
    issue_date: date | None
    due_date: date | None
    gross: Decimal
    paid: Decimal
    to_pay: Decimal
    currency: str


@dataclass(frozen=True)
class BuyerDues:
    """What one buyer still owes the company, invoice by invoice (only invoices with a KSeF number)."""

    buyer_id: str
    buyer_name: str
    invoices: tuple[PayableInvoiceView, ...]
    total: Decimal
    currency: str | None  # None when the invoices are in several currencies


@dataclass(frozen=True)
class CollectiveView:
    """An identifier the company created: tell the buyer to pay ``amount`` with ``number`` as the title."""

    id: int
    number: str
    buyer_id: str
    buyer_name: str
    ksef_numbers: tuple[str, ...]
    invoice_ids: tuple[int, ...]
    amount: Decimal | None
    currency: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class ReceivedIdentifierInvoice:
    ksef_number: str
    invoice_id: int | None  # the received invoice stored here (None: not downloaded yet)
    number: str | None
    amount: Decimal | None  # as the seller gave it, else the received invoice's amount still to pay
    currency: str | None


@dataclass(frozen=True)
class ReceivedIdentifierView:
    """An identifier a seller created for invoices the company received."""

    number: str
    seller_nip: str
    seller_name: str
    created_at: datetime
    invoices: tuple[ReceivedIdentifierInvoice, ...]
    amount: Decimal | None  # None when an amount is unknown
    currency: str | None


@dataclass(frozen=True)
class PaymentListFile:
    filename: str
    media_type: str
    content: bytes
    transfers: int
    total: Decimal


def _to_pay(inv: Invoice) -> Decimal:
    return (inv.gross or Decimal("0")) - (inv.paid_amount or Decimal("0"))


def _payable(inv: Invoice) -> PayableInvoiceView:
    assert inv.ksef_number is not None and inv.gross is not None
    paid, currency = inv.paid_amount or Decimal("0"), inv.currency or "PLN"
    return project(
        PayableInvoiceView, inv, invoice_id=inv.id, paid=paid, to_pay=_to_pay(inv), currency=currency
    )


def _view(row: CollectiveIdentifierRow) -> CollectiveView:
    return project(
        CollectiveView, row, ksef_numbers=tuple(row.ksef_numbers), invoice_ids=tuple(row.invoice_ids)
    )


def _owed(s: Session, company_id: int, buyer_id: str | None) -> list[BuyerDues]:
    query = select(Invoice).where(
        Invoice.company_id == company_id,
        Invoice.direction == "issued",
        Invoice.status == states.ACCEPTED,
        Invoice.ksef_number.is_not(None),
        Invoice.gross > 0,
    )
    if buyer_id is not None:
        query = query.where(Invoice.buyer_id == buyer_id.strip())
    rows = [inv for inv in s.scalars(query.order_by(Invoice.issue_date, Invoice.id)) if _to_pay(inv) > 0]
    by_buyer: dict[str, list[Invoice]] = {}
    for inv in rows:
        by_buyer.setdefault(inv.buyer_id, []).append(inv)
    out = []
    for buyer, invoices in sorted(by_buyer.items(), key=lambda kv: (kv[1][0].buyer_name, kv[0])):
        currencies = {inv.currency or "PLN" for inv in invoices}
        out.append(
            BuyerDues(
                buyer,
                invoices[-1].buyer_name,
                tuple(_payable(inv) for inv in invoices),
                sum((_to_pay(inv) for inv in invoices), Decimal("0")),
                currencies.pop() if len(currencies) == 1 else None,
            )
        )
    return out


def _refusal(exc: KsefApiError) -> ConflictError:
    """KSeF's refusal in Polish (71004/71005 carry a generic text, errors.KsefCollectiveIdentifierError)."""
    polish = getattr(exc, "polish", None)
    return ConflictError(polish or f"KSeF odmówił operacji na identyfikatorze zbiorczym: {exc}")


def seller_account(xml: bytes) -> str:
    """The seller's bank account from an FA(3) document (``Platnosc/RachunekBankowy/NrRB``), or ""."""
    from fakturnik.base.xmlsafe import parse_xml, text_value

    try:
        root = parse_xml(xml)
    except Exception:  # an unreadable file has no account to pay to
        return ""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "NrRB":
            return text_value(el).strip()
    return ""


class CollectiveService(Service):
    """Collective identifiers: create for a buyer's unpaid invoices, list, sellers' ones, payment lists."""

    @contextmanager
    def _client(self, company: Company) -> Iterator[KsefClient]:
        from fakturnik.engine.connect import default_gateway

        gateway = default_gateway(self.ctx, company)
        try:
            yield gateway.client
        finally:
            gateway.close()

    # --- the seller's side -----------------------------------------------------------------------

    def dues(self, company_id: int, buyer_id: str | None = None) -> list[BuyerDues]:
        """Unpaid issued invoices registered in KSeF, per buyer (one buyer with ``buyer_id``)."""
        with self._tx() as s:
            self._company(s, company_id, Action.INVOICES_READ)
            return _owed(s, company_id, buyer_id)

    def create(
        self, company_id: int, buyer_id: str, invoice_ids: Sequence[int] | None = None
    ) -> CollectiveView:
        """One collective identifier, through KSeF, for the buyer's unpaid invoices (all, or those given).

        The amount to pay is what is still unpaid of each invoice. Refused in Polish before anything is
        sent for an empty list, more than 500 invoices, several currencies; KSeF's own refusals arrive
        as :class:`ConflictError` with its reason.
        """
        from fakturnik.ksef.collective import PayableInvoice, create_collective_identifier

        buyer_id = (buyer_id or "").strip()
        if not buyer_id:
            raise InputError("podaj identyfikator nabywcy (NIP)", "buyer_id")
        with self._tx() as s:
            company = self._company(s, company_id, Action.COLLECTIVE_CREATE)
            owed = _owed(s, company_id, buyer_id)
        invoices = list(owed[0].invoices) if owed else []
        if invoice_ids is not None:
            wanted = set(invoice_ids)
            unknown = wanted - {inv.invoice_id for inv in invoices}
            if unknown:
                raise InputError(
                    "te faktury nie są niezapłaconymi fakturami tego nabywcy zarejestrowanymi w KSeF: "
                    + ", ".join(str(i) for i in sorted(unknown)),
                    "invoice_ids",
                )
            invoices = [inv for inv in invoices if inv.invoice_id in wanted]
        if not invoices:
            raise InputError(f"nabywca {buyer_id} nie ma niezapłaconych faktur z numerem KSeF", "buyer_id")
        if len(invoices) > MAX_INVOICES:
            raise InputError(
                f"identyfikator zbiorczy obejmuje najwyżej {MAX_INVOICES} faktur ({len(invoices)}): "
                "wybierz faktury (invoice_ids)",
                "invoice_ids",
            )
        payable = [
            PayableInvoice(inv.ksef_number, inv.to_pay, inv.currency, f"Faktura {inv.number}"[:256])
            for inv in invoices
        ]
        try:
            with self._client(company) as client:
                made = create_collective_identifier(client, payable)
        except KsefApiError as exc:
            raise _refusal(exc) from None
        with self._tx() as s:
            row = CollectiveIdentifierRow(
                company_id=company_id,
                number=made.number,
                buyer_id=buyer_id,
                buyer_name=owed[0].buyer_name if owed else "",
                ksef_numbers=list(made.ksef_numbers),
                invoice_ids=[inv.invoice_id for inv in invoices],
                amount=made.amount,
                currency=made.currency,
                created_by=self.actor.label,
            )
            s.add(row)
            self._audit(
                s,
                "collective.create",
                company_id=company_id,
                detail={"number": made.number, "buyer": buyer_id, "invoices": len(invoices)},
            )
            s.flush()
            return _view(row)

    def created(self, company_id: int) -> list[CollectiveView]:
        """The identifiers the company created, newest first."""
        with self._tx() as s:
            self._company(s, company_id, Action.INVOICES_READ)
            rows = s.scalars(
                select(CollectiveIdentifierRow)
                .where(CollectiveIdentifierRow.company_id == company_id)
                .order_by(CollectiveIdentifierRow.created_at.desc(), CollectiveIdentifierRow.id.desc())
            ).all()
            return [_view(r) for r in rows]

    def get(self, company_id: int, number: str) -> CollectiveView:
        with self._tx() as s:
            self._company(s, company_id, Action.INVOICES_READ)
            row = s.scalar(
                select(CollectiveIdentifierRow).where(
                    CollectiveIdentifierRow.company_id == company_id, CollectiveIdentifierRow.number == number
                )
            )
            if row is None:
                raise NotFoundError("nie ma takiego identyfikatora zbiorczego")
            return _view(row)

    # --- the buyer's side ------------------------------------------------------------------------

    def received(self, company_id: int, *, since: datetime | None = None) -> list[ReceivedIdentifierView]:
        """Identifiers sellers created for the company's invoices (from KSeF; the last 100 days by default),
        each with its invoices matched to the received invoices stored here."""
        from fakturnik.ksef.collective import identifiers_created, invoices_of

        now = datetime.now(UTC)
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        start = min(max(since or now - RECEIVED_WINDOW, now - RECEIVED_WINDOW), now)
        with self._tx() as s:
            company = self._company(s, company_id, Action.RECEIVED_READ)
        try:
            with self._client(company) as client:
                found = [
                    (summary, list(invoices_of(client, summary.number)))
                    for summary in identifiers_created(client, start, now, created_here=False)
                ]
        except KsefApiError as exc:
            raise _refusal(exc) from None
        numbers = {row.ksef_number for _, rows in found for row in rows}
        with self._tx() as s:
            local = {
                inv.ksef_number: inv
                for inv in s.scalars(
                    select(Invoice).where(
                        Invoice.company_id == company_id,
                        Invoice.direction == "received",
                        Invoice.ksef_number.in_(numbers),
                    )
                )
            }
            out = []
            for summary, rows in sorted(found, key=lambda f: f[0].created, reverse=True):
                items = []
                for row in rows:
                    inv = local.get(row.ksef_number)
                    amount = row.amount if row.amount is not None else (_to_pay(inv) if inv else None)
                    currency = row.currency or (inv.currency if inv else None)
                    items.append(
                        ReceivedIdentifierInvoice(
                            row.ksef_number,
                            inv.id if inv else None,
                            inv.number if inv else None,
                            amount,
                            currency,
                        )
                    )
                amounts = [i.amount for i in items]
                currencies = {i.currency for i in items}
                known = all(a is not None for a in amounts) and len(currencies) == 1
                seller = summary.number[:10]
                names = [
                    inv.seller_name for inv in local.values() if inv.seller_nip == seller and inv.seller_name
                ]
                out.append(
                    ReceivedIdentifierView(
                        summary.number,
                        seller,
                        names[0] if names else "",
                        summary.created,
                        tuple(items),
                        sum((a for a in amounts if a is not None), Decimal("0")) if known else None,
                        currencies.pop() if known else None,
                    )
                )
            return out

    def payment_list(
        self,
        company_id: int,
        *,
        identifiers: Sequence[str] = (),
        invoice_ids: Sequence[int] = (),
        format: PaymentFormat = "csv",
        execution_date: date | None = None,
    ) -> PaymentListFile:
        """A list of transfers paying received invoices: one per identifier (its number as the title) and
        one per seller for the invoices given by id (their KSeF numbers as the title, up to four).

        The recipient's account is read from the invoice (``Platnosc/RachunekBankowy/NrRB``); Elixir-O
        also needs the company's own account (company data). Refused in Polish when something a bank
        needs is missing.
        """
        from fakturnik.payments import Party, PaymentListError, Transfer, to_csv, to_elixir

        if format not in ("csv", "elixir"):
            raise InputError("format listy przelewów: csv albo elixir", "format")
        if not identifiers and not invoice_ids:
            raise InputError("wybierz identyfikatory zbiorcze albo faktury do zapłaty", "identifiers")
        transfers: list[Transfer] = []
        by_identifier = {v.number: v for v in self.received(company_id)} if identifiers else {}
        with self._tx() as s:
            company = self._company(s, company_id, Action.RECEIVED_READ)
            profile = s.get(CompanyProfile, company_id)

            def recipient(ksef_numbers: Sequence[str], seller: str) -> Party:
                invoices = s.scalars(
                    select(Invoice).where(
                        Invoice.company_id == company_id,
                        Invoice.direction == "received",
                        Invoice.ksef_number.in_(list(ksef_numbers)),
                    )
                ).all()
                for inv in invoices:
                    account = seller_account(inv.xml or b"")
                    if account:
                        return Party(inv.seller_name or f"NIP {seller}", account)
                raise InputError(
                    f"faktury sprzedawcy {seller} nie podają numeru rachunku (Platnosc/RachunekBankowy)",
                    "identifiers",
                )

            for number in identifiers:
                found = by_identifier.get(number)
                if found is None:
                    raise NotFoundError(f"nie ma identyfikatora zbiorczego {number} dla faktur tej firmy")
                if found.amount is None:
                    raise InputError(f"kwota do zapłaty dla {number} nie jest znana", "identifiers")
                transfers.append(
                    Transfer(
                        recipient([i.ksef_number for i in found.invoices], found.seller_nip),
                        found.amount,
                        collective_identifier=number,
                        currency=found.currency or "PLN",
                    )
                )
            if invoice_ids:
                rows = s.scalars(
                    select(Invoice).where(Invoice.company_id == company_id, Invoice.id.in_(list(invoice_ids)))
                ).all()
                if len(rows) != len(set(invoice_ids)) or any(
                    r.direction != "received" or not r.ksef_number for r in rows
                ):
                    raise NotFoundError("nie ma takiej faktury otrzymanej z numerem KSeF")
                per_seller: dict[str, list[Invoice]] = {}
                for inv in sorted(rows, key=lambda r: r.id):
                    per_seller.setdefault(inv.seller_nip, []).append(inv)
                for seller, invoices in per_seller.items():
                    numbers = [inv.ksef_number for inv in invoices if inv.ksef_number]
                    currencies = {inv.currency or "PLN" for inv in invoices}
                    if len(currencies) > 1:
                        raise InputError(f"faktury sprzedawcy {seller} są w kilku walutach", "invoice_ids")
                    transfers.append(
                        Transfer(
                            recipient(numbers, seller),
                            sum((_to_pay(inv) for inv in invoices), Decimal("0")),
                            ksef_numbers=tuple(numbers),
                            currency=currencies.pop(),
                        )
                    )
            total = sum((t.amount for t in transfers), Decimal("0"))
            stamp = f"{(execution_date or warsaw_today()):%Y%m%d}"
            try:
                if format == "csv":
                    content = to_csv(transfers).encode("utf-8-sig")  # a spreadsheet in Polish reads the BOM
                    out = PaymentListFile(
                        f"przelewy-{stamp}.csv", "text/csv; charset=utf-8", content, 0, total
                    )
                else:
                    account = profile.bank_account if profile else ""
                    if not account:
                        raise InputError(
                            "Elixir-O wymaga rachunku firmy: uzupełnij go w danych firmy", "bank_account"
                        )
                    sender = Party(company.name, account, profile.address if profile else "")
                    content = to_elixir(transfers, sender, execution_date or warsaw_today())
                    out = PaymentListFile(
                        f"przelewy-{stamp}.txt", "text/plain; charset=windows-1250", content, 0, total
                    )
            except PaymentListError as exc:
                raise InputError(str(exc), "identifiers") from None
            self._audit(
                s,
                "collective.payment_list",
                company_id=company_id,
                detail={"transfers": len(transfers), "format": format},
            )
            return PaymentListFile(out.filename, out.media_type, out.content, len(transfers), total)
