"""The simulator answers KOD II links over real HTTP: valid, revoked, Authentication, forged."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from fakturnik.simulator.ca import certificate_record, issue_certificate
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from fakturnik.visual.links import certificate_link, invoice_link

NIP = "1111111111"


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as srv:
        yield srv


def _ksef_cert(srv, key, cert_type: str):  # type: ignore[no-untyped-def]
    sim = srv.sim
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "Jan"),
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
                ]
            )
        )
        .sign(key, hashes.SHA256())
    )
    cert = issue_certificate(sim, csr, cert_type, sim.now() - timedelta(minutes=1))
    record = certificate_record(
        cert,
        name="t",
        cert_type=cert_type,
        subject={"type": "Nip", "value": NIP},
        now=sim.now(),
        enrollment="x",
    )
    sim.state.put("certificate", record["certificateSerialNumber"], record)
    return cert, record


def _check(srv, cert, key, declared: str = "Offline") -> httpx.Response:  # type: ignore[no-untyped-def]
    link = certificate_link(
        srv.root_url + "/qr",
        context_type="Nip",
        context_value=NIP,
        seller_nip=NIP,
        certificate=cert,
        private_key=key,
        xml_or_hash=b"<Faktura/>",
        declared_type=declared,
    )
    return httpx.get(link.url, headers={"Accept": "application/json"})


@pytest.mark.parametrize(
    "make_key",
    [lambda: rsa.generate_private_key(65537, 2048), lambda: ec.generate_private_key(ec.SECP256R1())],
    ids=["rsa", "ec"],
)
def test_offline_certificate_signature_valid(server, make_key) -> None:  # type: ignore[no-untyped-def]
    key = make_key()
    cert, _ = _ksef_cert(server, key, "Offline")
    r = _check(server, cert, key)
    assert r.status_code == 200, r.text
    assert r.json()["valid"] and r.json()["signatureValid"]
    page = httpx.get(str(r.url))
    assert "Wystawca potwierdzony" in page.text


def test_revoked_certificate_reported(server) -> None:  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    cert, record = _ksef_cert(server, key, "Offline")
    record["status"] = "Revoked"
    server.sim.state.put("certificate", record["certificateSerialNumber"], record)
    r = _check(server, cert, key)
    assert r.status_code == 422 and not r.json()["valid"] and "Revoked" in r.json()["message"]


def test_authentication_certificate_is_not_valid_for_kod2(server) -> None:  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    cert, _ = _ksef_cert(server, key, "Authentication")
    r = _check(server, cert, key, declared="Offline")  # a signer that lies about the type
    assert r.status_code == 422 and "Offline" in r.json()["message"]


def test_forged_signature_refused(server) -> None:  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    cert, _ = _ksef_cert(server, key, "Offline")
    link = certificate_link(
        server.root_url + "/qr",
        context_type="Nip",
        context_value=NIP,
        seller_nip=NIP,
        certificate=cert,
        private_key=key,
        xml_or_hash=b"<Faktura/>",
    )
    forged = link.url.rsplit("/", 1)[0] + "/" + "A" * 86
    r = httpx.get(forged, headers={"Accept": "application/json"})
    assert r.status_code == 422 and r.json()["signatureValid"] is False


def test_unknown_invoice_not_found(server) -> None:  # type: ignore[no-untyped-def]
    link = invoice_link(server.root_url + "/qr", NIP, date(2026, 2, 1), b"<nothing/>")
    r = httpx.get(link.url, headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json()["found"] is False
