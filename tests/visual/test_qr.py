"""QR symbols: level M, read back to the exact link (PNG by zbar, the matrix by zxing-cpp's reader), the
SVG draws exactly the symbol's modules, and the labels sit under the codes."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from fakturnik.errors import VisualError
from fakturnik.ksef.verification_links import invoice_link
from fakturnik.visual.qr import QUIET_ZONE, labelled_svg, qr_matrix, qr_png, qr_svg

QR = "https://qr-test.ksef.mf.gov.pl"
KOD1 = invoice_link(QR, "5265877635", date(2026, 12, 7), b"<Faktura>1</Faktura>")
KOD2 = (
    f"{QR}/certificate/Nip/5265877635/5265877635/01F20A5D352AE590/"
    + "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE/"
    + "A" * 342
)
needs_zbar = pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbar-tools not installed")


def _read(modules: bytes, size: int) -> tuple[str, str]:
    """Decode a matrix (0 dark, 255 light) with zxing-cpp's reader: the text and the EC level."""
    import zxingcpp

    side = size + 2 * QUIET_ZONE
    scale = 4
    rows = []
    for r in range(-QUIET_ZONE, size + QUIET_ZONE):
        row = bytearray()
        for c in range(-QUIET_ZONE, size + QUIET_ZONE):
            inside = 0 <= r < size and 0 <= c < size
            row += bytes([modules[r * size + c] if inside else 255]) * scale
        rows.extend([bytes(row)] * scale)
    pixels = b"".join(rows)  # kept alive while the reader looks at it
    image = zxingcpp.ImageView(pixels, side * scale, side * scale, zxingcpp.ImageFormat.Lum)
    found = zxingcpp.read_barcode(image)
    assert found is not None and found.valid
    return found.text, found.ec_level


@pytest.mark.parametrize("link", [KOD1, KOD2], ids=["kod1", "kod2"])
def test_symbol_is_level_m_and_reads_back_to_the_link(link: str) -> None:
    matrix = qr_matrix(link)
    assert len(matrix.modules) == matrix.size**2 and set(matrix.modules) <= {0, 255}
    assert (matrix.size - 17) % 4 == 0  # a QR version: 21, 25, … modules
    text, level = _read(matrix.modules, matrix.size)
    assert text == link
    assert level == "M"


@needs_zbar
@pytest.mark.parametrize("link", [KOD1, KOD2], ids=["kod1", "kod2"])
def test_png_reads_back_with_zbar(link: str, tmp_path: Path) -> None:
    png = tmp_path / "code.png"
    png.write_bytes(qr_png(link))
    out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == link


def _svg_modules(svg: str, size: int) -> bytes:
    """Rebuild the module matrix from the SVG path (``h1`` draws a module, ``m1,0`` skips one)."""
    grid = bytearray([255] * size * size)
    d = re.search(r' d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    for start, y, ops in re.findall(r"M(\d+),(\d+)\.5([hm1,0]*)", d):
        x = int(start) - QUIET_ZONE
        row = int(y) - QUIET_ZONE
        for op in re.findall(r"h1|m1,0", ops):
            if op == "h1":
                grid[row * size + x] = 0
            x += 1
    return bytes(grid)


def test_svg_draws_exactly_the_symbol() -> None:
    svg = qr_svg(KOD1)
    matrix = qr_matrix(KOD1)
    side = matrix.size + 2 * QUIET_ZONE
    assert f'viewBox="0 0 {side} {side}"' in svg
    assert _svg_modules(svg, matrix.size) == matrix.modules
    assert svg.startswith("<svg") and "<script" not in svg
    labelled = labelled_svg(KOD1, "OFFLINE")
    assert ">OFFLINE</text>" in labelled
    assert _svg_modules(labelled, matrix.size) == matrix.modules


def test_label_is_escaped_and_bad_input_refused() -> None:
    assert "&lt;b&gt;" in labelled_svg(KOD1, "<b>")
    with pytest.raises(VisualError):
        qr_svg("")
    with pytest.raises(VisualError):
        qr_png("x" * 1501)
    with pytest.raises(VisualError):
        qr_png(KOD1, scale=0)
