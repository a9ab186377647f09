"""KSeF certificates over real HTTP: enrollment from a CSR, retrieval, query, revocation, and
authentication with the issued certificate on the prod profile (state kept across a restart)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from fakturnik.simulator.ca import name_from_enrollment_data
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from tests.simulator import xades_helpers as xh

NIP = "5265877635"


@pytest.fixture
def client(simulator: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=simulator.base_url, timeout=10) as c:
        yield c


def _code(r: httpx.Response) -> int:
    assert r.status_code == 400, r.text
    return int(r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"])


def _csr(data: dict[str, str], key: xh.PrivateKey) -> str:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name_from_enrollment_data(data))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(csr.public_bytes(serialization.Encoding.DER)).decode()


def enroll(
    client: httpx.Client, access: str, key: xh.PrivateKey, cert_type: str = "Authentication"
) -> dict[str, Any]:
    """Enroll, wait for the certificate, retrieve it; returns the retrieve item plus ``x509``."""
    auth = xh.bearer(access)
    data = client.get("/certificates/enrollments/data", headers=auth).json()
    body = {
        "certificateName": f"Certyfikat {cert_type}",
        "certificateType": cert_type,
        "csr": _csr(data, key),
    }
    r = client.post("/certificates/enrollments", json=body, headers=auth)
    assert r.status_code == 202, r.text
    status = client.get(f"/certificates/enrollments/{r.json()['referenceNumber']}", headers=auth).json()
    assert status["status"]["code"] == 200, status
    serial = status["certificateSerialNumber"]
    got = client.post(
        "/certificates/retrieve", json={"certificateSerialNumbers": [serial]}, headers=auth
    ).json()
    item: dict[str, Any] = got["certificates"][0]
    item["x509"] = x509.load_der_x509_certificate(base64.b64decode(item["certificate"]))
    return item


def test_enrollment_data_is_the_signing_certificate_subject(client: httpx.Client) -> None:
    ident = xh.person(NIP)
    access = xh.xades_login(client, ident, NIP)["tokens"]["accessToken"]["token"]
    data = client.get("/certificates/enrollments/data", headers=xh.bearer(access)).json()
    assert data == {
        "givenName": "Jan",
        "surname": "Kowalski",
        "serialNumber": f"TINPL-{NIP}",
        "commonName": "Jan Kowalski",
        "countryName": "PL",
    }
    limits = client.get("/certificates/limits", headers=xh.bearer(access)).json()
    assert (
        limits["canRequest"] is True and limits["certificate"]["remaining"] == limits["certificate"]["limit"]
    )


@pytest.mark.parametrize("cert_type", ["Authentication", "Offline"])
def test_enroll_issues_certificate_with_the_right_key_usage(
    client: httpx.Client, simulator: SimulatorServer, cert_type: str
) -> None:
    access = xh.xades_login(client, xh.person(NIP), NIP)["tokens"]["accessToken"]["token"]
    key = xh.new_key("ec")
    item = enroll(client, access, key, cert_type)
    cert: x509.Certificate = item["x509"]
    assert (
        item["certificateSerialNumber"] == f"{cert.serial_number:016X}"
        and len(item["certificateSerialNumber"]) == 16
    )
    assert cert.issuer == simulator.sim.keys.ca.certificate.subject
    cert.verify_directly_issued_by(simulator.sim.keys.ca.certificate)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature is (cert_type == "Authentication")
    assert usage.content_commitment is (cert_type == "Offline")
    q = client.post("/certificates/query", json={"type": cert_type}, headers=xh.bearer(access)).json()
    assert [c["certificateSerialNumber"] for c in q["certificates"]] == [item["certificateSerialNumber"]]
    assert q["certificates"][0]["subjectIdentifier"] == {"type": "Nip", "value": NIP}
    assert q["hasMore"] is False


def test_csr_checks(client: httpx.Client) -> None:
    access = xh.xades_login(client, xh.person(NIP), NIP)["tokens"]["accessToken"]["token"]
    auth = xh.bearer(access)
    data = client.get("/certificates/enrollments/data", headers=auth).json()

    def post(csr: str) -> httpx.Response:
        return client.post(
            "/certificates/enrollments",
            json={"certificateName": "Certyfikat testowy", "certificateType": "Authentication", "csr": csr},
            headers=auth,
        )

    assert _code(post(_csr({**data, "commonName": "Ktoś Inny"}, xh.new_key("ec")))) == 25003
    assert _code(post(_csr(data, rsa.generate_private_key(public_exponent=65537, key_size=3072)))) == 25010
    assert _code(post(_csr(data, ec.generate_private_key(ec.SECP384R1())))) == 25010
    assert _code(post(base64.b64encode(b"not a csr").decode())) == 25004
    bad_name = client.post(
        "/certificates/enrollments",
        json={
            "certificateName": "x!",
            "certificateType": "Authentication",
            "csr": _csr(data, xh.new_key("ec")),
        },
        headers=auth,
    )
    assert _code(bad_name) == 21405


def test_revoke_rules(client: httpx.Client) -> None:
    access = xh.xades_login(client, xh.person(NIP), NIP)["tokens"]["accessToken"]["token"]
    item = enroll(client, access, xh.new_key("ec"))
    serial = item["certificateSerialNumber"]
    auth = xh.bearer(access)
    r = client.post(
        f"/certificates/{serial}/revoke", json={"revocationReason": "KeyCompromise"}, headers=auth
    )
    assert r.status_code == 204
    assert _code(client.post(f"/certificates/{serial}/revoke", json={}, headers=auth)) == 25009
    assert _code(client.post("/certificates/0123456789ABCDEF/revoke", json={}, headers=auth)) == 25008
    q = client.post("/certificates/query", json={"status": "Revoked"}, headers=auth).json()
    assert [c["certificateSerialNumber"] for c in q["certificates"]] == [serial]


def test_ksef_certificate_works_on_prod_after_restart_and_fails_once_revoked(tmp_path: Path) -> None:
    data_dir = tmp_path / "sim"
    key = xh.new_key("ec")
    with (
        SimulatorServer(
            SimulatorConfig(profile="test", data_dir=data_dir, rate_limits_enabled=False)
        ) as test_sim,
        httpx.Client(base_url=test_sim.base_url, timeout=10) as c,
    ):
        access = xh.xades_login(c, xh.person(NIP), NIP)["tokens"]["accessToken"]["token"]
        auth_item = enroll(c, access, key)
        offline_key = xh.new_key("rsa")
        offline_item = enroll(c, access, offline_key, "Offline")
        token = c.post(
            "/tokens",
            json={"permissions": ["InvoiceRead"], "description": "Przetrwa restart"},
            headers=xh.bearer(access),
        ).json()["token"]
    ksef_cert = xh.Identity(auth_item["x509"], key)
    with (
        SimulatorServer(
            SimulatorConfig(profile="prod", data_dir=data_dir, rate_limits_enabled=False)
        ) as prod,
        httpx.Client(base_url=prod.base_url, timeout=10) as c,
    ):
        # state survived the restart: the KSeF token still authenticates
        assert xh.token_login(c, token, NIP)["status"]["status"]["code"] == 200
        # self-signed certificates are not trusted on prod
        assert xh.xades_login(c, xh.person(NIP), NIP)["status"]["status"]["code"] == 460
        out = xh.xades_login(c, ksef_cert, NIP)
        assert out["status"]["status"]["code"] == 200
        assert out["status"]["authenticationMethod"] == "InternalCertificate"
        offline = xh.xades_login(c, xh.Identity(offline_item["x509"], offline_key), NIP)
        assert offline["status"]["status"]["code"] == 460
        access = out["tokens"]["accessToken"]["token"]
        serial = auth_item["certificateSerialNumber"]
        q = c.post(
            "/certificates/query", json={"certificateSerialNumber": serial}, headers=xh.bearer(access)
        ).json()
        assert q["certificates"][0]["lastUseDate"]
        r = c.post(f"/certificates/{serial}/revoke", json={}, headers=xh.bearer(access))
        assert r.status_code == 204
        revoked = xh.xades_login(c, ksef_cert, NIP)
        assert revoked["status"]["status"] == {
            "code": 460,
            "description": "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu",
            "details": ["Certyfikat odwołany"],
        }


def test_token_session_cannot_enroll_or_revoke(client: httpx.Client) -> None:
    access = xh.xades_login(client, xh.person(NIP), NIP)["tokens"]["accessToken"]["token"]
    item = enroll(client, access, xh.new_key("ec"))
    token = client.post(
        "/tokens",
        json={"permissions": ["CredentialsManage"], "description": "Token do certyfikatów"},
        headers=xh.bearer(access),
    ).json()["token"]
    token_access = xh.token_login(client, token, NIP)["tokens"]["accessToken"]["token"]
    r = client.post(
        f"/certificates/{item['certificateSerialNumber']}/revoke", json={}, headers=xh.bearer(token_access)
    )
    assert r.status_code == 403
    enrollment = client.post(
        "/certificates/enrollments",
        json={"certificateName": "Certyfikat tokenowy", "certificateType": "Authentication", "csr": "AAAA"},
        headers=xh.bearer(token_access),
    )
    assert _code(enrollment) == 25002


def test_testdata_shortens_a_certificate_until_it_expires(client: httpx.Client) -> None:
    """PUT /testdata/certificates/{serialNumber} (API 2.7.0): validTo only earlier, then Expired,
    and an expired KSeF certificate no longer logs in (460 "Nieważny certyfikat")."""
    access = xh.xades_login(client, xh.person(NIP), NIP)["tokens"]["accessToken"]["token"]
    key = xh.new_key("ec")
    item = enroll(client, access, key)
    serial = item["certificateSerialNumber"]
    ksef_cert = xh.Identity(item["x509"], key)
    auth = xh.bearer(access)
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert (
        client.put(f"/testdata/certificates/{serial}", json={"validTo": soon}, headers=auth).status_code
        == 200
    )
    # shortened, but not yet expired: it still logs in (a renewal inside the margin works)
    assert xh.xades_login(client, ksef_cert, NIP)["status"]["status"]["code"] == 200
    later = (datetime.now(UTC) + timedelta(days=3650)).isoformat()
    r = client.put(f"/testdata/certificates/{serial}", json={"validTo": later}, headers=auth)
    assert _code(r) == 21405
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert (
        client.put(f"/testdata/certificates/{serial}", json={"validTo": past}, headers=auth).status_code
        == 200
    )
    q = client.post("/certificates/query", json={"status": "Expired"}, headers=auth).json()
    assert [c["certificateSerialNumber"] for c in q["certificates"]] == [serial]
    expired = xh.xades_login(client, ksef_cert, NIP)
    assert expired["status"]["status"] == {
        "code": 460,
        "description": "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu",
        "details": ["Nieważny certyfikat"],
    }
    other = xh.xades_login(client, xh.person("7010016442"), "7010016442")["tokens"]["accessToken"]["token"]
    r = client.put(f"/testdata/certificates/{serial}", json={"validTo": past}, headers=xh.bearer(other))
    assert _code(r) == 25008
