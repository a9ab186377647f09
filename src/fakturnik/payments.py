"""Payment lists for a bank: CSV, and Elixir-O (the domestic transfer file Polish banks import).

Pure functions. One :class:`Transfer` pays one seller: either a few invoices, their KSeF numbers in the title
(a KSeF number is 35 characters, one title line; the title has four), or many at once with the seller's
collective identifier (API 2.7, ``ksef.collective``) as the title. :func:`transfer_title` picks which;
:func:`to_csv` and :func:`to_elixir` write the list.

Elixir-O, one line per transfer (CRLF, Windows-1250, text in double quotes, lines of 35 characters joined with
``|``)::

    110,YYYYMMDD,amount in grosze,sender bank (8 digits),0,"sender NRB","recipient NRB",
    "sender name|address",   "recipient name|address",0,recipient bank (8 digits),"title|…","","","51"
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from stdnum import iban

from fakturnik.errors import FakturnikError

LINE = 35
TITLE_LINES = 4
NAME_LINES = 4
_GROSZ = Decimal("0.01")


class PaymentListError(FakturnikError):
    """A transfer that a bank would refuse (account, amount, currency, title)."""


def normalize_account(account: str) -> str:
    """The 26-digit NRB of a Polish account (spaces, dashes and a ``PL`` prefix dropped), checksum checked."""
    digits = "".join(ch for ch in account.upper() if ch.isalnum()).removeprefix("PL")
    if len(digits) != 26 or not digits.isdigit() or not iban.is_valid("PL" + digits):
        raise PaymentListError(f"Nieprawidłowy numer rachunku: {account}.")
    return digits


@dataclass(frozen=True)
class Party:
    name: str
    account: str
    address: str = ""


@dataclass(frozen=True)
class Transfer:
    """One transfer to ``recipient`` of ``amount`` (PLN), for the invoices named in ``ksef_numbers`` or
    by ``collective_identifier`` (used when the numbers do not fit the title)."""

    recipient: Party
    amount: Decimal
    ksef_numbers: Sequence[str] = field(default_factory=tuple)
    collective_identifier: str | None = None
    currency: str = "PLN"
    title_prefix: str | None = None


def transfer_title(t: Transfer) -> list[str]:
    """The title lines (at most 4 of 35 characters): the KSeF numbers if they fit, else the identifier."""
    prefix = [t.title_prefix[:LINE]] if t.title_prefix else []
    room = TITLE_LINES - len(prefix)
    if t.ksef_numbers and len(t.ksef_numbers) <= room and not t.collective_identifier:
        return prefix + list(t.ksef_numbers)
    if t.collective_identifier:
        return [*prefix, t.collective_identifier]
    if t.ksef_numbers:
        raise PaymentListError(
            f"{len(t.ksef_numbers)} numerów KSeF nie mieści się w tytule przelewu (najwyżej {room}): "
            "utwórz identyfikator zbiorczy."
        )
    raise PaymentListError("Przelew bez numerów KSeF i bez identyfikatora zbiorczego.")


def _grosze(t: Transfer) -> int:
    if t.currency != "PLN":
        raise PaymentListError(f"Elixir-O przenosi tylko złote (przelew w {t.currency}).")
    amount = t.amount.quantize(_GROSZ, ROUND_HALF_UP)
    if amount <= 0:
        raise PaymentListError(f"Kwota przelewu musi być dodatnia ({t.amount}).")
    return int(amount * 100)


def _polish_amount(amount: Decimal) -> str:
    return f"{amount.quantize(_GROSZ, ROUND_HALF_UP):.2f}".replace(".", ",")


def to_csv(transfers: Sequence[Transfer]) -> str:
    """A semicolon-separated list (what a spreadsheet in Polish opens): recipient, account, amount, currency,
    title, the KSeF numbers paid and the collective identifier."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["Odbiorca", "Rachunek", "Kwota", "Waluta", "Tytuł", "Numery KSeF", "Identyfikator zbiorczy"]
    )
    for t in transfers:
        writer.writerow(
            [
                t.recipient.name,
                normalize_account(t.recipient.account),
                _polish_amount(t.amount),
                t.currency,
                " ".join(transfer_title(t)),
                " ".join(t.ksef_numbers),
                t.collective_identifier or "",
            ]
        )
    return out.getvalue()


def _text(value: str, lines: int) -> str:
    """Elixir text: at most ``lines`` pieces of 35 characters joined by ``|``; no quotes or separators."""
    clean = value.replace('"', "'").replace("|", "/").replace("\r", " ").replace("\n", " ").strip()
    chunks = [clean[i : i + LINE] for i in range(0, len(clean), LINE)][:lines]
    return "|".join(chunks)


def _text_lines(values: Sequence[str], lines: int) -> str:
    return "|".join(_text(v, 1) for v in values[:lines])


def to_elixir(transfers: Sequence[Transfer], sender: Party, execution: date) -> bytes:
    """The Elixir-O file (Windows-1250, CRLF) of ``transfers`` from ``sender``'s account on ``execution``."""
    sender_nrb = normalize_account(sender.account)
    rows = []
    for t in transfers:
        nrb = normalize_account(t.recipient.account)
        fields = [
            "110",
            f"{execution:%Y%m%d}",
            str(_grosze(t)),
            sender_nrb[2:10],
            "0",
            f'"{sender_nrb}"',
            f'"{nrb}"',
            f'"{_text_lines([sender.name, sender.address], NAME_LINES)}"',
            f'"{_text_lines([t.recipient.name, t.recipient.address], NAME_LINES)}"',
            "0",
            nrb[2:10],
            f'"{_text_lines(transfer_title(t), TITLE_LINES)}"',
            '""',
            '""',
            '"51"',
        ]
        rows.append(",".join(fields))
    text = "".join(row + "\r\n" for row in rows)
    try:
        return text.encode("cp1250")
    except UnicodeEncodeError as exc:
        raise PaymentListError(
            f"Znak spoza Windows-1250 w danych przelewu: {exc.object[exc.start]!r}."
        ) from exc
