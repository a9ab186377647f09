"""An offline invoice end to end: outage → issued offline → PDF with KOD I (OFFLINE) and KOD II
(CERTYFIKAT) → the simulator's /certificate/ page says valid → recovery → accepted → the new PDF
shows the KSeF number under KOD I and has no KOD II."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fakturnik.base.warsaw import warsaw_today
from fakturnik.engine.companies import OFFLINE_CERTIFICATE, set_certificate
from fakturnik.engine.documents import invoice_pdf
from fakturnik.engine.issuing import issue
from fakturnik.engine.worker import Worker
from fakturnik.errors import EngineError
from fakturnik.simulator.ca import certificate_record, issue_certificate
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from fakturnik.vault import Secret
from tests.engine.helpers import NIP, engine, fast_settings, faults, sample_invoice
from tests.visual.test_render import pdf_text, qr_codes


def _offline_certificate(server: SimulatorServer) -> tuple[bytes, bytes]:
    """A KSeF Offline certificate for the company, issued by the simulator's CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Elektrownia")]))
        .sign(key, hashes.SHA256())
    )
    sim = server.sim
    cert = issue_certificate(sim, csr, "Offline", sim.now() - timedelta(minutes=1))
    record = certificate_record(
        cert,
        name="offline",
        cert_type="Offline",
        subject={"type": "Nip", "value": NIP},
        now=sim.now(),
        enrollment="e2e",
    )
    sim.state.put("certificate", record["certificateSerialNumber"], record)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _run_for(worker: Worker, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if worker.tick() == 0:
            time.sleep(0.1)


@pytest.mark.slow
def test_offline_invoice_codes_through_engine_and_simulator(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator, settings=fast_settings(outage_threshold=2, http_timeout=2.0))
    worker = Worker(ctx, worker_id="visual-e2e")
    faults(simulator, outageSeconds=8)
    issue(ctx, company_nip=NIP, xml=sample_invoice())  # discovers the outage
    end = time.monotonic() + 8
    outage = None
    while outage is None and time.monotonic() < end:
        _run_for(worker, 0.3)
        with ctx.db.transaction() as s:
            outage = repo.open_outage(s, simulator.base_url)
    assert outage is not None
    issued = issue(ctx, company_nip=NIP, xml=sample_invoice(issue_date=warsaw_today()))
    assert issued.status == states.OFFLINE

    with pytest.raises(EngineError, match="Offline"):
        invoice_pdf(ctx, issued.invoice_id)  # no Offline certificate yet: no lawful offline PDF
    cert_pem, key_pem = _offline_certificate(simulator)
    set_certificate(ctx, NIP, cert_pem, Secret(key_pem), kind=OFFLINE_CERTIFICATE)

    offline_pdf = invoice_pdf(ctx, issued.invoice_id)
    text = pdf_text(offline_pdf, tmp_path)
    assert "OFFLINE" in text and "CERTYFIKAT" in text, text
    (tmp_path / "a").mkdir()
    codes = qr_codes(offline_pdf, tmp_path / "a")
    kod1 = next(c for c in codes if "/qr/invoice/" in c)
    kod2 = next(c for c in codes if "/qr/certificate/" in c)
    assert kod1.startswith(simulator.root_url + "/qr/invoice/" + NIP)
    answer = httpx.get(kod2, headers={"Accept": "application/json"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["valid"], answer.text

    worker.run(once=True, idle_sleep=0.2, max_seconds=60)  # recovery: sent with offlineMode=true
    with ctx.db.transaction() as s:
        inv = s.get(__import__("fakturnik.store.models", fromlist=["Invoice"]).Invoice, issued.invoice_id)
        assert inv is not None and inv.status == states.ACCEPTED
        ksef_number = inv.ksef_number
    assert ksef_number
    found = httpx.get(kod1, headers={"Accept": "application/json"}, timeout=10).json()
    assert found["valid"] and found["ksefNumber"] == ksef_number

    reprint = invoice_pdf(ctx, issued.invoice_id)
    text = pdf_text(reprint, tmp_path)
    assert ksef_number.replace("-", "") in text.replace("-", "").replace(" ", "")
    assert "CERTYFIKAT" not in text
    (tmp_path / "b").mkdir()
    assert qr_codes(reprint, tmp_path / "b") == {kod1}  # same KOD I, now labelled with the number
