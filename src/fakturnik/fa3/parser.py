"""FA(3) XML -> model, through the hardened parser of :mod:`fakturnik.base.xmlsafe`.

Checks, with clear Polish messages: byte-level rules (size, BOM, UTF-8; :class:`XmlSecurityError`),
the root element and namespace, the form code and schema version (:class:`InvoiceParseError`).
Elements the model does not know, or that stand out of schema order, are kept as raw XML anchored
after the preceding known element; unknown attributes are kept too: parse -> write loses nothing.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from lxml import etree
from pydantic import ValidationError

from fakturnik.base.xmlsafe import MAX_INVOICE_BYTES, MAX_INVOICE_WITH_ATTACHMENT_BYTES, parse_xml, text_value
from fakturnik.errors import InvoiceParseError, XmlSecurityError
from fakturnik.fa3.jsonform import problems_from_validation_error
from fakturnik.fa3.model import NS, Fa3Model, Faktura

__all__ = ["FA2_NS", "parse_invoice", "parse_invoice_tree"]

FA2_NS = "http://crd.gov.pl/wzor/2023/06/29/12648/"
_FA3_FORM_CODE = "FA (3)"
_FA3_SCHEMA_VERSION = "1-0E"

# Clark tag -> (attribute name, kind, repeated, child class, position) per model class
_Index = dict[str, tuple[str, str, bool, "type[Fa3Model] | None", int]]


@cache
def _index(cls: type[Fa3Model]) -> _Index:
    return {
        f"{{{NS}}}{name}": (name, kind, rep, sub, pos)
        for pos, (name, kind, rep, sub) in enumerate(cls.XML_FIELDS)
    }


def _raw_xml(element: etree._Element) -> str:
    return etree.tostring(element, encoding="unicode", with_tail=False)


def _unsupported(path: str, what: str) -> InvoiceParseError:
    return InvoiceParseError(f"{path}: {what} – tego struktura FA(3) nie przewiduje (nieobsługiwane).")


def _scalar(element: etree._Element, kind: str, path: str) -> Any:
    if len(element) and any(isinstance(c.tag, str) for c in element):
        raise _unsupported(path, "element podrzędny w polu tekstowym")
    text = text_value(element)  # only comments / processing instructions may sit inside a value
    if kind == "i":
        try:
            return int(text.strip())
        except ValueError:
            raise InvoiceParseError(f"{path}: oczekiwano liczby całkowitej, jest {text!r}.") from None
    return text if kind in ("s", "T") else text.strip()


def _read(element: etree._Element, cls: type[Fa3Model], path: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    attrs = cls.XML_ATTRS
    extra_attrs: dict[str, str] = {}
    for raw_key, raw_value in element.attrib.items():
        key, attr_value = str(raw_key), str(raw_value)
        if key in attrs:
            data[key] = attr_value
        else:
            extra_attrs[key] = attr_value
    if extra_attrs:
        data["xml_attrs"] = extra_attrs
    if cls.XML_TEXT is not None:
        data[cls.XML_TEXT] = text_value(element)
    elif element.text and not element.text.isspace():
        raise _unsupported(path or "Faktura", f"tekst {element.text.strip()[:40]!r} między elementami")
    index = _index(cls)
    extras: list[dict[str, Any]] = []
    last_pos = -1
    last_name: str | None = None
    counts: dict[str, int] = {}
    for child in element:
        tag = child.tag
        if child.tail and not child.tail.isspace() and cls.XML_TEXT is None:
            raise _unsupported(path or "Faktura", f"tekst {child.tail.strip()[:40]!r} między elementami")
        if not isinstance(tag, str):  # comment or processing instruction: not content
            continue
        spec = index.get(tag)
        if spec is not None:
            name, kind, rep, sub, pos = spec
            in_order = pos > last_pos or (rep and pos == last_pos)
        if spec is None or not in_order:
            extras.append({"after": last_name, "xml": _raw_xml(child)})
            continue
        last_pos, last_name = pos, name
        n = counts[name] = counts.get(name, 0) + 1
        child_path = f"{path}/{name}" if path else name
        if rep:
            child_path += f"[{n}]"
        value = _read(child, sub, child_path) if sub is not None else _scalar(child, kind, child_path)
        if rep:
            data.setdefault(name, []).append(value)
        else:
            data[name] = value
    if extras:
        data["xml_extra"] = extras
    return data


def _check_root(root: etree._Element) -> None:
    qname = etree.QName(root)
    if qname.localname != "Faktura":
        raise InvoiceParseError(f"Element główny to {qname.localname}, a powinien być Faktura.")
    if qname.namespace != NS:
        if qname.namespace == FA2_NS:
            raise InvoiceParseError("To jest faktura FA(2); obsługiwana jest tylko struktura FA(3).")
        raise InvoiceParseError(
            f"Nieprawidłowa przestrzeń nazw {qname.namespace or '(brak)'}; dla FA(3) wymagana jest {NS}."
        )
    code = root.find(f"{{{NS}}}Naglowek/{{{NS}}}KodFormularza")
    if code is None:
        raise InvoiceParseError("Brak elementu Naglowek/KodFormularza.")
    system_code = code.get("kodSystemowy")
    version = code.get("wersjaSchemy")
    if system_code != _FA3_FORM_CODE or (code.text or "").strip() != "FA":
        raise InvoiceParseError(
            f"Nieprawidłowy kod formularza {system_code!r} ({code.text!r}); wymagany {_FA3_FORM_CODE!r} (FA)."
        )
    if version != _FA3_SCHEMA_VERSION:
        raise InvoiceParseError(
            f"Nieobsługiwana wersja schematu {version!r}; wymagana {_FA3_SCHEMA_VERSION!r}."
        )


def parse_invoice_tree(root: etree._Element) -> Faktura:
    """Model from an already parsed (hardened) tree; checks root, namespace and form code."""
    _check_root(root)
    data = _read(root, Faktura, "")
    try:
        return Faktura.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(str(p) for p in problems_from_validation_error(exc)[:10])
        raise InvoiceParseError(f"Dokument nie odpowiada strukturze FA(3): {problems}") from None


def parse_invoice(data: bytes) -> Faktura:
    """Parse FA(3) XML bytes into the model.

    Limits: 1 MB, or 3 MB when the invoice has an attachment (``Zalacznik``).
    Raises :class:`XmlSecurityError` (size, BOM, encoding, DTD, malformed XML) or
    :class:`InvoiceParseError` (wrong root, namespace, form code or structure).
    """
    if not isinstance(data, bytes | bytearray):
        raise XmlSecurityError("Dokument XML trzeba przekazać jako bajty (UTF-8).")
    limit = MAX_INVOICE_WITH_ATTACHMENT_BYTES if b"Zalacznik" in data else MAX_INVOICE_BYTES
    root = parse_xml(bytes(data), max_bytes=limit)
    if len(data) > MAX_INVOICE_BYTES and root.find(f"{{{NS}}}Zalacznik") is None:
        raise XmlSecurityError(
            f"Dokument ma {len(data)} bajtów, więcej niż dozwolone {MAX_INVOICE_BYTES} bajtów"
            " (3 MB tylko dla faktur z załącznikiem)."
        )
    return parse_invoice_tree(root)
