"""Helpers of the delegation tests: the simulator on its prod profile, KSeF certificates, parties.

On the prod profile only KSeF certificates authenticate (no self-signed ones, no tokens made by a
person), so the Ministry's part — issuing a KSeF certificate to a business or a person — is played
here by the simulator's own CA, exactly as its enrollment endpoint does it; everything after that
goes through Fakturnik.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fakturnik.simulator.ca import certificate_record, issue_certificate, serial_hex
from fakturnik.simulator.server import SimulatorServer
from tests.ksef.identities import ORGANIZATION_IDENTIFIER, random_nip

__all__ = ["KsefCertificate", "ksef_certificate", "random_nip", "random_pesel"]

_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


def random_pesel() -> str:
    """A valid PESEL of someone born in the 1980s."""
    year = 80 + secrets.randbelow(10)
    month = 1 + secrets.randbelow(12)
    day = 1 + secrets.randbelow(28)
    serial = secrets.randbelow(10000)
    digits = f"{year:02d}{month:02d}{day:02d}{serial:04d}"
    check = (10 - sum(int(d) * w for d, w in zip(digits, _PESEL_WEIGHTS, strict=True)) % 10) % 10
    return digits + str(check)


@dataclass(frozen=True)
class KsefCertificate:
    cert_pem: bytes
    key_pem: bytes
    serial: str
    fingerprint: str

    def __repr__(self) -> str:
        return f"KsefCertificate(serial={self.serial})"


def ksef_certificate(server: SimulatorServer, subject_type: str, value: str, name: str) -> KsefCertificate:
    """An Authentication KSeF certificate for a NIP (a company seal) or a PESEL (a person)."""
    sim = server.sim
    key = ec.generate_private_key(ec.SECP256R1())
    if subject_type == "Nip":
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{value}"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
    else:
        given, _, surname = name.partition(" ")
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
                x509.NameAttribute(NameOID.GIVEN_NAME, given),
                x509.NameAttribute(NameOID.SURNAME, surname or given),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, f"PNOPL-{value}"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    now = datetime.now(UTC)
    cert = issue_certificate(sim, csr, "Authentication", now - timedelta(minutes=5))
    record = certificate_record(
        cert,
        name=f"Certyfikat {name}",
        cert_type="Authentication",
        subject={"type": subject_type, "value": value},
        now=now,
        enrollment="test-" + secrets.token_hex(4),
    )
    sim.state.put("certificate", serial_hex(cert.serial_number), record)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return KsefCertificate(
        cert.public_bytes(serialization.Encoding.PEM),
        key_pem,
        serial_hex(cert.serial_number),
        cert.fingerprint(hashes.SHA256()).hex().upper(),
    )
