"""Test identities for the KSeF client tests: self-signed certificates generated at test time.

Nothing here is written to disk; keys live in memory only. The simulator's ``test`` profile accepts
self-signed certificates whose subject carries ``serialNumber=TINPL-<nip>`` (a person acting for a
NIP) or ``organizationIdentifier=VATPL-<nip>`` (a company seal), like the Ministry's TEST host.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from fakturnik.ksef.credentials import CertificateCredential, PrivateKey

ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")
_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def random_nip() -> str:
    """A random NIP with a valid checksum that also matches KSeF's pattern (digits 2-3 not both 0)."""
    while True:
        digits = [secrets.randbelow(9) + 1] + [secrets.randbelow(10) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True)) % 11
        if check < 10 and (digits[1], digits[2]) != (0, 0):
            return "".join(map(str, digits)) + str(check)


def new_key(kind: str = "rsa") -> PrivateKey:
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _self_signed_builder(
    name: x509.Name, key: PrivateKey, not_before: datetime, not_after: datetime, serial: int | None
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number() if serial is None else serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )


def self_signed_between(
    name: x509.Name, key: PrivateKey, not_before: datetime, not_after: datetime, *, serial: int | None = None
) -> x509.Certificate:
    """A self-signed certificate valid from ``not_before`` to ``not_after`` (a random serial unless given)."""
    return _self_signed_builder(name, key, not_before, not_after, serial).sign(key, hashes.SHA256())


def self_signed(name: x509.Name, key: PrivateKey, days: int = 30, *, ca: bool = False) -> x509.Certificate:
    """A self-signed certificate; with ``ca`` one that may sign certificates (a test trust service)."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    builder = _self_signed_builder(name, key, now, now + timedelta(days=days), None)
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    return builder.sign(key, hashes.SHA256())


def person_credential(
    nip: str, kind: str = "rsa", given: str = "Jan", surname: str = "Kowalski"
) -> CertificateCredential:
    key = new_key(kind)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.GIVEN_NAME, given),
            x509.NameAttribute(NameOID.SURNAME, surname),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"TINPL-{nip}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{given} {surname}"),
        ]
    )
    return CertificateCredential(self_signed(name, key), key)


def seal_credential(
    nip: str, kind: str = "ec", organization: str = "Firma Testowa sp. z o.o."
) -> CertificateCredential:
    key = new_key(kind)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"),
            x509.NameAttribute(NameOID.COMMON_NAME, organization),
        ]
    )
    return CertificateCredential(self_signed(name, key), key)
