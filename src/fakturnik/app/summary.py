"""The fields of an FA(3) document that lists filter and show (pure: bytes in, a value out).

They are read by :func:`fakturnik.fa3.document.summary_of_tree`, the same reading the engine's one
parse per invoice gives; this module only adds the bytes-in form the app's read side uses.
"""

from __future__ import annotations

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.fa3.document import Summary, summary_of_tree

__all__ = ["Summary", "summary_of", "summary_of_tree"]


def summary_of(xml: bytes) -> Summary:
    return summary_of_tree(parse_xml(xml))
