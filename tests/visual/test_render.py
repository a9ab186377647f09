"""Every sample renders to HTML and PDF; the PDF's text and QR codes say what the invoice says."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from fakturnik.visual.links import certificate_link, invoice_hash
from fakturnik.visual.render import invoice_html, invoice_pdf
from fakturnik.visual.upo import upo_pdf
from tests.visual.conftest import make_cert

SHARED = Path(os.environ.get("FAKTURNIK_SHARED_DIR", "/work/shared"))
SAMPLES = sorted((SHARED / "fa3-samples").glob("*.xml"))
QR = "https://qr-test.ksef.mf.gov.pl"
KSEF_NO = "5265877635-20250826-0100001AF629-AF"
NS = "{http://crd.gov.pl/wzor/2025/06/25/13775/}"


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    return re.sub(r"\s+", " ", out.replace("\u00a0", " "))


def read_codes(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(tmp_path / "page")], check=True)
    codes: list[str] = []
    for png in sorted(tmp_path.glob("page*.png")):
        run = subprocess.run(
            ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)], capture_output=True
        )
        codes.extend(line for line in run.stdout.decode().splitlines() if line)
    return codes


def test_there_are_55_samples() -> None:
    assert len(SAMPLES) == 55


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_sample_renders_with_lines_totals_and_ksef_number(sample: Path, tmp_path: Path) -> None:
    xml = sample.read_bytes()
    html = invoice_html(xml, ksef_number=KSEF_NO, qr_base=QR)
    assert KSEF_NO in html
    text = pdf_text(invoice_pdf(xml, ksef_number=KSEF_NO, qr_base=QR), tmp_path)
    assert KSEF_NO.replace("-", "") in text.replace("-", "").replace(" ", "")
    root = etree.fromstring(xml)
    squashed = text.replace(" ", "")
    for name in root.iter(f"{NS}P_7"):
        assert re.sub(r"\s+", "", name.text or "")[:40] in squashed, name.text
    from fakturnik.visual.formatting import amount

    for total in root.iter(f"{NS}P_15"):
        assert amount(total.text).replace(" ", "") in squashed


def test_kod1_read_back_from_pdf(tmp_path: Path) -> None:
    xml = SAMPLES[0].read_bytes()
    pdf = invoice_pdf(xml, ksef_number=KSEF_NO, qr_base=QR)
    codes = read_codes(pdf, tmp_path)
    assert len(codes) == 1 and codes[0].startswith(QR + "/invoice/") and codes[0].endswith(invoice_hash(xml))


def test_offline_pdf_has_both_codes_read_back(tmp_path: Path, ec_key) -> None:  # type: ignore[no-untyped-def]
    xml = (SHARED / "fa3-samples" / "ksef2__FA_3_Przyklad_2.xml").read_bytes()
    kod2 = certificate_link(
        QR,
        context_type="Nip",
        context_value="9999999999",
        seller_nip="9999999999",
        certificate=make_cert(ec_key),
        private_key=ec_key,
        xml_or_hash=xml,
    )
    pdf = invoice_pdf(xml, qr_base=QR, kod2=kod2)
    text = pdf_text(pdf, tmp_path)
    assert "OFFLINE" in text and "CERTYFIKAT" in text
    codes = read_codes(pdf, tmp_path)
    assert sorted(codes) == sorted([f"{QR}/invoice/9999999999/15-03-2026/{invoice_hash(xml)}", kod2.url])


def _hostile_invoice(lines: int, name: str) -> bytes:
    xml = (SHARED / "fa3-samples" / "ksef2__FA_3_Przyklad_1.xml").read_bytes()
    root = etree.fromstring(xml)
    fa = root.find(f"{NS}Fa")
    assert fa is not None
    template = fa.find(f"{NS}FaWiersz")
    assert template is not None
    seller = root.find(f"{NS}Podmiot1/{NS}DaneIdentyfikacyjne/{NS}Nazwa")
    assert seller is not None
    seller.text = name
    for i in range(lines):
        row = etree.fromstring(etree.tostring(template))
        row.find(f"{NS}P_7").text = f"{i} {name}"  # type: ignore[union-attr]
        template.addnext(row)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_hostile_text_is_escaped_and_rendered(tmp_path: Path) -> None:
    name = (
        "<script>alert(1)</script><img src='http://10.0.0.1/x'> &amp; שלום עולם 🧾 " + "Bardzodługanazwa" * 30
    )
    xml = _hostile_invoice(3, name)
    html = invoice_html(xml, qr_base=QR)
    assert "<script>" not in html and "&lt;script&gt;" in html and "<img src" not in html
    text = pdf_text(invoice_pdf(xml, qr_base=QR), tmp_path)
    assert "<script>alert(1)</script>" in text


def test_a_thousand_lines(tmp_path: Path) -> None:
    xml = _hostile_invoice(1000, "Pozycja")
    pdf = invoice_pdf(xml, qr_base=QR)
    text = pdf_text(pdf, tmp_path)
    assert "999 Pozycja" in text and "Strona 1 z" in text


def test_upo_pdf_one_page_per_upo_page(tmp_path: Path) -> None:
    upo = (SHARED / "ksef/faktury/upo/przyklady/v4-3/kontekst-nip/upo-sesja-kontekst-id-nip.xml").read_bytes()
    text = pdf_text(upo_pdf(upo, upo), tmp_path)
    assert "5265877635-20250916-010040741B3E-46" in text.replace(" ", "") or "010040741B3E" in text
    assert "Strona 2 z 2" in text


def test_hostile_xml_refused() -> None:
    from fakturnik.errors import XmlSecurityError

    with pytest.raises(XmlSecurityError):
        invoice_html(
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Faktura>&e;</Faktura>'
        )


def test_issue_date_drives_kod1() -> None:
    xml = SAMPLES[0].read_bytes()
    html = invoice_html(xml, qr_base=QR)
    assert "/invoice/" in html and "OFFLINE" in html
    assert date.today()  # the label without a KSeF number is OFFLINE
