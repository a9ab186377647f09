"""KSeF certificates: CSR from the enrollment data (DN verbatim), EC/RSA keys, PKCS#12, and the whole
path enroll → wait → retrieve → authenticate with the enrolled certificate, against the simulator."""

from __future__ import annotations

import time
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from fakturnik.errors import KsefAuthError, KsefError
from fakturnik.ksef.auth import AuthManager
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.credentials import load_pkcs12
from fakturnik.ksef.crypto import unb64
from fakturnik.ksef.csr import (
    ORGANIZATION_IDENTIFIER,
    UNIQUE_IDENTIFIER,
    CertificateRequest,
    build_csr,
    credential_from_issued,
    enrollment_request,
    save_as_pkcs12,
    subject_from_enrollment_data,
)
from fakturnik.ksef.environments import local
from fakturnik.ksef.transport import Transport
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer
from tests.ksef.clientkit import StaticTokens
from tests.ksef.identities import person_credential, random_nip

PERSON = {
    "commonName": "Anna Nowak",
    "countryName": "PL",
    "givenName": "Anna",
    "surname": "Nowak",
    "serialNumber": "PNOPL-90010112345",
    "uniqueIdentifier": "KSeF-42",
}
SEAL = {
    "commonName": "Firma sp. z o.o.",
    "countryName": "PL",
    "organizationName": "Firma sp. z o.o.",
    "organizationIdentifier": "VATPL-5265877635",
    "givenName": None,
}


def test_dn_is_taken_verbatim_in_order() -> None:
    name = subject_from_enrollment_data(PERSON)
    assert [a.oid for a in name] == [
        NameOID.COMMON_NAME,
        NameOID.COUNTRY_NAME,
        NameOID.GIVEN_NAME,
        NameOID.SURNAME,
        NameOID.SERIAL_NUMBER,
        UNIQUE_IDENTIFIER,
    ]
    assert name.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "PNOPL-90010112345"
    seal = subject_from_enrollment_data(SEAL)
    assert seal.get_attributes_for_oid(ORGANIZATION_IDENTIFIER)[0].value == "VATPL-5265877635"
    assert not seal.get_attributes_for_oid(NameOID.GIVEN_NAME)  # empty fields are left out
    with pytest.raises(KsefError):
        subject_from_enrollment_data({"countryName": "PL"})


def test_csr_ec_by_default_rsa_on_request() -> None:
    request = build_csr(SEAL)
    assert isinstance(request.private_key, ec.EllipticCurvePrivateKey)
    assert request.private_key.curve.name == "secp256r1"
    csr = x509.load_der_x509_csr(unb64(request.b64))
    assert csr.is_signature_valid and csr.subject == subject_from_enrollment_data(SEAL)
    rsa_request = build_csr(PERSON, algorithm="rsa")
    assert isinstance(rsa_request.private_key, rsa.RSAPrivateKey) and rsa_request.private_key.key_size == 2048
    assert "redacted" in repr(rsa_request) and "PRIVATE" not in repr(rsa_request)


@pytest.mark.parametrize("kind", ["Authentication", "Offline"])
def test_enrollment_body(kind: Any) -> None:
    request = build_csr(SEAL)
    body = enrollment_request(request, "Fakturnik serwer", kind)
    assert body == {"certificateName": "Fakturnik serwer", "certificateType": kind, "csr": request.b64}


def _enroll(api: Transport, request: CertificateRequest, name: str, kind: str = "Authentication") -> str:
    """Enroll, wait for the certificate, return it as Base64 DER (plain HTTP: the client wraps this)."""
    ref = api.request("POST", "/certificates/enrollments", json=enrollment_request(request, name, kind))
    reference = ref.json()["referenceNumber"]
    deadline = time.monotonic() + 30
    while True:
        status = api.request("GET", f"/certificates/enrollments/{reference}").json()
        if status["status"]["code"] == 200:
            break
        assert status["status"]["code"] == 100, status
        assert time.monotonic() < deadline
        time.sleep(0.2)
    serial = status["certificateSerialNumber"]
    body = api.request("POST", "/certificates/retrieve", json={"certificateSerialNumbers": [serial]}).json()
    certificate: str = body["certificates"][0]["certificate"]
    return certificate


@pytest.mark.parametrize("algorithm", ["ec", "rsa"])
def test_enroll_then_authenticate_with_the_ksef_certificate(
    simulator: SimulatorServer, algorithm: Any
) -> None:
    """First login with a (self-signed TEST) certificate, enroll a KSeF certificate, log in with it."""
    transport = Transport(local(simulator.root_url))
    nip = random_nip()
    context = ContextIdentifier.nip(nip)
    first = AuthManager.with_certificate(transport, context, person_credential(nip, "rsa"))
    data = first.api.request("GET", "/certificates/enrollments/data").json()
    request = build_csr(data, algorithm=algorithm)
    issued = credential_from_issued(request, _enroll(first.api, request, "Fakturnik serwer"))
    assert issued.certificate.subject == subject_from_enrollment_data(data)

    p12 = save_as_pkcs12(issued, b"haslo-do-p12", name="Fakturnik")
    with pytest.raises(KsefAuthError):
        load_pkcs12(p12, b"zle-haslo")
    reloaded = load_pkcs12(p12, b"haslo-do-p12")
    assert reloaded.fingerprint == issued.fingerprint

    second = AuthManager.with_certificate(transport, context, reloaded)
    assert second.api.request("GET", "/rate-limits").status_code == 200
    assert second.reference_number != first.reference_number
    transport.close()


def test_demo_profile_accepts_only_the_enrolled_certificate(simulator_factory: Any) -> None:
    """On DEMO/PRD only KSeF-issued (or qualified) certificates work: self-signed fails, enrolled works."""
    server: SimulatorServer = simulator_factory(SimulatorConfig(profile="demo", rate_limits_enabled=False))
    transport = Transport(local(server.root_url))
    nip = random_nip()
    context = ContextIdentifier.nip(nip)
    with pytest.raises(KsefError):
        AuthManager.with_certificate(transport, context, person_credential(nip)).login()
    minted = mint_session(
        server.sim, context_type="Nip", context_value=nip, subject_type="Nip", subject_value=nip
    )
    api = transport.with_tokens(StaticTokens(minted["accessToken"], context_key=context.key))
    data = api.request("GET", "/certificates/enrollments/data").json()
    request = build_csr(data)
    issued = credential_from_issued(request, _enroll(api, request, "Serwer fakturowania"))
    manager = AuthManager.with_certificate(transport, context, issued)
    assert manager.api.request("GET", "/rate-limits").status_code == 200
    transport.close()


def test_first_login_without_a_portal_then_unattended(simulator: SimulatorServer) -> None:
    """The whole story: unsigned request → signed elsewhere → login → KSeF certificate → PKCS#12 →
    a new process logs in on its own with nothing but that file and its password."""
    from fakturnik.ksef.auth import finish_with_signed_request, prepare_signed_request
    from fakturnik.ksef.xades import sign_auth_request

    transport = Transport(local(simulator.root_url))
    nip = random_nip()
    context = ContextIdentifier.nip(nip)
    unsigned = prepare_signed_request(transport, context)
    signed = sign_auth_request(unsigned, person_credential(nip, "rsa"))  # the person's own signature
    first = finish_with_signed_request(transport, signed)
    data = first.api.request("GET", "/certificates/enrollments/data").json()
    request = build_csr(data)
    p12 = save_as_pkcs12(
        credential_from_issued(request, _enroll(first.api, request, "Fakturnik")), b"p12-pass"
    )
    first.logout()
    transport.close()

    later = Transport(local(simulator.root_url))
    manager = AuthManager.with_certificate(later, context, load_pkcs12(p12, b"p12-pass"))
    assert manager.api.request("GET", "/rate-limits").status_code == 200
    later.close()
