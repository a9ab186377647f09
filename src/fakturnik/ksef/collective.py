"""Collective identifiers (API 2.7): one identifier, one transfer, for up to 500 invoices of one seller.

:func:`create_collective_identifier` checks the list before KSeF sees it (one seller, one currency, at most
500, no repeats, well-formed KSeF numbers), asks KSeF for the identifier and returns it with the amount to
pay. :func:`invoices_of` reads the invoices of identifiers back, page by page. Amounts are ``Decimal``;
KSeF's JSON carries them as numbers, rounded here to grosze.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from fakturnik.base.ksef_numbers import is_valid_collective_identifier, is_valid_ksef_number
from fakturnik.errors import KsefError
from fakturnik.ksef import models as m
from fakturnik.ksef.client import KsefClient

MAX_INVOICES = 500
_GROSZ = Decimal("0.01")


class CollectiveIdentifierError(KsefError):
    """The invoices cannot share one collective identifier (said before anything is sent)."""


@dataclass(frozen=True)
class PayableInvoice:
    """One invoice to pay: its KSeF number and, optionally, the amount due and its currency."""

    ksef_number: str
    amount: Decimal | None = None
    currency: str = "PLN"
    description: str | None = None


@dataclass(frozen=True)
class CollectiveIdentifier:
    """What the buyer needs for one transfer: the identifier, the seller, the invoices and the total."""

    number: str
    seller_nip: str
    ksef_numbers: tuple[str, ...]
    amount: Decimal | None
    currency: str | None


def _check(invoices: Sequence[PayableInvoice]) -> tuple[str, str | None]:
    if not invoices:
        raise CollectiveIdentifierError("Lista faktur jest pusta.")
    if len(invoices) > MAX_INVOICES:
        raise CollectiveIdentifierError(
            f"Identyfikator zbiorczy obejmuje najwyżej {MAX_INVOICES} faktur (podano {len(invoices)})."
        )
    seen: set[str] = set()
    for inv in invoices:
        if not is_valid_ksef_number(inv.ksef_number):
            raise CollectiveIdentifierError(f"Nieprawidłowy numer KSeF: {inv.ksef_number}.")
        if inv.ksef_number in seen:
            raise CollectiveIdentifierError(f"Numer KSeF {inv.ksef_number} podano dwa razy.")
        seen.add(inv.ksef_number)
        if inv.amount is not None and inv.amount <= 0:
            raise CollectiveIdentifierError(f"Kwota faktury {inv.ksef_number} musi być dodatnia.")
    sellers = {inv.ksef_number[:10] for inv in invoices}
    if len(sellers) > 1:
        raise CollectiveIdentifierError(
            "Wszystkie faktury muszą mieć tego samego sprzedawcę (NIP-y: " + ", ".join(sorted(sellers)) + ")."
        )
    with_amount = [inv for inv in invoices if inv.amount is not None]
    currencies = {inv.currency for inv in with_amount}
    if len(currencies) > 1:
        raise CollectiveIdentifierError("Kwoty w jednym przelewie muszą być w jednej walucie.")
    return sellers.pop(), (currencies.pop() if currencies else None)


def create_collective_identifier(
    client: KsefClient, invoices: Sequence[PayableInvoice]
) -> CollectiveIdentifier:
    """One identifier for ``invoices`` (KSeF numbers of one seller), returned with the amount to pay.

    The total is the sum of the given amounts when every invoice has one, else ``None``.
    """
    seller, currency = _check(invoices)
    items = [
        m.CollectiveIdentifierInvoice(
            ksefNumber=inv.ksef_number,
            payment=(
                m.CollectiveIdentifierInvoicePayment(
                    amount=float(inv.amount.quantize(_GROSZ, ROUND_HALF_UP)), currency=inv.currency
                )
                if inv.amount is not None
                else None
            ),
            description=inv.description,
        )
        for inv in invoices
    ]
    answer = client.generate_collective_identifier(m.GenerateCollectiveIdentifierRequest(invoices=items))
    number = answer.collectiveIdentifierNumber
    if not is_valid_collective_identifier(number):
        raise KsefError(f"KSeF zwrócił nieprawidłowy identyfikator zbiorczy: {number}.")
    amounts = [inv.amount for inv in invoices]
    total = (
        sum((a.quantize(_GROSZ, ROUND_HALF_UP) for a in amounts if a is not None), Decimal("0"))
        if all(a is not None for a in amounts)
        else None
    )
    return CollectiveIdentifier(
        number=number,
        seller_nip=seller,
        ksef_numbers=tuple(inv.ksef_number for inv in invoices),
        amount=total,
        currency=currency if total is not None else None,
    )


@dataclass(frozen=True)
class IdentifierInvoice:
    """One invoice of a collective identifier as KSeF shows it to the caller."""

    identifier: str
    ksef_number: str
    amount: Decimal | None
    currency: str | None
    description: str | None
    details_hidden: bool


def invoices_of(client: KsefClient, identifier: str, *, page_size: int = 200) -> Iterator[IdentifierInvoice]:
    """The invoices of one collective identifier, every page."""
    token: str | None = None
    while True:
        page = client.collective_identifier_invoices(
            identifier, page_size=page_size, continuation_token=token
        )
        for item in page.invoices:
            yield IdentifierInvoice(
                identifier=identifier,
                ksef_number=item.ksefNumber,
                amount=(
                    Decimal(str(item.payment.amount)).quantize(_GROSZ, ROUND_HALF_UP)
                    if item.payment
                    else None
                ),
                currency=item.payment.currency if item.payment else None,
                description=item.description,
                details_hidden=item.detailsHidden,
            )
        token = page.continuationToken
        if not token:
            return


@dataclass(frozen=True)
class IdentifierSummary:
    number: str
    created: datetime
    invoice_count: int
    created_here: bool


def identifiers_created(
    client: KsefClient, since: datetime, until: datetime, *, created_here: bool | None = None
) -> Iterator[IdentifierSummary]:
    """Identifiers visible to the context created in ``[since, until]`` (KSeF allows at most 100 days);
    ``created_here=False`` gives the ones others (sellers) made for this context's invoices."""
    token: str | None = None
    request = m.CollectiveIdentifiersQueryRequest(
        dateCreatedFrom=since, dateCreatedTo=until, createdInCurrentContext=created_here
    )
    while True:
        page = client.query_collective_identifiers(request, page_size=200, continuation_token=token)
        for item in page.collectiveIdentifiers:
            yield IdentifierSummary(
                item.collectiveIdentifierNumber,
                item.dateCreated,
                item.invoiceCount,
                item.createdInCurrentContext,
            )
        token = page.continuationToken
        if not token:
            return
