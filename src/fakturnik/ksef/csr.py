"""Certificate signing requests for KSeF certificates (digest §3.7), as pure functions.

KSeF issues ``Authentication`` and ``Offline`` certificates only "in own name": the CSR subject must
carry exactly the attributes of ``GET /certificates/enrollments/data`` (else 25003). Keys are EC P-256
(preferred, the default) or RSA 2048; the CSR goes to ``POST /certificates/enrollments`` as Base64
DER. Once issued, the certificate and the key are kept together as a password-protected PKCS#12.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from fakturnik.errors import KsefError
from fakturnik.ksef.credentials import CertificateCredential, PrivateKey, save_pkcs12
from fakturnik.ksef.crypto import b64, unb64
from fakturnik.ksef.x500 import DN_FIELDS, ORGANIZATION_IDENTIFIER, UNIQUE_IDENTIFIER, name_of

KeyAlgorithm = Literal["ec", "rsa"]
CertificateType = Literal["Authentication", "Offline"]

__all__ = [
    "DN_FIELDS",
    "ORGANIZATION_IDENTIFIER",
    "UNIQUE_IDENTIFIER",
    "CertificateRequest",
    "build_csr",
    "credential_from_issued",
    "enrollment_request",
    "generate_key",
    "save_pkcs12",
    "subject_from_enrollment_data",
]


def subject_from_enrollment_data(data: Mapping[str, Any]) -> x509.Name:
    """The DN exactly as KSeF gave it: every non-empty known field, in the order received."""
    name = name_of(data)
    if not name.get_attributes_for_oid(NameOID.COMMON_NAME):
        raise KsefError("Dane do wniosku certyfikacyjnego nie zawierają nazwy (commonName).")
    return name


def generate_key(algorithm: KeyAlgorithm = "ec") -> PrivateKey:
    """A fresh EC P-256 (default) or RSA 2048 private key, in memory only."""
    if algorithm == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise KsefError(f"Nieobsługiwany algorytm klucza {algorithm!r}; dozwolone: ec, rsa.")


@dataclass(frozen=True, repr=False)
class CertificateRequest:
    """A CSR with the private key it was made for (``repr`` never shows the key)."""

    private_key: PrivateKey
    csr: x509.CertificateSigningRequest

    @property
    def der(self) -> bytes:
        return self.csr.public_bytes(serialization.Encoding.DER)

    @property
    def b64(self) -> str:
        """The ``csr`` field of ``POST /certificates/enrollments``."""
        return b64(self.der)

    def __repr__(self) -> str:
        return f"CertificateRequest(subject={self.csr.subject.rfc4514_string()!r}, private_key=<redacted>)"


def build_csr(
    enrollment_data: Mapping[str, Any], *, algorithm: KeyAlgorithm = "ec", key: PrivateKey | None = None
) -> CertificateRequest:
    """A PKCS#10 request signed with SHA-256 for the DN of ``GET /certificates/enrollments/data``."""
    private_key = key if key is not None else generate_key(algorithm)
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        subject_from_enrollment_data(enrollment_data)
    )
    return CertificateRequest(private_key, builder.sign(private_key, hashes.SHA256()))


def enrollment_request(
    request: CertificateRequest,
    name: str,
    certificate_type: CertificateType = "Authentication",
    valid_from: datetime | None = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /certificates/enrollments``."""
    body: dict[str, Any] = {"certificateName": name, "certificateType": certificate_type, "csr": request.b64}
    if valid_from is not None:
        body["validFrom"] = valid_from.isoformat().replace("+00:00", "Z")
    return body


def credential_from_issued(request: CertificateRequest, certificate_b64: str) -> CertificateCredential:
    """Join the issued certificate (``certificate`` of ``POST /certificates/retrieve``) with its key."""
    cert = x509.load_der_x509_certificate(unb64(certificate_b64))
    return CertificateCredential(cert, request.private_key)


def save_as_pkcs12(credential: CertificateCredential, password: bytes, name: str = "KSeF") -> bytes:
    """The issued certificate with its key as PKCS#12 bytes, encrypted with ``password``."""
    return save_pkcs12(credential, password, name)
