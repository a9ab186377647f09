"""A KSeF certificate's serial as KSeF lists it (16 hex digits) and the profile's summary of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fakturnik.app.certificate_info import credential_info, ksef_serial
from fakturnik.ksef.credentials import CertificateCredential
from tests.ksef.identities import self_signed_between


def _certificate(serial: int) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Jan Kowalski")])
    now = datetime.now(UTC)
    cert = self_signed_between(name, key, now - timedelta(days=1), now + timedelta(days=30), serial=serial)
    return cert, key


def test_a_serial_is_sixteen_upper_case_hex_digits_with_its_leading_zeros() -> None:
    cert, _ = _certificate(0x1A2B)
    assert ksef_serial(cert) == "0000000000001A2B"


def test_a_longer_serial_is_written_whole() -> None:
    serial = 0x0123456789ABCDEF0123
    cert, _ = _certificate(serial)
    assert ksef_serial(cert) == "123456789ABCDEF0123"
    assert int(ksef_serial(cert), 16) == serial


def test_the_profile_summary_names_subject_serial_expiry_and_fingerprint() -> None:
    cert, key = _certificate(0xABC)
    credential = CertificateCredential(cert, key)
    info = credential_info(credential)
    assert info == {
        "subject": "CN=Jan Kowalski",
        "serial": "0000000000000ABC",
        "not_after": cert.not_valid_after_utc.isoformat(),
        "fingerprint": credential.fingerprint,
    }
    assert len(info["fingerprint"]) == 64
