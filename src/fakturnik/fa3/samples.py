"""Quick, valid, distinct FA(3) invoices for tests, the simulator, demos and benchmarks.

>>> inv = make_sample_invoice("5260250274", "FV/2026/01/0001", lines=10)
>>> xml = write_invoice(inv)  # XSD-valid, amounts consistent, same arguments -> same bytes
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from fakturnik.fa3.amounts import TaxMethod
from fakturnik.fa3.builder import DEFAULT_ANNOTATIONS, build_invoice
from fakturnik.fa3.model import Faktura

__all__ = [
    "SAMPLE_PRODUCTS",
    "make_nip",
    "make_sample_correction",
    "make_sample_correction_draft",
    "make_sample_draft",
    "make_sample_invoice",
]

_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)

EXEMPTION: dict[str, Any] = {"P_19": 1, "P_19A": "art. 43 ust. 1 pkt 29 lit. b ustawy o VAT"}
"""``Adnotacje/Zwolnienie`` of the sample invoices that have an exempt (zw) line: vocational training."""

SAMPLE_PRODUCTS: tuple[tuple[str, str, str], ...] = (
    ("Usługa programistyczna", "godz.", "23"),
    ("Licencja oprogramowania", "szt.", "23"),
    ("Książka techniczna", "szt.", "5"),
    ("Usługa cateringowa", "usł.", "8"),
    ("Szkolenie zawodowe", "usł.", "zw"),
    ("Serwer rack 2U", "szt.", "23"),
    ("Kabel sieciowy kat. 6", "m", "23"),
    ("Przegląd techniczny", "usł.", "23"),
    ("Napoje", "szt.", "8"),
    ("Czasopismo branżowe", "szt.", "5"),
)
"""(name, unit, VAT rate) cycled through by the sample lines."""


def make_nip(seed: int | str) -> str:
    """A NIP with a valid checksum, derived deterministically from ``seed``."""
    digest = hashlib.sha256(str(seed).encode()).digest()
    n = int.from_bytes(digest[:8], "big")
    while True:
        body = f"{n % 900_000_000 + 100_000_000:09d}"
        if body[1:3] != "00":
            check = sum(int(d) * w for d, w in zip(body, _NIP_WEIGHTS, strict=True)) % 11
            if check != 10:
                return body + str(check)
        n += 7919


def _price(number: str, i: int) -> Decimal:
    h = int.from_bytes(hashlib.sha256(f"{number}|{i}".encode()).digest()[:4], "big")
    return Decimal(h % 500_000 + 100) / 100  # 1.00 .. 5000.99


def make_sample_draft(
    seller_nip: str,
    number: str,
    lines: int = 10,
    *,
    buyer_nip: str | None = None,
    issue_date: date = date(2026, 2, 2),
    currency: str = "PLN",
    exchange_rate: Decimal = Decimal("4.2512"),
    gross: bool = False,
) -> dict[str, Any]:
    """The JSON draft behind :func:`make_sample_invoice` (no line values, no totals)."""
    buyer = buyer_nip or make_nip(f"buyer|{seller_nip}")
    draft_lines: list[dict[str, Any]] = []
    for i in range(lines):
        name, unit, rate = SAMPLE_PRODUCTS[i % len(SAMPLE_PRODUCTS)]
        line: dict[str, Any] = {
            "P_7": f"{name} ({i + 1})",
            "P_8A": unit,
            "P_8B": str(Decimal(i % 7 + 1)),
            ("P_9B" if gross else "P_9A"): str(_price(number, i)),
            "P_12": rate,
        }
        if currency != "PLN":
            line["KursWaluty"] = str(exchange_rate)
        draft_lines.append(line)
    fa_extra: dict[str, Any] = {}
    if any(line["P_12"] == "zw" for line in draft_lines):
        # an exempt supply must state its legal basis (art. 106e ust. 1 pkt 19)
        fa_extra["Adnotacje"] = {**DEFAULT_ANNOTATIONS, "Zwolnienie": EXEMPTION}
    return {
        "Naglowek": {
            "DataWytworzeniaFa": f"{issue_date.isoformat()}T08:00:00Z",
            "SystemInfo": "Fakturnik",
        },
        "Podmiot1": {
            "DaneIdentyfikacyjne": {"NIP": seller_nip, "Nazwa": f"Sprzedawca {seller_nip} sp. z o.o."},
            "Adres": {"KodKraju": "PL", "AdresL1": "ul. Prosta 1", "AdresL2": "00-001 Warszawa"},
        },
        "Podmiot2": {
            "DaneIdentyfikacyjne": {"NIP": buyer, "Nazwa": f"Nabywca {buyer} S.A."},
            "Adres": {"KodKraju": "PL", "AdresL1": "ul. Długa 2", "AdresL2": "30-001 Kraków"},
        },
        "Fa": {
            "KodWaluty": currency,
            "P_1": issue_date.isoformat(),
            "P_1M": "Warszawa",
            "P_2": number,
            "P_6": issue_date.isoformat(),
            **fa_extra,
            "FaWiersz": draft_lines,
            "Platnosc": {
                "TerminPlatnosci": [{"Termin": date.fromordinal(issue_date.toordinal() + 14).isoformat()}],
                "FormaPlatnosci": 6,
                "RachunekBankowy": [{"NrRB": "61109010140000071219812874"}],
            },
        },
    }


class SampleOptions(TypedDict, total=False):
    """The keyword options of :func:`make_sample_draft` (and so of :func:`make_sample_invoice`)."""

    buyer_nip: str | None
    issue_date: date
    currency: str
    exchange_rate: Decimal
    gross: bool


def make_sample_invoice(
    seller_nip: str,
    number: str,
    lines: int = 10,
    *,
    method: TaxMethod | None = None,
    **options: Unpack[SampleOptions],
) -> Faktura:
    """A typical valid FA(3) VAT invoice: ``lines`` lines at 23/8/5/zw, all amounts computed.

    With five or more lines one is exempt (zw), and ``Adnotacje/Zwolnienie`` states its basis.

    Deterministic: the same arguments give the same model (and the same XML bytes); prices vary
    with ``number``, so different numbers give different invoices. ``buyer_nip`` defaults to a
    valid NIP derived from the seller's. ``currency`` other than PLN adds ``KursWaluty`` on lines and
    P_14_xW totals; ``gross=True`` enters gross unit prices (P_9B/P_11A).
    """
    draft = make_sample_draft(seller_nip, number, lines, **options)
    return build_invoice(draft, method=method)


class CorrectionOptions(TypedDict, total=False):
    """The keyword options of :func:`make_sample_correction_draft` (and :func:`make_sample_correction`)."""

    ksef_number: str | None
    issue_date: date | None
    reason: str


def make_sample_correction(original: Faktura, number: str, **options: Unpack[CorrectionOptions]) -> Faktura:
    """A valid correction (KOR) of ``original``: its first line's quantity reduced by one.

    The correction names the corrected invoice (number, issue date and, when given, its KSeF number)
    and shows the first line before (``StanPrzed=1``) and after; the summary is the difference.
    """
    return build_invoice(make_sample_correction_draft(original, number, **options))


def make_sample_correction_draft(
    original: Faktura,
    number: str,
    *,
    ksef_number: str | None = None,
    issue_date: date | None = None,
    reason: str = "Zwrot części towaru",
) -> dict[str, Any]:
    """The JSON draft behind :func:`make_sample_correction` (no totals)."""
    first = original.Fa.FaWiersz[0]
    before = first.model_dump(exclude_none=True, exclude={"NrWierszaFa", "P_11", "P_11A", "P_11Vat"})
    quantity = first.P_8B if first.P_8B is not None else Decimal(1)
    after = {**before, "P_8B": str(quantity - 1 if quantity > 1 else quantity / 2)}
    corrected: dict[str, Any] = {
        "DataWystFaKorygowanej": original.Fa.P_1.isoformat(),
        "NrFaKorygowanej": original.Fa.P_2,
    }
    if ksef_number:
        corrected.update({"NrKSeF": 1, "NrKSeFFaKorygowanej": ksef_number})
    else:
        corrected["NrKSeFN"] = 1
    when = issue_date or original.Fa.P_1
    fa = original.Fa
    draft: dict[str, Any] = {
        "Naglowek": {"DataWytworzeniaFa": f"{when.isoformat()}T09:00:00Z", "SystemInfo": "Fakturnik"},
        "Podmiot1": original.Podmiot1.model_dump(exclude_none=True),
        "Podmiot2": original.Podmiot2.model_dump(exclude_none=True),
        "Fa": {
            "KodWaluty": fa.KodWaluty,
            "P_1": when.isoformat(),
            "P_2": number,
            "Adnotacje": fa.Adnotacje.model_dump(exclude_none=True),
            "RodzajFaktury": "KOR",
            "PrzyczynaKorekty": reason,
            "TypKorekty": 2,
            "DaneFaKorygowanej": [corrected],
            "FaWiersz": [{**before, "StanPrzed": 1}, after],
        },
    }
    return draft
