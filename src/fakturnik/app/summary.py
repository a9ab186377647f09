"""The fields of an FA(3) document that lists filter and show (pure: bytes in, a value out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import InvoiceParseError

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


def _address_of(party: dict[str, etree._Element]) -> str:
    """The party's address lines (from its children already looked up: no second search)."""
    address = _children(party.get("Adres"))
    return ", ".join(p for p in (_t(address.get("AdresL1")), _t(address.get("AdresL2"))) if p)


def _children(el: etree._Element | None) -> dict[str, etree._Element]:
    """Child elements by local name (the first of each), in one pass."""
    out: dict[str, etree._Element] = {}
    if el is None:
        return out
    for child in el:
        tag = child.tag
        if isinstance(tag, str):
            name = tag.rpartition("}")[2]
            if name not in out:
                out[name] = child
    return out


def _t(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def summary_of_tree(root: etree._Element) -> Summary:
    if etree.QName(root).localname != "Faktura":
        raise InvoiceParseError("to nie jest faktura FA (brak elementu Faktura)")
    top = _children(root)
    fa_el = top.get("Fa")
    fa = _children(fa_el)
    net: Decimal | None = None
    vat: Decimal | None = None
    for name in _NET_FIELDS:
        v = _decimal(_t(fa.get(name)))
        if v is not None:
            net = (net or Decimal(0)) + v
    for name in _VAT_FIELDS:
        v = _decimal(_t(fa.get(name)))
        if v is not None:
            vat = (vat or Decimal(0)) + v
    seller = _children(top.get("Podmiot1"))
    seller_id = _children(seller.get("DaneIdentyfikacyjne"))
    buyer = _children(top.get("Podmiot2"))
    buyer_id = _children(buyer.get("DaneIdentyfikacyjne"))
    due = ""
    if "Platnosc" in fa:
        due = _t(_children(_children(fa["Platnosc"]).get("TerminPlatnosci")).get("Termin"))
    corrected = (
        [_children(c) for c in fa_el.iterchildren(f"{{{NS}}}DaneFaKorygowanej")] if fa_el is not None else []
    )
    return Summary(
        number=_t(fa.get("P_2")),
        kind=_t(fa.get("RodzajFaktury")) or "VAT",
        issue_date=_date(_t(fa.get("P_1"))),
        sale_date=_date(_t(fa.get("P_6"))),
        due_date=_date(due),
        seller_nip=_t(seller_id.get("NIP")),
        seller_name=_t(seller_id.get("Nazwa")),
        seller_address=_address_of(seller),
        buyer_id=_t(buyer_id.get("NIP")) or _t(buyer_id.get("NrVatUE")) or _t(buyer_id.get("NrID")),
        buyer_name=_t(buyer_id.get("Nazwa")),
        buyer_address=_address_of(buyer),
        net=net,
        vat=vat,
        gross=_decimal(_t(fa.get("P_15"))),
        currency=_t(fa.get("KodWaluty")) or "PLN",
        corrected_numbers=tuple(
            _t(c.get("NrFaKorygowanej")) for c in corrected if _t(c.get("NrFaKorygowanej"))
        ),
        corrected_ksef_numbers=tuple(
            _t(c.get("NrKSeFFaKorygowanej")) for c in corrected if _t(c.get("NrKSeFFaKorygowanej"))
        ),
    )


def summary_of(xml: bytes) -> Summary:
    return summary_of_tree(parse_xml(xml))
