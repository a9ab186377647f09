"""QR images of the verification links (ISO/IEC 18004, error correction level M) with their labels.

The Ministry prescribes the text under each code: the KSeF number under KOD I (``OFFLINE`` while the
invoice has none), ``CERTYFIKAT`` under KOD II.

The symbol comes from zxing-cpp's writer (C++, the ``visual`` extra): it picks the version, the
segmentation and the mask the way ISO/IEC 18004 prescribes (the mask with the lowest penalty of the
standard's four rules). We only serialize its module matrix: SVG as one path of horizontal runs, PNG
as an 8-bit grey image, and the PDF painter draws the same runs as vector rectangles.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from html import escape

from fakturnik.errors import VisualError

__all__ = [
    "CERTIFICATE_LABEL",
    "OFFLINE_LABEL",
    "QUIET_ZONE",
    "QrMatrix",
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


def _symbol(link: str):  # type: ignore[no-untyped-def]
    if not link or len(link) > MAX_LINK:
        raise VisualError("Link do zakodowania w QR jest pusty lub za długi.")
    try:
        import zxingcpp
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise VisualError(
            "Do rysowania kodów QR potrzebny jest pakiet zxing-cpp: pip install 'fakturnik[visual]'."
        ) from exc
    code = zxingcpp.create_barcode(link, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    if code.ec_level != "M":  # pragma: no cover - guards against a library that ignores the level
        raise VisualError(f"Kod QR powstał z poziomem korekcji {code.ec_level!r} zamiast M.")
    return code


@lru_cache(maxsize=64)
def qr_matrix(link: str) -> QrMatrix:
    """The module matrix of the link's QR code (level M, the standard's mask choice)."""
    image = _symbol(link).to_image(scale=1, add_quiet_zones=False)
    size = image.shape[0]
    return QrMatrix(size, bytes(image))


_STROKES = {0: "h1", 255: "m1,0"}


def _svg_path(matrix: QrMatrix) -> str:
    """Each row as a 1-module-wide stroke: ``h1`` over a dark module, a move over a light one."""
    n = matrix.size
    text = matrix.modules.decode("latin-1")
    return "".join(
        f"M{QUIET_ZONE},{row + QUIET_ZONE + 0.5}" + text[row * n : row * n + n].translate(_STROKES)
        for row in range(n)
    )


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


def qr_png(link: str, *, scale: int = 4) -> bytes:
    """The code as a PNG image (8-bit grey), ``scale`` pixels per module, quiet zone 4 modules."""
    if not 1 <= scale <= 40:
        raise VisualError("Skala kodu QR musi być liczbą od 1 do 40.")
    image = _symbol(link).to_image(scale=scale, add_quiet_zones=True)
    height, width = image.shape[0], image.shape[1]
    pixels = bytes(image)
    raw = b"".join(b"\x00" + pixels[y * width : (y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw, 6))
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
