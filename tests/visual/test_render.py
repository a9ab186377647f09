"""Invoice and UPO documents: every sample renders, the PDF text holds what the invoice says, QR codes
read back from the rendered page equal their links, hostile text stays text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fakturnik.errors import VisualError
from fakturnik.ksef.verification_links import CertificateLink, parse_link, verify_certificate_link
from fakturnik.visual.document import read_invoice
from fakturnik.visual.formatting import amount, amount_in_words, polish_date
from fakturnik.visual.render import OfflineSigner, invoice_codes, invoice_html, invoice_pdf, upo_pdf
from tests.conftest import SAMPLES_DIR, SHARED
from tests.visual.certs import make_certificate, make_key

QR = "https://qr-test.ksef.mf.gov.pl"
KSEF_NUMBER = "5265877635-20250916-010040741B3E-46"
SAMPLES = sorted(SAMPLES_DIR.glob("*.xml"))
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
needs_zbar = pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbar-tools not installed")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text in reading order (table cells that wrap stay together)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


def qr_codes(pdf: bytes, tmp_path: Path) -> set[str]:
    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(tmp_path / "page")], check=True)
    found: set[str] = set()
    for png in sorted(tmp_path.glob("page*.png")):
        out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True).stdout
        found.update(line for line in out.splitlines() if line)
    return found


def test_polish_formatting() -> None:
    from decimal import Decimal

    assert amount(Decimal("1234567.5")) == "1\u00a0234\u00a0567,50"
    assert amount(Decimal("-0.5")) == "-0,50"
    assert polish_date("2026-12-07") == "07.12.2026"
    assert amount_in_words(Decimal("1234.56")) == "tysiąc dwieście trzydzieści cztery złote 56/100"
    assert amount_in_words(Decimal("2000000")) == "dwa miliony złotych 00/100"
    assert amount_in_words(Decimal("15")) == "piętnaście złotych 00/100"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_sample_renders_to_html(sample: Path) -> None:
    xml = sample.read_bytes()
    html = invoice_html(xml, qr_base=QR, ksef_number=KSEF_NUMBER)
    doc = read_invoice(xml)
    assert (
        doc.number and doc.number in html.replace("&#39;", "'").replace("&amp;", "&")
    ) or "&" in doc.number
    assert KSEF_NUMBER in html
    assert "<svg" in html


@needs_poppler
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_sample_pdf_holds_names_totals_and_ksef_number(sample: Path, tmp_path: Path) -> None:
    xml = sample.read_bytes()
    doc = read_invoice(xml)
    text = _squash(pdf_text(invoice_pdf(xml, qr_base=QR, ksef_number=KSEF_NUMBER), tmp_path))
    assert _squash(KSEF_NUMBER) in text
    for line in doc.lines:
        # A long name wraps inside its cell, and the text extractor may interleave the wrapped part
        # with the neighbouring cells: then every word must be there.
        if len(line.name) <= 40:
            assert _squash(line.name) in text, line.name
        for word in line.name.split():
            assert _squash(word) in text, word
        if line.net is not None:
            assert _squash(amount(line.net)) in text
    if doc.total is not None:
        assert _squash(amount(doc.total)) in text
    for row in doc.rates:
        if row.vat is not None:
            assert _squash(amount(row.vat)) in text


@needs_poppler
@needs_zbar
def test_online_invoice_pdf_has_kod1_with_ksef_number_and_no_kod2(tmp_path: Path) -> None:
    xml = SAMPLES[0].read_bytes()
    doc = read_invoice(xml)
    codes = invoice_codes(xml, doc, qr_base=QR, ksef_number=KSEF_NUMBER)
    pdf = invoice_pdf(xml, qr_base=QR, ksef_number=KSEF_NUMBER)
    assert qr_codes(pdf, tmp_path) == {codes.kod1}
    assert codes.kod2 is None
    text = pdf_text(pdf, tmp_path)
    assert "CERTYFIKAT" not in text and "OFFLINE" not in text


@needs_poppler
@needs_zbar
@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_offline_invoice_pdf_has_both_codes(kind: str, tmp_path: Path) -> None:
    xml = SAMPLES[0].read_bytes()
    doc = read_invoice(xml)
    key = make_key(kind)
    signer = OfflineSigner(make_certificate(key), key, "Nip", doc.seller_nip)
    codes = invoice_codes(xml, doc, qr_base=QR, offline=signer)
    assert codes.kod2 is not None and codes.kod1_label == "OFFLINE"
    pdf = invoice_pdf(xml, qr_base=QR, offline=signer)
    found = qr_codes(pdf, tmp_path)
    assert codes.kod1 in found and len(found) == 2
    # The signature is randomized (PSS salt, ECDSA nonce): the code on the page is checked, not compared.
    (kod2,) = found - {codes.kod1}
    parsed = parse_link(kod2)
    assert isinstance(parsed, CertificateLink) and parsed.matches(xml)
    verify_certificate_link(parsed, signer.certificate)
    text = pdf_text(pdf, tmp_path)
    assert "OFFLINE" in text and "CERTYFIKAT" in text
    assert "key=<hidden>" in repr(signer)


def _hostile_invoice(lines: int = 3) -> bytes:
    from datetime import date

    from fakturnik.fa3.samples import make_sample_invoice
    from fakturnik.fa3.writer import write_invoice

    invoice = make_sample_invoice("5265877635", "FV/<b>1</b>", lines, issue_date=date(2026, 12, 7))
    xml = write_invoice(invoice)
    evil = "<script>alert(1)</script> ‮שלום عربى 😀 " + "Bardzo-długa-nazwa-" * 30
    return xml.replace(b"<P_7>", ("<P_7>" + evil.replace("<", "&lt;")).encode(), 1)


def test_hostile_text_stays_text() -> None:
    html = invoice_html(_hostile_invoice(), qr_base=QR)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "FV/&lt;b&gt;1&lt;/b&gt;" in html
    assert "😀" in html and "שלום" in html


@needs_poppler
def test_hostile_text_and_a_thousand_lines_render_to_pdf(tmp_path: Path) -> None:
    pdf = invoice_pdf(_hostile_invoice(1000), qr_base=QR)
    text = pdf_text(pdf, tmp_path)
    assert "Strona 1 z" in text
    pages = int(re.findall(r"Strona \d+ z (\d+)", text)[0])
    assert pages >= 20
    assert f"Strona {pages} z {pages}" in text
    # markup is text on the page; right-to-left words come back in reading order (drawn in display
    # order by the bidi algorithm); the 570-character name wraps inside its cell
    assert "<script>alert(1)</script>" in text and "FV/<b>1</b>" in text
    assert "שלום" in text and "عربى" in text
    assert "\u202e" not in text  # a bidi override cannot reorder what follows it
    assert _squash(text).count("Bardzo-długa-nazwa") >= 30  # (pdftotext drops a hyphen at a line end)
    assert "Usługa programistyczna (1000)" in text or "(1000)" in text


def test_text_layer_map_is_utf16_and_gives_arabic_letters() -> None:
    from fakturnik.visual.tounicode import to_unicode_cmap

    cmap = to_unicode_cmap("F", [0x41, 0x1F600, 0xFE91, 0xFEFB])
    assert "<00> <41> " not in cmap and "<00> <0041>" in cmap
    assert "<01> <D83DDE00>" in cmap  # U+1F600 as a UTF-16 surrogate pair, not five hex digits
    assert "<02> <0628>" in cmap  # the initial form of beh is the letter beh
    assert "<03> <06270644>" in cmap  # lam-alef: its letters in visual order (alef, lam)
    assert to_unicode_cmap("F", list(range(250))).count("beginbfchar") == 3  # ≤ 100 per block


@needs_poppler
def test_emoji_and_arabic_copy_back_from_the_pdf(tmp_path: Path) -> None:
    """What a reader copies from the page is what the invoice says: an emoji DejaVu draws comes back
    as itself, one only the symbol font (Symbola) has too, Arabic is drawn joined (presentation
    forms) and copies back as its letters in reading order; a character no font has is drawn and
    copied as U+FFFD."""
    from datetime import date

    from fakturnik.fa3.samples import make_sample_invoice
    from fakturnik.fa3.writer import write_invoice
    from fakturnik.visual.pdf import _display, _symbols

    pytest.importorskip("arabic_reshaper")
    arabic = "عربى مرحبا لا سلام"
    shown = _display(arabic)
    assert any(0xFE70 <= ord(ch) <= 0xFEFF for ch in shown)  # joined shapes are drawn
    xml = write_invoice(make_sample_invoice("5265877635", "FV/1", 1, issue_date=date(2026, 12, 7)))
    name = f"Arabic: {arabic} end. Emoji 😀 ☺ 🚀 ❤ \U0001fa7b end."
    pdf = invoice_pdf(xml.replace(b"<P_7>", ("<P_7>" + name).encode(), 1), qr_base=QR)
    text = pdf_text(pdf, tmp_path)
    assert "😀" in text and "☺" in text and "\ufffd" in text  # U+1FA7B: in no font we use
    assert arabic in re.sub("[\u202a-\u202e]", "", text)  # pdftotext marks the run with embeddings
    if _symbols() is not None:
        assert "🚀" in text and "❤" in text


def test_not_an_invoice_is_a_clear_error() -> None:
    with pytest.raises(VisualError, match="Faktura"):
        invoice_html(b"<?xml version='1.0'?><Inny/>")
    with pytest.raises(Exception, match=r"DTD|encj|XML"):
        invoice_html(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Faktura>&a;</Faktura>')


UPO_DIR = SHARED / "ksef" / "faktury" / "upo" / "przyklady" / "v4-3"


@needs_poppler
@pytest.mark.parametrize("upo", sorted(UPO_DIR.glob("*/*.xml")), ids=lambda p: p.name)
def test_upo_pdf_lists_every_document(upo: Path, tmp_path: Path) -> None:
    xml = upo.read_bytes()
    text = _squash(pdf_text(upo_pdf(xml), tmp_path))
    for number in re.findall(rb"<NumerKSeFDokumentu>([^<]+)<", xml):
        assert _squash(number.decode()) in text
    assert "UPO" in text
