"""Hardened XML parsing: every XML Fakturnik reads is treated as hostile.

No DTD, no entity expansion, no network, no huge trees, a size limit, and the byte-level rules KSeF
applies (UTF-8 only, no BOM). Used for invoices, UPOs, auth requests and anything else from outside.
"""

from __future__ import annotations

import re

from lxml import etree

from fakturnik.errors import XmlSecurityError

MAX_INVOICE_BYTES = 1_000_000  # KSeF: 1 MB for an invoice
MAX_INVOICE_WITH_ATTACHMENT_BYTES = 3_000_000  # 3 MB when it has a Zalacznik

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_DECL_RE = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        dtd_validation=False,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,  # a comment would split a value: KSeF and the XSD read the whole string
        remove_pis=False,  # kept so that the rules can refuse them (KSeF does); text_value reads past them
        collect_ids=False,
    )


def text_value(element: etree._Element) -> str:
    """An element's character data as the XSD and KSeF read it: its text and the text after each
    comment or processing instruction inside it (CDATA is already merged by the parser).

    ``element.text`` stops at the first comment or PI, so ``<NIP>77400<!---->01455</NIP>`` would read
    as ``77400``. Every rule, extractor and simulator check reads values through this function.
    """
    text = element.text or ""
    if len(element) == 0:
        return text
    return text + "".join(child.tail or "" for child in element if not isinstance(child.tag, str))


def find_value(node: etree._Element, path: str, namespaces: dict[str, str] | None = None) -> str | None:
    """``node.findtext(path)`` with :func:`text_value`: the whole value of the first match, or None."""
    found = node.find(path, namespaces)
    return None if found is None else text_value(found)


WIDE_MESSAGE = "Dokument wygląda na zapisany w {} (bez BOM); KSeF przyjmuje wyłącznie UTF-8."
_WIDE = (
    (b"\x00\x00\x00<", "UTF-32BE"),
    (b"<\x00\x00\x00", "UTF-32LE"),
    (b"\x00<\x00", "UTF-16BE"),
    (b"<\x00", "UTF-16LE"),
)


def wide_encoding(data: bytes) -> str | None:
    """The UTF-16/32 variant a document without a BOM is written in (its first ``<`` shows it), else
    None. A NUL byte anywhere is also refused this way: XML 1.0 allows none, UTF-8 text has none."""
    for pattern, name in _WIDE:
        if data.startswith(pattern):
            return name
    if b"\x00" in data:
        return "UTF-16/UTF-32"
    return None


def check_bytes(data: bytes, max_bytes: int) -> None:
    """Byte-level checks before any parsing: size, BOM, declared encoding, DTD."""
    if len(data) > max_bytes:
        raise XmlSecurityError(f"Dokument ma {len(data)} bajtów, więcej niż dozwolone {max_bytes} bajtów.")
    if data.startswith(_BOMS):
        raise XmlSecurityError("Dokument zaczyna się znacznikiem BOM; KSeF wymaga UTF-8 bez BOM.")
    wide = wide_encoding(data)
    if wide:
        raise XmlSecurityError(WIDE_MESSAGE.format(wide))
    m = _DECL_RE.match(data)
    if m and m.group(1).upper().replace(b"_", b"-") not in (b"UTF-8", b"UTF8"):
        declared = m.group(1).decode("ascii", "replace")
        raise XmlSecurityError(f"Deklarowane kodowanie {declared} jest niedozwolone; wymagane UTF-8.")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlSecurityError(f"Dokument nie jest poprawnym UTF-8 (bajt {exc.start}).") from exc
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XmlSecurityError("Dokument zawiera deklarację DTD lub encji; to niedozwolone.")


def parse_xml(data: bytes, *, max_bytes: int = MAX_INVOICE_WITH_ATTACHMENT_BYTES) -> etree._Element:
    """Parse untrusted XML bytes into an element tree root, or raise :class:`XmlSecurityError`."""
    if not isinstance(data, bytes | bytearray):
        raise XmlSecurityError("Dokument XML trzeba przekazać jako bajty (UTF-8).")
    data = bytes(data)
    check_bytes(data, max_bytes)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlSecurityError(f"Niepoprawny XML: {exc.msg} (wiersz {exc.lineno}).") from exc
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]
        raise XmlSecurityError("Dokument zawiera deklarację DTD; to niedozwolone.")
    return root
