"""One FA(3) document read once: its bytes, its tree, the fields lists show, and its validation report.

:func:`read_document` parses hostile bytes once (the hardened parser of :mod:`fakturnik.base.xmlsafe`)
and gives a :class:`Document`; everything else asked of the document is answered from that tree:

- :attr:`Document.summary` — the fields an invoice list files and filters by (number, kind, dates,
  parties, totals, currency, what it corrects), read by local element names;
- :meth:`Document.validate` — bytes, the FA(3) XSD and the business rules, exactly as
  :func:`fakturnik.fa3.validation.validate_xml` checks the same bytes, without parsing them again;
- :meth:`Document.renumbered` — the document with another invoice number (``P_2``) and a fresh
  creation time, as the issuer's series hands numbers out, serialized once.

The engine's ``issue()`` reads each invoice through this value (one parse per invoice, where it used to
parse the same bytes three times).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from lxml import etree

from fakturnik.base.xmlsafe import parse_xml, text_value
from fakturnik.errors import InvoiceParseError

if TYPE_CHECKING:
    from fakturnik.fa3.rules import Env
    from fakturnik.fa3.validation import ValidationReport

__all__ = ["Document", "Summary", "read_document", "summary_of_tree"]

_NET_FIELDS = ("P_13_1", "P_13_2", "P_13_3", "P_13_4", "P_13_5", "P_13_6_1", "P_13_6_2", "P_13_6_3",
               "P_13_7", "P_13_8", "P_13_9", "P_13_10", "P_13_11")  # fmt: skip
_VAT_FIELDS = ("P_14_1", "P_14_2", "P_14_3", "P_14_4", "P_14_5")


@dataclass(frozen=True)
class Summary:
    """The fields of an FA(3) invoice that lists file, filter and show."""

    number: str
    kind: str
    issue_date: date | None
    sale_date: date | None
    due_date: date | None
    seller_nip: str
    seller_name: str
    seller_address: str
    buyer_id: str  # NIP, else the EU VAT number, else another identifier (NrID)
    buyer_name: str
    buyer_address: str
    net: Decimal | None  # sum of the P_13_* present
    vat: Decimal | None  # sum of the P_14_* present
    gross: Decimal | None  # P_15
    currency: str
    corrected_numbers: tuple[str, ...] = ()  # DaneFaKorygowanej/NrFaKorygowanej
    corrected_ksef_numbers: tuple[str, ...] = ()


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
    return text_value(el).strip() if el is not None else ""


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


def _total(fa: dict[str, etree._Element], names: tuple[str, ...]) -> Decimal | None:
    total: Decimal | None = None
    for name in names:
        v = _decimal(_t(fa.get(name)))
        if v is not None:
            total = (total or Decimal(0)) + v
    return total


def _address(party: dict[str, etree._Element]) -> str:
    address = _children(party.get("Adres"))
    return ", ".join(p for p in (_t(address.get("AdresL1")), _t(address.get("AdresL2"))) if p)


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def summary_of_tree(root: etree._Element) -> Summary:
    """The :class:`Summary` of a parsed invoice; :class:`InvoiceParseError` when it is not a ``Faktura``."""
    if _local(root) != "Faktura":
        raise InvoiceParseError("to nie jest faktura FA (brak elementu Faktura)")
    top = _children(root)
    fa_el = top.get("Fa")
    fa = _children(fa_el)
    seller = _children(top.get("Podmiot1"))
    seller_id = _children(seller.get("DaneIdentyfikacyjne"))
    buyer = _children(top.get("Podmiot2"))
    buyer_id = _children(buyer.get("DaneIdentyfikacyjne"))
    due = ""
    if "Platnosc" in fa:
        due = _t(_children(_children(fa["Platnosc"]).get("TerminPlatnosci")).get("Termin"))
    corrected = [
        _children(c) for c in (fa_el if fa_el is not None else ()) if _local(c) == "DaneFaKorygowanej"
    ]
    return Summary(
        number=_t(fa.get("P_2")),
        kind=_t(fa.get("RodzajFaktury")) or "VAT",
        issue_date=_date(_t(fa.get("P_1"))),
        sale_date=_date(_t(fa.get("P_6"))),
        due_date=_date(due),
        seller_nip=_t(seller_id.get("NIP")),
        seller_name=_t(seller_id.get("Nazwa")),
        seller_address=_address(seller),
        buyer_id=_t(buyer_id.get("NIP")) or _t(buyer_id.get("NrVatUE")) or _t(buyer_id.get("NrID")),
        buyer_name=_t(buyer_id.get("Nazwa")),
        buyer_address=_address(buyer),
        net=_total(fa, _NET_FIELDS),
        vat=_total(fa, _VAT_FIELDS),
        gross=_decimal(_t(fa.get("P_15"))),
        currency=_t(fa.get("KodWaluty")) or "PLN",
        corrected_numbers=tuple(n for c in corrected if (n := _t(c.get("NrFaKorygowanej")))),
        corrected_ksef_numbers=tuple(n for c in corrected if (n := _t(c.get("NrKSeFFaKorygowanej")))),
    )


@dataclass(frozen=True, eq=False)
class Document:
    """An FA(3) invoice read once: ``data`` (the exact bytes), ``root`` (their tree) and ``summary``.

    The tree belongs to the value: treat it as read-only (:meth:`renumbered` is the one change, and
    it hands the tree over to the new value).
    """

    data: bytes
    root: etree._Element
    summary: Summary

    def validate(self, env: Env = "prod", *, now: datetime | None = None) -> ValidationReport:
        """The report of these bytes: what ``validate_xml(self.data, env)`` gives, from the tree."""
        from fakturnik.fa3.validation import validate_parsed

        return validate_parsed(self.data, self.root, env, now=now)

    def renumbered(self, number: str, *, created_at: datetime | None = None) -> Document:
        """This invoice with ``P_2`` = ``number`` and ``Naglowek/DataWytworzeniaFa`` = ``created_at`` (now).

        The tree is changed in place and serialized once; this value must not be used afterwards.
        """
        fa = _children(self.root).get("Fa")
        p2 = _children(fa).get("P_2")
        if p2 is None:
            raise InvoiceParseError("brak elementu Fa/P_2 w fakturze (numer faktury)")
        _set_text(p2, number)
        created = _children(_children(self.root).get("Naglowek")).get("DataWytworzeniaFa")
        if created is not None:
            _set_text(
                created, (created_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            )
        data: bytes = etree.tostring(self.root, xml_declaration=True, encoding="UTF-8")
        return Document(data, self.root, summary_of_tree(self.root))


def _set_text(el: etree._Element, value: str) -> None:
    for child in list(el):  # a processing instruction inside the old value would keep part of it
        el.remove(child)
    el.text = value


def read_document(data: bytes) -> Document:
    """Parse hostile FA(3) bytes once (:func:`fakturnik.base.xmlsafe.parse_xml`).

    Raises :class:`fakturnik.errors.XmlSecurityError` for bytes that are not safe, well-formed XML and
    :class:`InvoiceParseError` when the root is not a ``Faktura``.
    """
    data = bytes(data) if isinstance(data, bytearray) else data
    root = parse_xml(data)
    return Document(data, root, summary_of_tree(root))
