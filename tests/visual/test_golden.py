"""Golden page images: a few rendered pages compared pixel by pixel with pictures a person looked at.

Each case renders a deterministic invoice (our own sample data) to PDF, turns one page into a small
greyscale PNG with poppler's ``pdftoppm`` and compares it with ``tests/visual/golden/<case>.png``
within a tolerance (anti-aliasing and font hinting may differ slightly between poppler versions; a
moved block, a missing line or a different code does not pass).

After an intended change of the layout, regenerate the pictures, look at every one, and commit them::

    FAKTURNIK_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest -p no:xdist tests/visual/test_golden.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from fakturnik.fa3.samples import make_sample_correction, make_sample_invoice
from fakturnik.fa3.writer import write_invoice
from fakturnik.visual.qr import encoder
from fakturnik.visual.render import invoice_pdf

Image = pytest.importorskip("PIL.Image")  # Pillow comes with ReportLab

GOLDEN = Path(__file__).parent / "golden"
QR = "https://qr-test.ksef.mf.gov.pl"
KSEF_NUMBER = "5265877635-20261207-010040741B3E-46"
DPI = 40
MEAN_TOLERANCE = 0.3  # mean absolute difference per pixel, of 255
STRAY_TOLERANCE = 0.001  # share of pixels that may differ by more than a quarter of the grey range
REGENERATE = os.environ.get("FAKTURNIK_REGENERATE_GOLDEN") == "1"

needs_poppler = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
# the pictures hold QR codes drawn by libqrencode; zxing-cpp's (the fallback) are as valid but other
needs_libqrencode = pytest.mark.skipif(encoder() != "libqrencode", reason="QR codes drawn by zxing-cpp")


def _typical() -> bytes:
    xml = write_invoice(make_sample_invoice("5265877635", "FV/2026/12/1", 10, issue_date=date(2026, 12, 7)))
    return invoice_pdf(xml, qr_base=QR, ksef_number=KSEF_NUMBER)


def _correction() -> bytes:
    original = make_sample_invoice("5265877635", "FV/2026/12/1", 3, issue_date=date(2026, 12, 7))
    kor = make_sample_correction(
        original, "KOR/2026/12/1", ksef_number=KSEF_NUMBER, issue_date=date(2026, 12, 9)
    )
    return invoice_pdf(write_invoice(kor), qr_base=QR)


def _hostile() -> bytes:
    xml = write_invoice(make_sample_invoice("5265877635", "FV/<b>1</b>", 3, issue_date=date(2026, 12, 7)))
    evil = "<script>alert(1)</script> שלום עולם عربى 😀 " + "Bardzo-długa-nazwa-" * 12
    return invoice_pdf(xml.replace(b"<P_7>", ("<P_7>" + evil.replace("<", "&lt;")).encode(), 1), qr_base=QR)


def _long() -> bytes:
    xml = write_invoice(make_sample_invoice("5265877635", "FV/2026/12/40", 40, issue_date=date(2026, 12, 7)))
    return invoice_pdf(xml, qr_base=QR, ksef_number=KSEF_NUMBER)


# case → (PDF maker, page number)
CASES: dict[str, tuple[Callable[[], bytes], int]] = {
    "invoice-10-lines-p1": (_typical, 1),
    "correction-p1": (_correction, 1),
    "hostile-text-p1": (_hostile, 1),
    "invoice-40-lines-last-page": (_long, -1),
}


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _render(make: Callable[[], bytes], page: int, tmp_path: Path) -> Path:
    pdf = tmp_path / "page.pdf"
    pdf.write_bytes(make())
    number = _pages(pdf) if page == -1 else page
    out = tmp_path / "page"
    args = ["pdftoppm", "-r", str(DPI), "-gray", "-png", "-f", str(number), "-l", str(number), "-singlefile"]
    subprocess.run([*args, str(pdf), str(out)], check=True)
    png = out.with_suffix(".png")
    Image.open(png).convert("L").save(png, optimize=True)  # one grey channel: a third of the bytes
    return png


def _difference(actual: Path, expected: Path) -> tuple[float, float]:
    """(mean absolute difference of the grey values, share of pixels off by more than 64)."""
    a = Image.open(actual).convert("L")
    b = Image.open(expected).convert("L")
    assert a.size == b.size, f"page size {a.size} differs from the golden {b.size}"
    pa, pb = a.tobytes(), b.tobytes()
    diffs = [abs(x - y) for x, y in zip(pa, pb, strict=True)]
    return sum(diffs) / len(diffs), sum(d > 64 for d in diffs) / len(diffs)


@needs_poppler
@needs_libqrencode
@pytest.mark.parametrize("case", sorted(CASES))
def test_page_matches_its_golden_image(case: str, tmp_path: Path) -> None:
    make, page = CASES[case]
    png = _render(make, page, tmp_path)
    golden = GOLDEN / f"{case}.png"
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        shutil.copyfile(png, golden)
        pytest.skip(f"regenerated {golden.name}: look at it before committing")
    assert golden.exists(), f"no golden image {golden.name}: run with FAKTURNIK_REGENERATE_GOLDEN=1"
    mean, stray = _difference(png, golden)
    if mean > MEAN_TOLERANCE or stray > STRAY_TOLERANCE:
        shutil.copyfile(png, tmp_path / f"{case}.actual.png")
    assert mean <= MEAN_TOLERANCE, f"{case}: mean difference {mean:.2f} > {MEAN_TOLERANCE} (see {tmp_path})"
    assert stray <= STRAY_TOLERANCE, f"{case}: {stray:.2%} of pixels differ (see {tmp_path})"


def test_a_changed_page_is_caught(tmp_path: Path) -> None:
    """The comparison itself: the golden page against the same page with one line of the table moved."""
    golden = GOLDEN / "invoice-10-lines-p1.png"
    if not golden.exists():
        pytest.skip("golden images not generated yet")
    image = Image.open(golden).convert("L")
    width, height = image.size
    band = image.crop((0, height // 3, width, height // 3 + 12))
    changed = image.copy()
    changed.paste(band, (0, height // 3 + 6))
    path = tmp_path / "changed.png"
    changed.save(path)
    assert _difference(golden, golden) == (0.0, 0.0)
    mean, stray = _difference(path, golden)
    assert mean > MEAN_TOLERANCE or stray > STRAY_TOLERANCE
