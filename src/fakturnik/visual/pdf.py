"""A small page-flow layer over ReportLab's canvas: A4 pages, wrapped text, key-value lists, tables
that break across pages with their header repeated, boxes, QR codes as vector modules, and the page
margin ("Wytworzona w: …", "Strona X z Y").

It knows nothing of invoices; ``visual.invoice_pdf`` lays the invoice out with it. Text is drawn with
the DejaVu fonts (Polish and most scripts), right-to-left runs are put in display order (Unicode
bidi), characters no font has become U+FFFD, control characters become spaces. Nothing is loaded
from outside: the fonts come from the local font directory.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fakturnik.errors import VisualError
from fakturnik.visual.qr import QUIET_ZONE, QrMatrix

__all__ = ["MM", "Column", "Flow", "Style", "fonts_dir"]

MM = 72 / 25.4
PAGE_W, PAGE_H = 595.2756, 841.8898  # A4 in points
FONT_FILES = {
    "R": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "M": "DejaVuSansMono.ttf",
}
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts/dejavu")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_BREAK_AFTER = "-/_.,;:)]}|\\"

INK = (0.067, 0.067, 0.067)
MUTED = (0.333, 0.333, 0.333)
BRAND = (0.122, 0.231, 0.439)
RULE = (0.784, 0.82, 0.878)
HEAD_BG = (0.933, 0.949, 0.973)
BEFORE_BG = (0.98, 0.98, 0.98)


def fonts_dir() -> Path:
    """Where the DejaVu fonts are (``FAKTURNIK_FONT_DIR`` or the usual Debian/Fedora places)."""
    candidates = [os.environ.get("FAKTURNIK_FONT_DIR", ""), *_FONT_DIRS]
    for d in candidates:
        if d and (Path(d) / FONT_FILES["R"]).is_file():
            return Path(d)
    raise VisualError(
        "Brak fontów DejaVu potrzebnych do PDF (polskie znaki): zainstaluj pakiet fonts-dejavu-core "
        "albo wskaż katalog z DejaVuSans.ttf w zmiennej FAKTURNIK_FONT_DIR."
    )


@cache
def _fonts() -> tuple[dict[str, str], dict[str, frozenset[int]]]:
    """Register the fonts once per process; their names and the code points each covers, by style."""
    try:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise VisualError(
            "Do tworzenia PDF potrzebny jest pakiet reportlab: pip install 'fakturnik[visual]'."
        ) from exc
    from fakturnik.visual import tounicode

    tounicode.install()
    base = fonts_dir()
    names = {}
    covered: dict[str, frozenset[int]] = {}
    for style, file in FONT_FILES.items():
        name = "Fakturnik-" + file.removesuffix(".ttf")
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(base / file)))
        names[style] = name
        covered[style] = frozenset(pdfmetrics.getFont(name).face.charToGlyph)
    return names, covered


_SYMBOL_FONTS = (
    "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",  # Debian's fonts-symbola
    "/usr/share/fonts/truetype/symbola/Symbola.ttf",
    "/usr/share/fonts/gdouros-symbola/Symbola.ttf",  # Fedora
)


@cache
def _symbols() -> tuple[str, frozenset[int]] | None:
    """The fallback font for symbols and emoji DejaVu lacks (Symbola, monochrome), if installed;
    registered on first need (it is 3 MB: about 60 ms once per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = os.environ.get("FAKTURNIK_FONT_DIR", "")
    own = sorted(str(p) for p in Path(folder).glob("Symbola*.ttf")) if folder else []
    for path in [*own, *_SYMBOL_FONTS]:
        if Path(path).is_file():
            name = "Fakturnik-Symbola"
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, path))
            return name, frozenset(pdfmetrics.getFont(name).face.charToGlyph)
    return None


def _runs(text: str, font: str, covered: frozenset[int]) -> list[tuple[str, str]]:
    """``text`` as runs of (font name, text): the symbol font where the main font lacks a glyph."""
    if all(ord(ch) in covered for ch in text):
        return [(font, text)]
    symbols = _symbols()  # loaded only when a character needs it
    if symbols is None:
        return [(font, text)]
    runs: list[tuple[str, str]] = []
    for ch in text:
        name = font if ord(ch) in covered or ord(ch) not in symbols[1] else symbols[0]
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + ch)
        else:
            runs.append((name, ch))
    return runs


def clean(text: str, font: str = "R") -> str:
    """Control and bidi-override characters out (as spaces); glyphs neither the font nor the symbol
    font has as U+FFFD."""
    if not text.isascii():
        text = _CONTROL.sub(" ", text)
        covered = _fonts()[1][font]
        if any(ord(ch) not in covered for ch in text):
            symbols = _symbols()
            extra = symbols[1] if symbols else frozenset()
            text = "".join(ch if ord(ch) in covered or ord(ch) in extra else "\ufffd" for ch in text)
    elif not text.isprintable():
        text = _CONTROL.sub(" ", text)
    return text


def _display(line: str) -> str:
    """A wrapped line in display order: Arabic letters joined into their contextual shapes
    (arabic-reshaper, when installed; ReportLab itself does no shaping), then right-to-left runs
    reversed by the Unicode bidi algorithm. The text layer maps the shapes back to the letters
    (``visual.tounicode``)."""
    if _RTL.search(line) is None:
        return line
    from bidi import get_display

    if _ARABIC.search(line) is not None:
        line = _shape_arabic(line)
    return str(get_display(line, base_dir="L"))


_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f]")


def _shape_arabic(line: str) -> str:
    try:
        import arabic_reshaper
    except ImportError:  # pragma: no cover - an optional part of the visual extra
        return line
    shaped = str(arabic_reshaper.reshape(line))
    covered = _fonts()[1]["R"]
    # a shape the font lacks would draw nothing: keep the whole line unjoined then
    return shaped if all(ord(ch) in covered for ch in shaped if ch not in line) else line


@dataclass(frozen=True)
class Style:
    size: float = 8.5
    font: str = "R"
    color: tuple[float, float, float] = INK
    leading: float = 1.3

    @property
    def line(self) -> float:
        return self.size * self.leading


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # a share of the table's width; the shares are normalised
    align: str = "L"  # L, R or C


BODY = Style()
SMALL = Style(7, color=MUTED)
BOLD = Style(font="B")
HEAD = Style(7, "B")


class Flow:
    """Top-to-bottom layout onto A4 pages; ``y`` is the cursor (PDF points, from the bottom)."""

    def __init__(self, *, title: str, system_info: str, margins_mm: tuple[float, float, float, float]):
        from reportlab.pdfgen import canvas

        self.names, self.covered = _fonts()
        self.buffer = io.BytesIO()
        self.c = canvas.Canvas(
            self.buffer, pagesize=(PAGE_W, PAGE_H), pageCompression=1, initialFontName=self.names["R"]
        )
        self.c.setTitle(title)
        self.c.setCreator("Fakturnik")
        self.c.setProducer("Fakturnik")
        top, right, bottom, left = (m * MM for m in margins_mm)
        self.left, self.right = left, PAGE_W - right
        self.top, self.bottom = PAGE_H - top, bottom
        self.width = self.right - self.left
        self.system_info = clean(system_info)
        self.page = 0
        self.y = self.top
        self._width_cache: dict[tuple[str, str, float], float] = {}
        self._new_page(first=True)

    # --- text --------------------------------------------------------------------------------
    def font(self, style: Style) -> str:
        return self.names[style.font]

    def measure(self, text: str, style: Style) -> float:
        key = (text, style.font, style.size)
        found = self._width_cache.get(key)
        if found is None:
            from reportlab.pdfbase.pdfmetrics import stringWidth

            if text.isascii():
                found = stringWidth(text, self.font(style), style.size)
            else:
                runs = _runs(text, self.font(style), self.covered[style.font])
                found = sum(stringWidth(part, name, style.size) for name, part in runs)
            if len(self._width_cache) < 20000:
                self._width_cache[key] = found
        return found

    def wrap(self, text: str, style: Style, width: float) -> list[str]:
        """Lines of at most ``width`` points; newlines break; an over-long word breaks where it can."""
        out: list[str] = []
        space = self.measure(" ", style)
        for paragraph in clean(text, style.font).split("\n"):
            words = paragraph.split()
            line = ""
            line_w = 0.0
            for word in words:
                w = self.measure(word, style)
                if line and line_w + space + w <= width:
                    line += " " + word
                    line_w += space + w
                    continue
                if line:
                    out.append(line)
                if w <= width:
                    line, line_w = word, w
                    continue
                pieces = self.split_word(word, style, width)
                out.extend(pieces[:-1])
                line = pieces[-1]
                line_w = self.measure(line, style)
            if line or not words:
                out.append(line)
        return out or [""]

    def split_word(self, word: str, style: Style, width: float) -> list[str]:
        pieces: list[str] = []
        rest = word
        while rest and self.measure(rest, style) > width:
            # the longest prefix that fits, pulled back to a natural break when there is one
            lo, hi = 1, len(rest)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self.measure(rest[:mid], style) <= width:
                    lo = mid
                else:
                    hi = mid - 1
            cut = lo
            natural = max(rest.rfind(ch, 0, cut) for ch in _BREAK_AFTER)
            if natural >= cut // 2:
                cut = natural + 1
            pieces.append(rest[:cut])
            rest = rest[cut:]
        pieces.append(rest)
        return pieces

    def draw_lines(self, lines: Sequence[str], x: float, y: float, style: Style, width: float = 0,
                   align: str = "L") -> float:  # fmt: skip
        """Draw wrapped lines whose first baseline is ``size`` below ``y``; returns the height used."""
        c = self.c
        c.setFont(self.font(style), style.size)
        c.setFillColorRGB(*style.color)
        base = y - style.size
        font = self.font(style)
        for line in lines:
            shown = _display(line)
            runs = [(font, shown)] if shown.isascii() else _runs(shown, font, self.covered[style.font])
            if len(runs) > 1:
                self._draw_runs(runs, x, base, style, width, align)
            elif align == "R":
                c.drawRightString(x + width, base, shown)
            elif align == "C":
                c.drawCentredString(x + width / 2, base, shown)
            else:
                c.drawString(x, base, shown)
            base -= style.line
        return len(lines) * style.line

    def _draw_runs(self, runs: list[tuple[str, str]], x: float, base: float, style: Style, width: float,
                   align: str) -> None:  # fmt: skip
        """A line that mixes the main font with the symbol font, one run after the other."""
        from reportlab.pdfbase.pdfmetrics import stringWidth

        widths = [stringWidth(part, name, style.size) for name, part in runs]
        total = sum(widths)
        at = x + width - total if align == "R" else x + (width - total) / 2 if align == "C" else x
        for (name, part), w in zip(runs, widths, strict=True):
            self.c.setFont(name, style.size)
            self.c.drawString(at, base, part)
            at += w
        self.c.setFont(self.font(style), style.size)

    # --- pages -------------------------------------------------------------------------------
    def _margin_texts(self) -> None:
        c = self.c
        c.setFont(self.names["R"], 7)
        c.setFillColorRGB(*MUTED)
        y = self.bottom - 9 * MM
        if self.system_info:
            c.drawString(self.left, y, _display("Wytworzona w: " + self.system_info)[:160])
        reserve = self.measure("0000", Style(7))
        label = f"Strona {self.page} z "
        x = self.right - reserve
        c.drawRightString(x, y, label)
        c.saveState()
        c.translate(x, y)
        c.doForm("page-count")
        c.restoreState()

    def _new_page(self, *, first: bool = False) -> None:
        if not first:
            self.c.showPage()
        self.page += 1
        self.y = self.top
        self._margin_texts()

    def new_page(self) -> None:
        self._new_page()

    def need(self, height: float) -> bool:
        """Start a new page unless ``height`` fits below the cursor; True when a page was started."""
        if self.y - height < self.bottom and self.y < self.top - 1:
            self._new_page()
            return True
        return False

    def space(self, height: float) -> None:
        self.y -= height

    def finish(self) -> bytes:
        c = self.c
        c.showPage()
        c.beginForm("page-count")
        c.setFont(self.names["R"], 7)
        c.setFillColorRGB(*MUTED)
        c.drawString(0, 0, str(self.page))
        c.endForm()
        c.save()
        return self.buffer.getvalue()

    # --- blocks ------------------------------------------------------------------------------
    def paragraph(self, text: str, style: Style = BODY, *, indent: float = 0, align: str = "L") -> None:
        lines = self.wrap(text, style, self.width - indent)
        for line in lines:
            self.need(style.line)
            self.y -= self.draw_lines([line], self.left + indent, self.y, style, self.width - indent, align)

    def heading(self, text: str) -> None:
        style = Style(9.5, "B", BRAND)
        self.need(style.line + 3 + 4 * BODY.line)  # a heading never ends a page alone
        self.y -= 7
        self.draw_lines(self.wrap(text, style, self.width), self.left, self.y, style)
        self.y -= style.line + 1
        self.rule(self.left, self.right, self.y, RULE, 0.8)
        self.y -= 3

    def rule(self, x0: float, x1: float, y: float, color: tuple[float, float, float], width: float) -> None:
        c = self.c
        c.setStrokeColorRGB(*color)
        c.setLineWidth(width)
        c.line(x0, y, x1, y)

    def kv(self, rows: Sequence[tuple[str, str]], *, x: float | None = None, width: float | None = None,
           label_share: float = 0.38) -> None:  # fmt: skip
        x = self.left if x is None else x
        width = self.width if width is None else width
        label_w = width * label_share
        value_x = x + width * (label_share + 0.01)
        value_w = x + width - value_x
        label_style = Style(color=(0.267, 0.267, 0.267))
        for key, value in rows:
            keys = self.wrap(key, label_style, label_w - 2)
            values = self.wrap(value, BODY, value_w)
            height = max(len(keys), len(values)) * BODY.line
            self.need(height)
            self.draw_lines(keys, x, self.y, label_style)
            self.draw_lines(values, value_x, self.y, BODY)
            self.y -= height

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, x: float | None = None,
              width: float | None = None, row_styles: Sequence[Style | None] | None = None,
              shaded: Sequence[bool] | None = None, footer: Sequence[str] = (),
              notes: Sequence[str] | None = None) -> None:  # fmt: skip
        """A bordered table; rows never split, the header repeats on every page it spans.

        ``notes`` (one per row, may be empty) is small text under the second column's value.
        """
        x = self.left if x is None else x
        width = self.width if width is None else width
        total = sum(col.width for col in columns)
        widths = [width * col.width / total for col in columns]
        pad = 3.0
        headers = [self.wrap(col.header, HEAD, w - 2 * pad) for col, w in zip(columns, widths, strict=True)]
        header_h = max(len(h) for h in headers) * HEAD.line + 2 * pad - 1

        def draw_header() -> None:
            self._cells(x, widths, headers, [HEAD] * len(columns), ["C"] * len(columns), header_h, HEAD_BG)
            self.y -= header_h

        prepared = []
        for i, row in enumerate(rows):
            style = (row_styles[i] if row_styles else None) or BODY
            cells = [self.wrap(v, style, w - 2 * pad) for v, w in zip(row, widths, strict=True)]
            styles = [style] * len(columns)
            note = notes[i] if notes else ""
            extra: list[str] = self.wrap(note, SMALL, widths[1] - 2 * pad) if note else []
            height = max(len(lines) * style.line for lines in cells) if cells else style.line
            if extra:
                height = max(height, len(cells[1]) * style.line + len(extra) * SMALL.line)
            prepared.append((cells, styles, height + 2 * pad - 1, extra, bool(shaded and shaded[i])))
        first_h = prepared[0][2] if prepared else 0
        self.need(header_h + first_h)
        draw_header()
        aligns = [col.align for col in columns]
        for cells, styles, height, extra, shade in prepared:
            if self.need(height):
                draw_header()
            self._cells(x, widths, cells, styles, aligns, height, BEFORE_BG if shade else None)
            if extra:
                under = self.y - pad - len(cells[1]) * styles[1].line + 1
                self.draw_lines(extra, x + widths[0] + pad, under, SMALL)
            self.y -= height
        if footer:
            cells = [self.wrap(v, HEAD, w - 2 * pad) for v, w in zip(footer, widths, strict=True)]
            height = max(len(lines) for lines in cells) * HEAD.line + 2 * pad - 1
            if self.need(height):
                draw_header()
            self._cells(x, widths, cells, [HEAD] * len(columns), aligns, height, HEAD_BG)
            self.y -= height

    def _cells(self, x: float, widths: Sequence[float], cells: Sequence[Sequence[str]],
               styles: Sequence[Style], aligns: Sequence[str], height: float,
               fill: tuple[float, float, float] | None) -> None:  # fmt: skip
        c = self.c
        pad = 3.0
        top = self.y
        c.setLineWidth(0.6)
        c.setStrokeColorRGB(*RULE)
        if fill:
            c.setFillColorRGB(*fill)
        cx = x
        for w in widths:
            c.rect(cx, top - height, w, height, stroke=1, fill=1 if fill else 0)
            cx += w
        cx = x
        for lines, style, align, w in zip(cells, styles, aligns, widths, strict=True):
            self.draw_lines(lines, cx + pad, top - pad + 1, style, w - 2 * pad, align)
            cx += w

    def box(self, x: float, top: float, width: float, height: float) -> None:
        c = self.c
        c.setLineWidth(0.8)
        c.setStrokeColorRGB(*RULE)
        c.roundRect(x, top - height, width, height, 2.5, stroke=1, fill=0)

    def qr(self, matrix: QrMatrix, x: float, top: float, size: float) -> None:
        """The code as filled vector rectangles, quiet zone included in ``size``."""
        c = self.c
        module = size / (matrix.size + 2 * QUIET_ZONE)
        origin_x = x + QUIET_ZONE * module
        origin_y = top - QUIET_ZONE * module
        c.setFillColorRGB(0, 0, 0)
        path = c.beginPath()
        for row, col, length in matrix.runs():
            path.rect(origin_x + col * module, origin_y - (row + 1) * module, length * module, module)
        c.drawPath(path, stroke=0, fill=1)
