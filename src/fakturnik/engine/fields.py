"""Pure helpers on FA(3) XML: the fields lists need, and templating a sample into a fresh invoice."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lxml import etree

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import InvoiceParseError
from fakturnik.fa3.document import Summary, read_document

AUTO_NUMBER = "AUTO"  # a P_2 with this value is replaced by the next number of the series


def _first(root: etree._Element, path: str) -> etree._Element | None:
    found = root.xpath(path)
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def _ln(*names: str) -> str:
    return "/".join(f"*[local-name()='{n}']" for n in names)


def read_fields(xml: bytes) -> Summary:
    """The fields lists need: the summary of :func:`fakturnik.fa3.document.read_document` (one reading)."""
    return read_document(xml).summary


def _set(root: etree._Element, path: str, value: str) -> None:
    el = _first(root, path)
    if el is None:
        raise InvoiceParseError(f"brak elementu {path} w szablonie faktury")
    for child in list(el):  # a comment or PI inside the old value would keep part of it
        el.remove(child)
    el.text = value


def fill_template(
    xml: bytes,
    *,
    number: str | None = None,
    seller_nip: str | None = None,
    issue_date: date | None = None,
    buyer_nip: str | None = None,
    created_at: datetime | None = None,
) -> bytes:
    """Return a copy of an FA(3) document with number, seller, dates (and buyer) replaced."""
    root = parse_xml(xml)
    if number is not None:
        _set(root, _ln("Fa", "P_2"), number)
    if seller_nip is not None:
        _set(root, _ln("Podmiot1", "DaneIdentyfikacyjne", "NIP"), seller_nip)
    if issue_date is not None:
        _set(root, _ln("Fa", "P_1"), issue_date.isoformat())
    if buyer_nip is not None and _first(root, _ln("Podmiot2", "DaneIdentyfikacyjne", "NIP")) is not None:
        _set(root, _ln("Podmiot2", "DaneIdentyfikacyjne", "NIP"), buyer_nip)
    stamp = (created_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if _first(root, _ln("Naglowek", "DataWytworzeniaFa")) is not None:
        _set(root, _ln("Naglowek", "DataWytworzeniaFa"), stamp)
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out
