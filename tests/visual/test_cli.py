"""The visual CLI commands: PDF/HTML, KOD I/II links and their verification, UPO PDF."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from typer.testing import CliRunner

from fakturnik.cli import app
from tests.visual.conftest import make_cert

SHARED = Path(os.environ.get("FAKTURNIK_SHARED_DIR", "/work/shared"))
INVOICE = SHARED / "fa3-samples" / "ksef2__FA_3_Przyklad_1.xml"
runner = CliRunner()


def test_pdf_and_html(tmp_path: Path) -> None:
    r = runner.invoke(app, ["fa3", "pdf", str(INVOICE), "-o", str(tmp_path / "f.pdf"), "--env", "test"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    r = runner.invoke(app, ["fa3", "html", str(INVOICE), "-o", str(tmp_path / "f.html")])
    assert r.exit_code == 0 and "qr.ksef.mf.gov.pl/invoice/" in (tmp_path / "f.html").read_text()


def test_kod2_link_and_verify(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (tmp_path / "c.pem").write_bytes(make_cert(key).public_bytes(serialization.Encoding.PEM))
    r = runner.invoke(
        app,
        [
            "qr",
            "link",
            str(INVOICE),
            "--cert",
            str(tmp_path / "c.pem"),
            "--key",
            str(tmp_path / "k.pem"),
            "--svg",
            str(tmp_path / "q.svg"),
        ],
    )
    assert r.exit_code == 0, r.output
    kod1, kod2 = r.output.split()
    assert "/certificate/Nip/" in kod2 and (tmp_path / "q-kod2.svg").exists()
    r = runner.invoke(
        app, ["qr", "verify", kod2, "--invoice", str(INVOICE), "--cert", str(tmp_path / "c.pem")]
    )
    assert r.exit_code == 0 and "Podpis KODU II prawidłowy" in r.output
    r = runner.invoke(app, ["qr", "verify", kod1[:-3] + "AAA", "--invoice", str(INVOICE)])
    assert r.exit_code == 1


def test_upo_pdf(tmp_path: Path) -> None:
    upo = SHARED / "ksef/faktury/upo/przyklady/v4-3/kontekst-nip/upo-faktura-kontekst-id-nip.xml"
    r = runner.invoke(app, ["ksef", "upo-pdf", str(upo), "-o", str(tmp_path / "u.pdf")])
    assert r.exit_code == 0 and (tmp_path / "u.pdf").stat().st_size > 1000
