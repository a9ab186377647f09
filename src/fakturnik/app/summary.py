"""The fields of an FA(3) document that lists filter and show (pure: bytes in, a value out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from fakturnik.errors import InvoiceParseError
from fakturnik.fa3.xmlsafe import parse_xml

NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"
_NET_FIELDS = ("P_13_1", "P_13_2", "P_13_3", "P_13_4", "P_13_5", "P_13_6_1", "P_13_6_2", "P_13_6_3",
               "P_13_7", "P_13_8", "P_13_9", "P_13_10", "P_13_11")  # fmt: skip
_VAT_FIELDS = ("P_14_1", "P_14_2", "P_14_3", "P_14_4", "P_14_5")


@dataclass(frozen=True)
class Summary:
    number: str
    kind: str
    issue_date: date | None
    sale_date: date | None
    due_date: date | None
    seller_nip: str
    seller_name: str
    seller_address: str
    buyer_id: str
    buyer_name: str
    buyer_address: str
    net: Decimal | None
    vat: Decimal | None
    gross: Decimal | None
    currency: str
    corrected_numbers: tuple[str, ...] = ()  # DaneFaKorygowanej/NrFaKorygowanej
    corrected_ksef_numbers: tuple[str, ...] = ()


def _q(*names: str) -> str:
    return "/".join(f"{{{NS}}}{n}" for n in names)


def _text(root: etree._Element, *names: str) -> str:
    el = root.find(_q(*names))
    return (el.text or "").strip() if el is not None else ""


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _address(root: etree._Element, party: str) -> str:
    parts = [_text(root, party, "Adres", "AdresL1"), _text(root, party, "Adres", "AdresL2")]
    return ", ".join(p for p in parts if p)


def summary_of_tree(root: etree._Element) -> Summary:
    if etree.QName(root).localname != "Faktura":
        raise InvoiceParseError("to nie jest faktura FA (brak elementu Faktura)")
    fa = root.find(_q("Fa"))
    net: Decimal | None = None
    vat: Decimal | None = None
    if fa is not None:
        for name in _NET_FIELDS:
            v = _decimal(_text(fa, name))
            if v is not None:
                net = (net or Decimal(0)) + v
        for name in _VAT_FIELDS:
            v = _decimal(_text(fa, name))
            if v is not None:
                vat = (vat or Decimal(0)) + v
    corrected = root.findall(_q("Fa", "DaneFaKorygowanej"))
    buyer = (
        _text(root, "Podmiot2", "DaneIdentyfikacyjne", "NIP")
        or _text(root, "Podmiot2", "DaneIdentyfikacyjne", "NrVatUE")
        or _text(root, "Podmiot2", "DaneIdentyfikacyjne", "NrID")
    )
    return Summary(
        number=_text(root, "Fa", "P_2"),
        kind=_text(root, "Fa", "RodzajFaktury") or "VAT",
        issue_date=_date(_text(root, "Fa", "P_1")),
        sale_date=_date(_text(root, "Fa", "P_6")),
        due_date=_date(_text(root, "Fa", "Platnosc", "TerminPlatnosci", "Termin")),
        seller_nip=_text(root, "Podmiot1", "DaneIdentyfikacyjne", "NIP"),
        seller_name=_text(root, "Podmiot1", "DaneIdentyfikacyjne", "Nazwa"),
        seller_address=_address(root, "Podmiot1"),
        buyer_id=buyer,
        buyer_name=_text(root, "Podmiot2", "DaneIdentyfikacyjne", "Nazwa"),
        buyer_address=_address(root, "Podmiot2"),
        net=net,
        vat=vat,
        gross=_decimal(_text(root, "Fa", "P_15")),
        currency=_text(root, "Fa", "KodWaluty") or "PLN",
        corrected_numbers=tuple(
            _text(c, "NrFaKorygowanej") for c in corrected if _text(c, "NrFaKorygowanej")
        ),
        corrected_ksef_numbers=tuple(
            _text(c, "NrKSeFFaKorygowanej") for c in corrected if _text(c, "NrKSeFFaKorygowanej")
        ),
    )


def summary_of(xml: bytes) -> Summary:
    return summary_of_tree(parse_xml(xml))
