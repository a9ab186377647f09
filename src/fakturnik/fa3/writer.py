"""FA(3) model -> XML bytes.

UTF-8 without BOM, the FA(3) namespace as the default namespace, elements in schema order (the order of
``XML_FIELDS``), no pretty-printing: the same invoice always gives the same bytes (and SHA-256).
Unknown elements and attributes kept by the parser (``xml_extra`` / ``xml_attrs``) are written back at
their place.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from lxml import etree

from fakturnik.errors import InvoiceError
from fakturnik.fa3.model import NS, Fa3Model, Faktura
from fakturnik.fa3.xmlsafe import parse_xml

__all__ = ["build_tree", "write_invoice"]

_NSMAP = {None: NS}
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# (attribute name, Clark tag, kind, repeated) per model class
_Plan = tuple[tuple[str, str, str, bool], ...]


@cache
def _plan(cls: type[Fa3Model]) -> _Plan:
    return tuple((name, f"{{{NS}}}{name}", kind, rep) for name, kind, rep, _sub in cls.XML_FIELDS)


def _text(value: Any, kind: str) -> str:
    if kind == "s" or kind == "T":
        return str(value)
    if kind == "d":
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if kind == "D":
        return value.isoformat() if isinstance(value, date) else str(value)
    return str(value)


def _raw(xml: str) -> etree._Element:
    return parse_xml(xml.encode("utf-8"))


def _fill(element: etree._Element, obj: Fa3Model) -> None:
    cls = type(obj)
    values = obj.__dict__
    if cls.XML_ATTRS:
        for attr in cls.XML_ATTRS:
            v = values[attr]
            if v is not None:
                element.set(attr, str(v))
    attrs_extra = values["xml_attrs"]
    if attrs_extra:
        for key in sorted(attrs_extra):
            element.set(key, attrs_extra[key])
    if cls.XML_TEXT is not None:
        element.text = str(values[cls.XML_TEXT])
    extras = values["xml_extra"]
    by_anchor: dict[str | None, list[str]] | None = None
    if extras:
        by_anchor = {}
        for raw in extras:
            by_anchor.setdefault(raw.after, []).append(raw.xml)
        for xml in by_anchor.get(None, ()):
            element.append(_raw(xml))
    sub = etree.SubElement
    for name, tag, kind, rep in _plan(cls):
        value = values[name]
        if value is None or (rep and not value):
            pass
        elif kind == "c":
            if rep:
                for item in value:
                    _fill(sub(element, tag), item)
            else:
                _fill(sub(element, tag), value)
        elif rep:
            for item in value:
                sub(element, tag).text = _text(item, kind)
        elif kind == "s":
            sub(element, tag).text = value
        else:
            sub(element, tag).text = _text(value, kind)
        if by_anchor is not None and name in by_anchor:
            for xml in by_anchor[name]:
                element.append(_raw(xml))


def build_tree(invoice: Faktura) -> etree._Element:
    """The invoice as an lxml element tree (root ``Faktura``), e.g. to validate without re-parsing."""
    if not isinstance(invoice, Faktura):
        raise InvoiceError(f"Oczekiwano modelu Faktura, otrzymano {type(invoice).__name__}.")
    root = etree.Element(f"{{{NS}}}Faktura", nsmap=_NSMAP)  # type: ignore[arg-type]
    _fill(root, invoice)
    return root


def write_invoice(invoice: Faktura) -> bytes:
    """Serialize the invoice: UTF-8 without BOM, XML declaration, deterministic bytes."""
    return _XML_DECLARATION + etree.tostring(build_tree(invoice), encoding="UTF-8")
