"""QR images of the verification links (ISO/IEC 18004, error correction level M) with their labels.

The Ministry prescribes the text under each code: the KSeF number under KOD I (``OFFLINE`` while the
invoice has none), ``CERTYFIKAT`` under KOD II.

The symbol is encoded by libqrencode (C, Debian's ``libqrencode4``, through ``visual.qrencode``) in
byte mode at level M; the mask is chosen by ``visual.qrmask`` with the standard's four penalty rules
(ISO/IEC 18004 §7.8.3), not by libqrencode, whose scoring differs. Without libqrencode, zxing-cpp's
writer (the ``visual`` extra) draws it, also at level M with the standard's mask choice;
``FAKTURNIK_QR_ENCODER=zxing-cpp`` forces that path. Either way the matrix is serialized here: SVG as
one path of horizontal runs, PNG as an 8-bit grey image, and the PDF painter draws the same runs as
vector rectangles.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from html import escape

from fakturnik.errors import VisualError
from fakturnik.visual import qrencode, qrmask

__all__ = [
    "CERTIFICATE_LABEL",
    "OFFLINE_LABEL",
    "QUIET_ZONE",
    "QrMatrix",
    "encoder",
    "labelled_svg",
    "qr_matrix",
    "qr_png",
    "qr_svg",
]

OFFLINE_LABEL = "OFFLINE"
CERTIFICATE_LABEL = "CERTYFIKAT"
QUIET_ZONE = 4  # modules of light margin on every side (ISO/IEC 18004 §6.3.8)
MAX_LINK = 1500
_RUNS = re.compile(b"(\xff*)(\x00+)")


@dataclass(frozen=True)
class QrMatrix:
    """The symbol without its quiet zone: ``size`` × ``size`` modules, row by row, 0 dark / 255 light."""

    size: int
    modules: bytes

    def runs(self) -> list[tuple[int, int, int]]:
        """Dark modules as horizontal runs ``(row, column, length)``."""
        n = self.size
        data = self.modules
        out: list[tuple[int, int, int]] = []
        for row in range(n):
            x = 0
            for light, dark in _RUNS.findall(data, row * n, row * n + n):
                x += len(light)
                out.append((row, x, len(dark)))
                x += len(dark)
        return out


def _check(link: str) -> bytes:
    if not link or len(link) > MAX_LINK:
        raise VisualError("Link do zakodowania w QR jest pusty lub za długi.")
    return link.encode()


def _from_libqrencode(data: bytes) -> QrMatrix | None:
    first = qrencode.encode_mask(data, 0)
    if first is None:
        return None
    width, mask0 = first

    def with_mask(mask: int) -> bytes:
        symbol = qrencode.encode_mask(data, mask)
        assert symbol is not None and symbol[0] == width
        return symbol[1]

    choice = qrmask.choose(width, mask0, with_mask)
    level, mask = _format_information(choice.bits, width)
    if level != _LEVEL_M or mask != choice.mask:  # pragma: no cover - guards against a changed library
        raise VisualError("Kod QR powstał z innym poziomem korekcji lub maską niż zamówione (M).")
    return QrMatrix(width, choice.bits.translate(_MODULES))


def _from_zxing(link: str) -> QrMatrix:
    try:
        import zxingcpp
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise VisualError(
            "Do rysowania kodów QR potrzebna jest biblioteka libqrencode (pakiet systemowy libqrencode4) "
            "albo pakiet zxing-cpp: pip install 'fakturnik[visual]'."
        ) from exc
    code = zxingcpp.create_barcode(link, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    if code.ec_level != "M":  # pragma: no cover - guards against a library that ignores the level
        raise VisualError(f"Kod QR powstał z poziomem korekcji {code.ec_level!r} zamiast M.")
    image = code.to_image(scale=1, add_quiet_zones=False)
    return QrMatrix(image.shape[0], bytes(image))  # type: ignore[call-overload]  # a buffer


_LEVEL_M = 0b00  # the error correction bits of the format information (L 01, M 00, Q 11, H 10)
_MODULES = bytes(0 if b == 0x31 else 255 for b in range(256))  # '1' dark → 0, '0' light → 255
_FORMAT_ROW = (0, 1, 2, 3, 4, 5, 7, 8)  # row 8: format bits 14…7 (ISO/IEC 18004 §7.9.1, Figure 25)
_FORMAT_COLUMN = (7, 5, 4, 3, 2, 1, 0)  # column 8, upwards: bits 6…0


def _format_information(bits: bytes, width: int) -> tuple[int, int]:
    """(error correction bits, mask) read from the format information beside the top-left finder."""
    row = bytes(bits[8 * width + c] for c in _FORMAT_ROW)
    word = row + bytes(bits[r * width + 8] for r in _FORMAT_COLUMN)
    value = int(word, 2) ^ 0x5412
    return (value >> 13) & 0b11, (value >> 10) & 0b111


def encoder() -> str:
    """Which encoder draws the symbols here: ``"libqrencode"`` (fast) or ``"zxing-cpp"``."""
    return "libqrencode" if qrencode.available() and not _FORCE_ZXING else "zxing-cpp"


_FORCE_ZXING = os.environ.get("FAKTURNIK_QR_ENCODER") == "zxing-cpp"


@lru_cache(maxsize=64)
def qr_matrix(link: str) -> QrMatrix:
    """The module matrix of the link's QR code (level M, the standard's mask choice)."""
    data = _check(link)
    if not _FORCE_ZXING:
        matrix = _from_libqrencode(data)
        if matrix is not None:
            return matrix
    return _from_zxing(link)


def _svg_path(matrix: QrMatrix) -> str:
    """One path of 1-module-high strokes: ``hK`` over K dark modules, a move over light ones.

    No loop per module: every row, padded to whole bytes, becomes bytes of 8 modules each, and every
    byte is looked up in a table of its path fragment (a run crossing two bytes is simply two
    strokes). The last byte of a row drops its trailing light modules and moves the pen back to the
    start of the next row.
    """
    n = matrix.size
    per_row = (n + 7) // 8
    padded = per_row * 8
    row_end = _ROW_ENDS.get(n)
    if row_end is None:
        row_end = _ROW_ENDS[n] = tuple(_fragment(byte, padded) for byte in range(256))
    bits = matrix.modules.translate(_BITS)
    fill = b"0" * (padded - n)
    rows = fill.join(bits[i : i + n] for i in range(0, n * n, n)) + fill
    raw = int(rows, 2).to_bytes(per_row * n, "big")
    fragments = list(map(_FRAGMENTS.__getitem__, raw))
    for i in range(per_row - 1, per_row * n, per_row):
        fragments[i] = row_end[raw[i]]
    return f"M{QUIET_ZONE},{QUIET_ZONE + 0.5}" + "".join(fragments)


def _fragment(byte: int, row_end: int | None = None) -> str:
    """The path of 8 modules (most significant bit first); at a row's end, the move to the next."""
    bits = f"{byte:08b}"
    body = bits if row_end is None else bits.rstrip("0")
    out = "".join(f"h{len(r)}" if r[0] == "1" else f"m{len(r)},0" for r in re.findall("1+|0+", body))
    return out if row_end is None else out + f"m{8 - len(body) - row_end},1"


_BITS = bytes(0x31 if b == 0 else 0x30 for b in range(256))  # dark (0) → '1', light → '0'
_FRAGMENTS = tuple(_fragment(byte) for byte in range(256))
_ROW_ENDS: dict[int, tuple[str, ...]] = {}


def _svg_body(matrix: QrMatrix) -> str:
    return f'<path fill="none" stroke="#000" stroke-width="1" d="{_svg_path(matrix)}"/>'


def qr_svg(link: str, *, scale: int = 3) -> str:
    """The code as inline SVG markup (no XML declaration), black on white, quiet zone 4 modules."""
    matrix = qr_matrix(link)
    side = matrix.size + 2 * QUIET_ZONE
    px = side * scale
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{px}" height="{px}" viewBox="0 0 {side} {side}"'
        f' shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/>'
        f"{_svg_body(matrix)}</svg>"
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _deflate(raw: bytes) -> bytes:
    """zlib with run-length matching only: the scanlines are runs and zero rows, so it is as small as
    the default strategy's output within a fifth and three times faster."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    return packer.compress(raw) + packer.flush()


def qr_png(link: str, *, scale: int = 4) -> bytes:
    """The code as a PNG image (8-bit grey), ``scale`` pixels per module, quiet zone 4 modules."""
    if not 1 <= scale <= 40:
        raise VisualError("Skala kodu QR musi być liczbą od 1 do 40.")
    matrix = qr_matrix(link)
    n = matrix.size
    width = height = (n + 2 * QUIET_ZONE) * scale
    margin = b"\xff" * (QUIET_ZONE * scale)
    # each module row is one scanline without a filter (type 0) and ``scale - 1`` copies of it as
    # "Up" scanlines (type 2: the difference to the line above, all zeros), cheap to compress
    same = [b"\x02" + bytes(width)] * (scale - 1)
    quiet = [b"\x00" + b"\xff" * width, *same] * QUIET_ZONE
    lines = [*quiet]
    dark, light = b"\x00" * scale, b"\xff" * scale
    for i in range(0, n * n, n):
        row = matrix.modules[i : i + n].replace(b"\x00", dark).replace(b"\xff", light)
        lines.append(b"\x00" + margin + row + margin)
        lines.extend(same)
    lines.extend(quiet)
    raw = b"".join(lines)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", _deflate(raw))
        + _png_chunk(b"IEND", b"")
    )


def labelled_svg(link: str, label: str, *, scale: int = 3) -> str:
    """A standalone SVG: the code with its label centred beneath it."""
    matrix = qr_matrix(link)
    side = matrix.size + 2 * QUIET_ZONE
    width = side * scale
    font = max(8, scale * 4)
    total = width + font + 6
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total}" '
        f'viewBox="0 0 {width} {total}" role="img" aria-label="{escape(label)}">'
        f'<rect width="{width}" height="{total}" fill="#fff"/>'
        f'<g transform="scale({scale})" shape-rendering="crispEdges">'
        f"{_svg_body(matrix)}</g>"
        f'<text x="{width / 2}" y="{width + font}" font-family="DejaVu Sans, sans-serif" '
        f'font-size="{font}" text-anchor="middle">{escape(label)}</text></svg>'
    )
