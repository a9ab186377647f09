"""Document-level rules KSeF applies beyond the XSD: no processing instructions, no discouraged characters."""

from __future__ import annotations

from lxml import etree

from fakturnik.fa3.rules.base import RuleContext, element_path

_LEAD_BYTES = b"\x7f\xc2\xef\xbf"  # each searched alone below: one-byte needles are memchr scans, no copy
_C2_DISCOURAGED = frozenset(range(0x80, 0xA0)) - {0x85}  # U+0080-U+009F except U+0085 (NEL)


def first_discouraged_char(data: bytes) -> str | None:
    """The first XML 1.0 "discouraged" character KSeF refuses, searching UTF-8 bytes with fast finds.

    #x7F-#x84, #x86-#x9F, #xFDD0-#xFDEF, #xFFFE-#xFFFF and #xnFFFE-#xnFFFF for planes 1-16.
    """
    if b"\x7f" not in data and b"\xc2" not in data and b"\xef" not in data and b"\xbf" not in data:
        return None  # none of the bytes any discouraged character starts or ends with (_LEAD_BYTES): usual
    found: list[int] = []
    if (i := data.find(b"\x7f")) >= 0:
        found.append(i)
    i = data.find(b"\xc2")
    while i >= 0:
        if i + 1 < len(data) and data[i + 1] in _C2_DISCOURAGED:
            found.append(i)
            break
        i = data.find(b"\xc2", i + 1)
    for needle in (b"\xef\xb7", b"\xef\xbf\xbe", b"\xef\xbf\xbf"):
        i = data.find(needle)
        while i >= 0:
            if needle != b"\xef\xb7" or (i + 2 < len(data) and 0x90 <= data[i + 2] <= 0xAF):
                found.append(i)
                break
            i = data.find(needle, i + 1)
    for needle in (b"\xbf\xbe", b"\xbf\xbf"):
        i = data.find(needle)
        while i >= 0:
            if i >= 2 and 0xF0 <= data[i - 2] <= 0xF4 and data[i - 1] in (0x8F, 0x9F, 0xAF, 0xBF):
                found.append(i - 2)
                break
            i = data.find(needle, i + 1)
    if not found:
        return None
    start = min(found)
    end = start + 1
    while end < len(data) and 0x80 <= data[end] < 0xC0:
        end += 1
    return data[start:end].decode("utf-8", "replace")


def _has_pi_after_prolog(data: bytes) -> bool:
    """A "<?" anywhere after the first two bytes; a one-byte scan for "?" past the XML declaration first."""
    start = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
    if data.find(b"?", start) < 0:
        return False
    return data.find(b"<?", 2) >= 0


def holds_no_markup(data: bytes | None) -> bool:
    """The document's bytes hold no comment and no processing instruction after the XML declaration, so
    in its tree every element's ``text`` is its whole value (no comment or PI splits it)."""
    return data is not None and b"<!--" not in data and not _has_pi_after_prolog(data)


def check_document(root: etree._Element, data: bytes | None, ctx: RuleContext) -> None:
    # Processing instructions: only look at the tree when the bytes hold a "<?" after the prolog.
    if data is None or _has_pi_after_prolog(data):
        siblings = [*root.itersiblings(preceding=True), *root.itersiblings()]
        for node in [*siblings, *root.iter(etree.PI)]:
            if isinstance(node, etree._ProcessingInstruction):
                parent = node.getparent()
                where = element_path(parent) if parent is not None else "/"
                target = str(node.target)
                ctx.error(
                    where or "/",
                    f"Dokument zawiera instrukcję przetwarzania <?{target} ...?>; KSeF na to nie pozwala.",
                    "XML_PROCESSING_INSTRUCTION",
                )
    if data is not None:
        char = first_discouraged_char(data)
        if char:
            ctx.error(
                "/",
                f"Dokument zawiera niedozwolony znak U+{ord(char[0]):04X} (znaki odradzane w XML 1.0).",
                "XML_DISCOURAGED_CHAR",
            )
