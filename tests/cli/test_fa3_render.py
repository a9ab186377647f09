"""``fakturnik fa3 pdf`` and ``fakturnik fa3 html`` on a sample invoice: the files hold what it says."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
)
from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.ksef.verification_links import CertificateLink, parse_link
from fakturnik.visual.document import read_invoice
from tests.conftest import SAMPLES_DIR
from tests.visual.certs import make_certificate, make_key

KSEF_NUMBER = "5265877635-20250916-010040741B3E-46"
SAMPLE = sorted(SAMPLES_DIR.glob("*.xml"))[0]
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
needs_zbar = pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbar-tools not installed")


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    return "".join(out.split())


def _codes(pdf: Path, tmp_path: Path) -> set[str]:
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(tmp_path / "page")], check=True)
    found: set[str] = set()
    for png in sorted(tmp_path.glob("page*.png")):
        out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True).stdout
        found.update(line for line in out.splitlines() if line)
    return found


@needs_poppler
def test_fa3_pdf_writes_the_invoice_with_its_ksef_number(tmp_path: Path) -> None:
    out = tmp_path / "faktura.pdf"
    result = CliRunner().invoke(
        app, ["fa3", "pdf", str(SAMPLE), "-o", str(out), "--ksef-number", KSEF_NUMBER]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{out}: {out.stat().st_size} B"
    assert out.read_bytes().startswith(b"%PDF-")
    text = _text(out)
    doc = read_invoice(SAMPLE.read_bytes())
    assert KSEF_NUMBER in text and "".join(doc.number.split()) in text
    assert "OFFLINE" not in text


def test_fa3_html_writes_a_standalone_page(tmp_path: Path) -> None:
    out = tmp_path / "faktura.html"
    result = CliRunner().invoke(
        app, ["fa3", "html", str(SAMPLE), "--output", str(out), "--ksef-number", KSEF_NUMBER, "--env", "prod"]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    assert page.lstrip().lower().startswith("<!doctype html") and "<svg" in page
    assert KSEF_NUMBER in page and "https://qr.ksef.mf.gov.pl" in page


@needs_poppler
@needs_zbar
def test_fa3_pdf_offline_carries_both_codes_signed_with_the_given_key(tmp_path: Path) -> None:
    key = make_key("ec")
    cert, key_file = tmp_path / "offline.pem", tmp_path / "offline.key"
    cert.write_bytes(make_certificate(key).public_bytes(Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"tajne-haslo"))
    )
    out = tmp_path / "offline.pdf"
    args = ["fa3", "pdf", str(SAMPLE), "-o", str(out), "--offline", "--offline-cert", str(cert)]
    args += ["--offline-key", str(key_file), "--key-password-env", "HASLO_KLUCZA"]
    result = CliRunner().invoke(app, args, env={"HASLO_KLUCZA": "tajne-haslo"})
    assert result.exit_code == 0, result.output
    assert "OFFLINE" in _text(out)
    links = [parse_link(code) for code in _codes(out, tmp_path)]
    assert len(links) == 2
    assert any(isinstance(link, CertificateLink) and link.matches(SAMPLE.read_bytes()) for link in links)


def test_fa3_pdf_offline_without_a_certificate_and_a_missing_file_are_polish_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "x.pdf"
    offline = runner.invoke(app, ["fa3", "pdf", str(SAMPLE), "-o", str(out), "--offline"])
    assert offline.exit_code == 1 and "wymaga --offline-cert i --offline-key" in offline.output
    missing = runner.invoke(app, ["fa3", "html", str(tmp_path / "brak.xml"), "-o", str(out)])
    assert missing.exit_code == 1 and "Nie można odczytać pliku" in missing.output
    assert not out.exists()
    assert "Traceback" not in offline.output + missing.output
