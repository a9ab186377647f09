"""QR symbols: level M, read back to the exact link (PNG by zbar, the matrix by zxing-cpp's reader), the
SVG draws exactly the symbol's modules, and the labels sit under the codes."""

from __future__ import annotations

import base64
import hashlib
import random
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from fakturnik.errors import VisualError
from fakturnik.ksef.verification_links import invoice_link
from fakturnik.visual import qr as qr_mod
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
    """Rebuild the module matrix by following the SVG path's pen: ``M``/``m`` move it, ``hK`` draws
    a 1-module-high stroke over K modules (the stroke is centred on the row, at y + 0.5)."""
    grid = bytearray([255] * size * size)
    d = re.search(r' d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    assert re.fullmatch(r"(?:[Mm]-?[\d.]+,-?[\d.]+|h\d+)+", d), d[:80]
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:,(-?[\d.]+))?", d):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            row, col = int(y - 0.5) - QUIET_ZONE, int(x) - QUIET_ZONE
            assert y % 1 == 0.5 and 0 <= row < size and col >= 0 and col + int(a) <= size
            for c in range(col, col + int(a)):
                grid[row * size + c] = 0
            x += int(a)
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


def _links() -> list[str]:
    """KOD I links with varied hashes and KOD II links with RSA-2048 and P-256 signatures."""
    rng = random.Random(13)
    out = []
    for i in range(24):
        digest = hashlib.sha256(f"faktura {i}".encode()).digest()
        file_hash = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if i % 3 == 0:
            out.append(f"{QR}/invoice/5265877635/{i % 28 + 1:02d}-12-2026/{file_hash}")
        else:
            signature = base64.urlsafe_b64encode(rng.randbytes(256 if i % 3 == 1 else 64)).rstrip(b"=")
            out.append(
                f"{QR}/certificate/Nip/5265877635/5265877635/01F20A5D352AE590/{file_hash}/{signature.decode()}"
            )
    return out


LINKS = _links()
N3_PATTERN = bytes([1, 0, 1, 1, 1, 0, 1])


def _penalties(m: list[bytearray], *, skip_overlaps: bool = False) -> tuple[int, int, int, int]:
    """(N1, N2, N3, N4) of ISO/IEC 18004:2015 §7.8.3 Table 11, the plain way (1 dark, 0 light).

    N3 counts every 1:1:3:1:1 pattern with 4 light modules before or after it, the area outside the
    symbol (the quiet zone) being light. ``skip_overlaps`` reproduces segno's reading, which after
    a counted pattern looks for the next one only 7 modules further, missing the rare patterns that
    overlap it (``10111011101`` followed by 4 light modules holds two).
    """
    n = len(m)
    lines = [bytes(row) for row in m] + [bytes(m[r][c] for r in range(n)) for c in range(n)]
    n1 = sum(len(run) - 2 for line in lines for run in re.findall(rb"\x00{5,}|\x01{5,}", line))
    n2 = 3 * sum(
        1
        for r in range(n - 1)
        for c in range(n - 1)
        if m[r][c] == m[r][c + 1] == m[r + 1][c] == m[r + 1][c + 1]
    )
    n3 = 0
    light = bytes(4)
    for line in lines:
        padded = light + line + light
        i = padded.find(N3_PATTERN)
        while i != -1:
            counted = padded[i - 4 : i] == light or padded[i + 7 : i + 11] == light
            n3 += 40 * counted
            i = padded.find(N3_PATTERN, i + (7 if counted and skip_overlaps else 1))
    dark = sum(map(sum, m))
    n4 = 10 * (abs(20 * dark - 10 * n * n) // (n * n))
    return n1, n2, n3, n4


def _candidates(matrix_modules: bytes, n: int) -> tuple[int, list[list[bytearray]]]:
    """The symbol's level-M check, its mask, and its data re-masked with each of the eight patterns
    (format and version information in place), built with segno's encoder functions."""
    from segno import consts
    from segno import encoder as ref

    version = (n - 17) // 4
    symbol = [bytearray(1 if matrix_modules[r * n + c] == 0 else 0 for c in range(n)) for r in range(n)]
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
    trials = []
    for number, mask in enumerate(masks):
        trial = [bytearray(row) for row in symbol]
        ref.apply_mask(trial, mask, n, n, is_data)
        ref.add_format_info(trial, version, consts.ERROR_LEVEL_M, number)
        if version >= 7:
            ref.add_version_info(trial, version)
        trials.append(trial)
    return chosen, trials


@pytest.mark.parametrize("link", LINKS[:12])
def test_the_reference_scoring_agrees_with_segno(link: str) -> None:
    """The plain scoring above equals segno's (an independent implementation) rule by rule, once it
    reads N3 the way segno does; so the two differ only in that one documented point."""
    from segno import encoder as ref

    matrix = qr_matrix(link)
    _, trials = _candidates(matrix.modules, matrix.size)
    for trial in trials:
        assert _penalties(trial, skip_overlaps=True) == ref.mask_scores(trial, matrix.size, matrix.size)


@pytest.mark.parametrize("encoder", ["libqrencode", "zxing-cpp"])
def test_the_mask_is_the_one_with_the_lowest_penalty(encoder: str) -> None:
    """Each symbol's data re-masked with each of the eight patterns and scored by the four rules of
    ISO/IEC 18004 §7.8.3: the encoder's choice scores lowest; with libqrencode our fast scorer
    (``visual.qrmask``) gives exactly the plain scores of all eight."""
    from fakturnik.visual import qrencode, qrmask

    if encoder == "libqrencode" and not qrencode.available():
        pytest.skip("libqrencode not installed")
    for link in LINKS:
        if encoder == "libqrencode":
            matrix = qr_mod._from_libqrencode(link.encode())
        else:
            matrix = qr_mod._from_zxing(link)
        assert matrix is not None
        chosen, trials = _candidates(matrix.modules, matrix.size)
        scores = [sum(_penalties(trial)) for trial in trials]
        assert scores[chosen] == min(scores), (link, chosen, scores)
        if encoder == "libqrencode":
            first = qrencode.encode_mask(link.encode(), 0)
            assert first is not None
            data = link.encode()
            choice = qrmask.choose(*first, lambda k: qrencode.encode_mask(data, k)[1])  # type: ignore[index]  # noqa: B023
            assert list(choice.scores) == scores


def test_without_libqrencode_zxing_cpp_draws_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without the system library still makes valid level-M codes (the visual extra's
    zxing-cpp), and says which encoder it uses."""
    import ctypes

    from fakturnik.visual import qrencode

    def no_library(*args: object, **kwargs: object) -> None:
        raise OSError("libqrencode.so.4: cannot open shared object file")

    qrencode._library.cache_clear()
    qr_matrix.cache_clear()
    monkeypatch.setattr(ctypes, "CDLL", no_library)
    try:
        assert not qrencode.available() and qr_mod.encoder() == "zxing-cpp"
        link = KOD1.replace("invoice", "invoice/fallback")
        matrix = qr_matrix(link)
        assert _read(matrix.modules, matrix.size) == (link, "M")
    finally:
        monkeypatch.undo()
        qrencode._library.cache_clear()
        qr_matrix.cache_clear()
    assert qrencode.available() == (qr_mod.encoder() == "libqrencode")


def test_encoder_can_be_forced_to_zxing_cpp() -> None:
    import os
    import sys

    env = {**os.environ, "FAKTURNIK_QR_ENCODER": "zxing-cpp"}
    code = "from fakturnik.visual.qr import encoder, qr_matrix; print(encoder(), qr_matrix('https://x.example/a').size)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "zxing-cpp"


@pytest.mark.parametrize("link", LINKS[:8])
def test_svg_and_png_draw_exactly_the_matrix(link: str) -> None:
    """For symbols of several versions: the SVG path rebuilt into modules and every PNG pixel (Pillow
    decodes it) equal the matrix, with its quiet zone light."""
    import io

    from PIL import Image

    matrix = qr_matrix(link)
    n = matrix.size
    assert _svg_modules(qr_svg(link), n) == matrix.modules
    scale = 3
    image = Image.open(io.BytesIO(qr_png(link, scale=scale)))
    side = (n + 2 * QUIET_ZONE) * scale
    assert image.size == (side, side) and image.mode == "L"
    pixels = image.tobytes()
    for y in range(side):
        r = y // scale - QUIET_ZONE
        row = bytes(
            matrix.modules[r * n + c] if 0 <= r < n and 0 <= c < n else 255
            for c in (x // scale - QUIET_ZONE for x in range(side))
        )
        assert pixels[y * side : (y + 1) * side] == row, y
