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


def _format(m: list[bytearray]) -> tuple[int, int]:
    """The (error level bits, mask) of the format information next to the top-left finder."""
    bits = [m[8][c] for c in (0, 1, 2, 3, 4, 5, 7, 8)] + [m[r][8] for r in (7, 5, 4, 3, 2, 1, 0)]
    value = int("".join(map(str, bits)), 2) ^ 0x5412  # ISO/IEC 18004 §7.9.1 mask of the format bits
    return (value >> 13) & 0b11, (value >> 10) & 0b111


@pytest.mark.parametrize(
    "link", [KOD1, KOD2, KOD1.replace("invoice", "invoice/x")], ids=["kod1", "kod2", "other"]
)
def test_the_mask_is_the_one_with_the_lowest_penalty(link: str) -> None:
    """Re-mask the symbol's data with each of the eight patterns and score it by the four penalty
    rules of ISO/IEC 18004 §7.8.3 (segno's evaluation, an independent implementation, with the format
    and version information in place): the encoder's choice scores lowest."""
    from segno import consts
    from segno import encoder as ref

    matrix = qr_matrix(link)
    n = matrix.size
    version = (n - 17) // 4
    symbol = [bytearray(1 if matrix.modules[r * n + c] == 0 else 0 for c in range(n)) for r in range(n)]
    level, chosen = _format(symbol)
    assert level == 0b00  # M in the format information (L 01, M 00, Q 11, H 10)
    function = ref.make_matrix(n, n)
    ref.add_finder_patterns(function, n, n)
    ref.add_alignment_patterns(function, n, n)
    function[-8][8] = 0x1

    def is_data(i: int, j: int) -> bool:
        return bool(function[i][j] > 0x1)

    masks = ref.get_data_mask_functions(False)
    ref.apply_mask(symbol, masks[chosen], n, n, is_data)  # the data unmasked
    scores = []
    for number, mask in enumerate(masks):
        trial = [bytearray(row) for row in symbol]
        ref.apply_mask(trial, mask, n, n, is_data)
        ref.add_format_info(trial, version, consts.ERROR_LEVEL_M, number)
        if version >= 7:
            ref.add_version_info(trial, version)
        scores.append(ref.evaluate_mask(trial, n, n))
    assert scores[chosen] == min(scores), scores
