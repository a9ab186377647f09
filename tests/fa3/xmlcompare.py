"""Canonical comparison of XML documents for round-trip tests.

Two documents are equal in content when they have the same elements (namespace URI + local name),
the same attributes (namespace declarations and their prefixes do not count), the same text and the
same order. Whitespace-only text between elements, comments, processing instructions and the XML
declaration are ignored.
"""

from __future__ import annotations

from lxml import etree

Canon = tuple[str, tuple[tuple[str, str], ...], str, tuple["Canon", ...], str]


def _significant(text: str | None, mixed: bool) -> str:
    """Text as content: whitespace-only text next to child elements is formatting, not content."""
    text = text or ""
    return "" if mixed and not text.strip() else text


def canonical(element: etree._Element) -> Canon:
    children = tuple(canonical(c) for c in element if isinstance(c.tag, str))
    text = _significant(element.text, bool(children))
    attrs = tuple(sorted((str(k), v) for k, v in element.attrib.items()))
    return (str(element.tag), attrs, text, children, _significant(element.tail, True))


def first_difference(a: Canon, b: Canon, path: str = "") -> str | None:
    """Human-readable description of the first difference, or None when equal."""
    here = f"{path}/{etree.QName(a[0]).localname}"
    if a[0] != b[0]:
        return f"{here}: element {a[0]} != {b[0]}"
    if a[1] != b[1]:
        return f"{here}: attributes {a[1]} != {b[1]}"
    if a[2] != b[2]:
        return f"{here}: text {a[2]!r} != {b[2]!r}"
    if a[4] != b[4]:
        return f"{here}: text after the element {a[4]!r} != {b[4]!r}"
    for i, (ca, cb) in enumerate(zip(a[3], b[3], strict=False)):
        diff = first_difference(ca, cb, f"{here}[{i}]")
        if diff:
            return diff
    if len(a[3]) != len(b[3]):
        return f"{here}: {len(a[3])} children != {len(b[3])}"
    return None


def xml_content_equal(a: bytes, b: bytes) -> str | None:
    """None when the two documents are equal in content, else the first difference."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True)
    return first_difference(
        canonical(etree.fromstring(a, parser=parser)), canonical(etree.fromstring(b, parser=parser))
    )
