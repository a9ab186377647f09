"""The text a reader copies out of our PDFs: a correct ToUnicode map for ReportLab's font subsets.

A PDF's text layer is the font's ToUnicode CMap, which maps every glyph drawn back to the text it
stands for. ReportLab (5.x) writes each code point as ``<%04X>``, so a character beyond the Basic
Multilingual Plane (the emoji DejaVu Sans draws, U+1F600 …) becomes five hex digits, which readers
take as another character (U+1F600 came back as U+1F60 "ὠ"). The map must hold UTF-16BE: a
surrogate pair there.

We also map Arabic presentation forms (the joined letter shapes ``visual.pdf`` draws, since ReportLab
does no shaping) back to the letters they show (a ligature to its letters in visual order), so
copying an Arabic name gives its letters, not their shapes. ``install()`` puts this map in place of
ReportLab's; it is the same CMap otherwise, in blocks of at most 100 entries as the PDF reference
asks.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["install", "to_unicode_cmap"]

_PRESENTATION_FORMS = ((0xFB50, 0xFDFF), (0xFE70, 0xFEFF))  # Arabic Presentation Forms-A and -B
_BLOCK = 100


def _text_of(code_point: int) -> str:
    text = chr(code_point)
    if any(lo <= code_point <= hi for lo, hi in _PRESENTATION_FORMS):
        # a ligature (lam-alef …) stands for several letters; the glyphs sit in visual order, right to
        # left, and readers put a right-to-left run back in logical order by reversing it, so its
        # letters are listed in visual order too
        return unicodedata.normalize("NFKC", text)[::-1]
    return text


def to_unicode_cmap(fontname: str, subset: Sequence[int]) -> str:
    """The ToUnicode CMap of a subset font whose code ``i`` draws the glyph of ``subset[i]``."""
    entries = [f"<{i:02X}> <{_text_of(cp).encode('utf-16-be').hex().upper()}>" for i, cp in enumerate(subset)]
    blocks: list[str] = []
    for start in range(0, len(entries), _BLOCK):
        chunk = entries[start : start + _BLOCK]
        blocks += [f"{len(chunk)} beginbfchar", *chunk, "endbfchar"]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{max(len(subset) - 1, 0):02X}>",
            "endcodespacerange",
            *blocks,
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


def install() -> None:
    """Make ReportLab's TrueType fonts write this map (idempotent)."""
    from reportlab.pdfbase import ttfonts

    ttfonts.makeToUnicodeCMap = to_unicode_cmap  # looked up by name each time a subset is written
