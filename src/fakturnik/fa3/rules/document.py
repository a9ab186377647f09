"""Document-level rules KSeF applies beyond the XSD: no processing instructions, no discouraged characters."""

from __future__ import annotations

import re

from lxml import etree

from fakturnik.fa3.rules.base import RuleContext, element_path

# XML 1.0 "discouraged" characters KSeF refuses (#x7F-#x84, #x86-#x9F, #xFDD0-#xFDEF, #xnFFFE-#xnFFFF).
_DISCOURAGED = re.compile(
    "[\x7f-\x84\x86-\x9f\ufdd0-\ufdef"
    + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(1, 17))
    + "\ufffe\uffff]"
)


def check_document(root: etree._Element, text: str | None, ctx: RuleContext) -> None:
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
    if text is not None:
        m = _DISCOURAGED.search(text)
        if m:
            ctx.error(
                "/",
                f"Dokument zawiera niedozwolony znak U+{ord(m.group()):04X} (znaki odradzane w XML 1.0).",
                "XML_DISCOURAGED_CHAR",
            )
