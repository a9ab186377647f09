"""What the application writes down of a KSeF certificate: its serial as KSeF lists it, and the
summary a company's profile keeps of the certificate it logs in with."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509

    from fakturnik.ksef.credentials import CertificateCredential

__all__ = ["credential_info", "ksef_serial"]


def ksef_serial(cert: x509.Certificate) -> str:
    """The serial number as KSeF writes it: 16 upper-case hex digits (more where the number is longer)."""
    return format(cert.serial_number, "016X")


def credential_info(credential: CertificateCredential) -> dict[str, str]:
    """The profile's summary of a login certificate: subject, serial, expiry, SHA-256 fingerprint."""
    cert = credential.certificate
    return {
        "subject": cert.subject.rfc4514_string(),
        "serial": ksef_serial(cert),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "fingerprint": credential.fingerprint,
    }
