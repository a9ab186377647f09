"""The third-party SDK ``ksef-client`` authenticates against the simulator (XAdES and KSeF token).

Its XAdES signer (python-xmlsec, XAdES-BES with SignedProperties) is independent of signxml, which
the simulator verifies with; its token encryption is independent of ``fakturnik.ksef.crypto``.
"""

from __future__ import annotations

import httpx
import pytest

from fakturnik.simulator.server import SimulatorServer
from tests.simulator import xades_helpers as xh

pytest.importorskip("ksef_client")

NIP = "5265877635"


def test_ksef_client_token_auth(simulator: SimulatorServer) -> None:
    from ksef_client import KsefClient, KsefClientOptions
    from ksef_client.openapi_models import GenerateTokenRequest, TokenPermissionType
    from ksef_client.services.workflows import AuthCoordinator

    with httpx.Client(base_url=simulator.base_url, timeout=10) as c:
        access = xh.xades_login(c, xh.person(NIP), NIP)["tokens"]["accessToken"]["token"]
    kc = KsefClient(KsefClientOptions(base_url=simulator.base_url))
    try:
        created = kc.tokens.generate_token(
            GenerateTokenRequest(
                description="Token z ksef-client", permissions=[TokenPermissionType("InvoiceRead")]
            ),
            access_token=access,
        )
        item = next(
            x for x in kc.security.get_public_key_certificates() if "KsefTokenEncryption" in str(x.usage)
        )
        result = AuthCoordinator(kc.auth).authenticate_with_ksef_token(
            token=created.token,
            public_certificate=item.certificate,
            public_key_id=item.public_key_id,
            context_identifier_type="nip",
            context_identifier_value=NIP,
            poll_interval_seconds=0.05,
        )
        assert result.access_token
    finally:
        kc.close()


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_ksef_client_xades_auth_with_self_signed_certificate(simulator: SimulatorServer, kind: str) -> None:
    pytest.importorskip("xmlsec", reason="ksef-client signs with python-xmlsec: pip install xmlsec")
    from ksef_client import KsefClient, KsefClientOptions
    from ksef_client.services.workflows import AuthCoordinator
    from ksef_client.services.xades import XadesKeyPair

    ident = xh.person(NIP, kind)
    pair = XadesKeyPair(certificate_pem=ident.cert_pem.decode(), private_key_pem=ident.key_pem.decode())
    kc = KsefClient(KsefClientOptions(base_url=simulator.base_url))
    try:
        result = AuthCoordinator(kc.auth).authenticate_with_xades_key_pair(
            key_pair=pair,
            context_identifier_type="nip",
            context_identifier_value=NIP,
            subject_identifier_type="certificateSubject",
            poll_interval_seconds=0.05,
        )
        assert result.access_token and result.refresh_token
    finally:
        kc.close()


def test_ksef_client_enrolls_a_certificate_from_its_own_csr(simulator: SimulatorServer) -> None:
    """ksef-client builds the CSR from the enrollment data itself; the simulator CA must accept it."""
    import base64

    from cryptography import x509
    from ksef_client import KsefClient, KsefClientOptions
    from ksef_client.openapi_models import (
        EnrollCertificateRequest,
        KsefCertificateType,
        RetrieveCertificatesRequest,
    )
    from ksef_client.services.csr import generate_csr_ec

    with httpx.Client(base_url=simulator.base_url, timeout=10) as c:
        access = xh.xades_login(c, xh.seal(NIP), NIP)["tokens"]["accessToken"]["token"]
    kc = KsefClient(KsefClientOptions(base_url=simulator.base_url))
    try:
        data = kc.certificates.get_enrollment_data(access).to_dict()
        csr = generate_csr_ec(data)
        enrolled = kc.certificates.send_enrollment(
            EnrollCertificateRequest(
                certificate_name="Certyfikat z ksef-client",
                certificate_type=KsefCertificateType.AUTHENTICATION,
                csr=csr.csr_base64,
            ),
            access_token=access,
        )
        status = kc.certificates.get_enrollment_status(enrolled.reference_number, access_token=access)
        assert status.status.code == 200 and status.certificate_serial_number
        got = kc.certificates.retrieve_certificate(
            RetrieveCertificatesRequest(certificate_serial_numbers=[status.certificate_serial_number]),
            access_token=access,
        )
        cert = x509.load_der_x509_certificate(base64.b64decode(got.certificates[0].certificate))
        cert.verify_directly_issued_by(simulator.sim.keys.ca.certificate)
    finally:
        kc.close()
