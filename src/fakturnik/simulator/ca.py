"""The simulator's KSeF certificate authority: CSR checks, issuing, trust decisions (digest §3.7).

``certificate`` documents (key: serial number, 16 uppercase hex)::

    {"certificateSerialNumber", "name", "type" (Authentication | Offline), "commonName", "status"
     (Active | Blocked | Revoked | Expired), "subjectIdentifier": {type, value}, "subjectDn": {...},
     "validFrom", "validTo", "requestDate", "lastUseDate", "certificate" (b64 DER),
     "revocationReason", "revocationDate", "enrollmentReference"}

``enrollment`` documents (key: EH reference number)::

    {"referenceNumber", "requestDate", "status": {code, description, details?},
     "certificateSerialNumber", "subjectIdentifier": {type, value}}
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import SignatureAlgorithmOID

from fakturnik.ksef.crypto import b64, certificate_serial, serial_hex
from fakturnik.ksef.x500 import name_of
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.xades_verify import subject_dn

CERTIFICATE_VALIDITY = timedelta(days=730)
CERTIFICATE_TYPES = ("Authentication", "Offline")

_CSR_SIGNATURE_ALGORITHMS = frozenset(
    {
        SignatureAlgorithmOID.RSA_WITH_SHA1,
        SignatureAlgorithmOID.RSA_WITH_SHA256,
        SignatureAlgorithmOID.RSA_WITH_SHA384,
        SignatureAlgorithmOID.RSA_WITH_SHA512,
        SignatureAlgorithmOID.RSASSA_PSS,
        SignatureAlgorithmOID.ECDSA_WITH_SHA1,
        SignatureAlgorithmOID.ECDSA_WITH_SHA256,
        SignatureAlgorithmOID.ECDSA_WITH_SHA384,
        SignatureAlgorithmOID.ECDSA_WITH_SHA512,
    }
)


@dataclass(frozen=True)
class Trust:
    """Outcome of the certificate trust check: ``failure`` is a 460 detail, ``record`` a KSeF cert."""

    failure: str | None
    record: dict[str, Any] | None = None


def issued_by_simulator(sim: Simulator, cert: x509.Certificate) -> bool:
    """True when the simulator's CA really signed ``cert`` (not just a matching issuer name)."""
    ca_cert = sim.keys.ca.certificate
    if cert.issuer != ca_cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def certificate_trust(sim: Simulator, cert: x509.Certificate, *, verify_chain: bool) -> Trust:
    """Is this signing certificate acceptable for XAdES auth on the simulator's profile?

    KSeF certificates (issued by the simulator's CA) are checked against their record: revoked or
    blocked ones fail, so does one whose ``validTo`` has passed — also when only the record says so,
    after ``PUT /testdata/certificates/{serial}`` shortened it ("Nieważny certyfikat", as KSeF's
    auth status 460 lists it) — and Offline ones cannot authenticate. A certificate issued by one of the
    configured ``trusted_signers`` (the stand-in for the qualified trust list) is accepted on every
    profile. Other certificates are accepted only on the ``test`` profile and only without
    ``verifyCertificateChain`` (digest §1, §14.2).
    """
    if issued_by_simulator(sim, cert):
        record = sim.state.get("certificate", certificate_serial(cert))
        if record is None:
            return Trust("Niepoprawny certyfikat")
        if record["status"] == "Revoked":
            return Trust("Certyfikat odwołany", record)
        if record["status"] == "Blocked":
            return Trust("Certyfikat zawieszony", record)
        if effective_status(record, sim.now()) == "Expired":
            return Trust("Nieważny certyfikat", record)
        if record["type"] != "Authentication":
            return Trust("Niepoprawny certyfikat", record)
        return Trust(None, record)
    if _issued_by_trusted_signer(sim, cert):  # a qualified signature or seal (the trust list)
        return Trust(None)
    if sim.config.profile == "test" and not verify_chain:
        return Trust(None)
    return Trust("Niezaufany łańcuch certyfikatów")


def _issued_by_trusted_signer(sim: Simulator, cert: x509.Certificate) -> bool:
    for pem in sim.config.trusted_signers:
        root = x509.load_pem_x509_certificate(pem)
        if cert.issuer != root.subject:
            continue
        try:
            cert.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


def mark_used(sim: Simulator, record: dict[str, Any]) -> None:
    record["lastUseDate"] = sim.now().isoformat()
    sim.state.put("certificate", record["certificateSerialNumber"], record)


# -- CSR -------------------------------------------------------------------------------------------


def load_csr(der: bytes) -> x509.CertificateSigningRequest:
    """Parse a DER PKCS#10 request and check its signature (25004), algorithm (25011), key (25010)."""
    try:
        csr = x509.load_der_x509_csr(der)
    except ValueError as exc:
        raise ApiError(25004, "Niepoprawny format CSR.") from exc
    if csr.signature_algorithm_oid not in _CSR_SIGNATURE_ALGORITHMS:
        raise ApiError(
            25011, f"Algorytm podpisu CSR {csr.signature_algorithm_oid.dotted_string} jest niedozwolony."
        )
    try:
        valid = csr.is_signature_valid
    except Exception as exc:
        raise ApiError(25004, "Niepoprawny podpis CSR.") from exc
    if not valid:
        raise ApiError(25004, "Niepoprawny podpis CSR.")
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size != 2048:
            raise ApiError(25010, f"Klucz RSA musi mieć 2048 bitów (ma {key.key_size}).")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ApiError(25010, f"Dozwolona jest tylko krzywa P-256 (jest {key.curve.name}).")
    else:
        raise ApiError(25010, "Dozwolone są klucze RSA 2048 i EC P-256.")
    return csr


def check_dn(csr: x509.CertificateSigningRequest, expected: dict[str, str]) -> None:
    """The CSR subject must carry exactly the enrollment data attributes (25003)."""
    got: set[tuple[str, str]] = set()
    for attr in csr.subject:
        value = attr.value if isinstance(attr.value, str) else attr.value.decode("utf-8", "replace")
        got.add((attr.oid.dotted_string, value))
    want = {(attr.oid.dotted_string, attr.value) for attr in name_of(expected)}
    if got != want:
        raise ApiError(25003, "Dane w CSR nie zgadzają się z danymi z /certificates/enrollments/data.")


def name_from_enrollment_data(data: dict[str, str]) -> x509.Name:
    """The X.509 subject a CSR needs, built from ``/certificates/enrollments/data`` (a helper for tests)."""
    return name_of(data)


def _key_usage(cert_type: str) -> x509.KeyUsage:
    auth = cert_type == "Authentication"
    return x509.KeyUsage(
        digital_signature=auth,
        content_commitment=not auth,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def issue_certificate(
    sim: Simulator, csr: x509.CertificateSigningRequest, cert_type: str, valid_from: datetime
) -> x509.Certificate:
    """Sign a KSeF certificate for the CSR's subject and key with the simulator's CA."""
    ca = sim.keys.ca
    while True:  # 16 hex digits, positive, unique
        serial = secrets.randbits(63) or 1
        if sim.state.get("certificate", serial_hex(serial)) is None:
            break
    builder = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca.certificate.subject)
        .public_key(csr.public_key())
        .serial_number(serial)
        .not_valid_before(valid_from)
        .not_valid_after(valid_from + CERTIFICATE_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_type), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()), critical=False
        )
    )
    return builder.sign(ca.private_key, hashes.SHA256(), rsa_padding=padding.PKCS1v15())


def certificate_record(
    cert: x509.Certificate,
    *,
    name: str,
    cert_type: str,
    subject: dict[str, str],
    now: datetime,
    enrollment: str,
) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization

    dn = subject_dn(cert.subject)
    return {
        "certificateSerialNumber": certificate_serial(cert),
        "name": name,
        "type": cert_type,
        "commonName": dn.get("commonName", ""),
        "status": "Active",
        "subjectIdentifier": subject,
        "subjectDn": dn,
        "validFrom": cert.not_valid_before_utc.isoformat(),
        "validTo": cert.not_valid_after_utc.isoformat(),
        "requestDate": now.isoformat(),
        "lastUseDate": None,
        "certificate": b64(cert.public_bytes(serialization.Encoding.DER)),
        "revocationReason": None,
        "revocationDate": None,
        "enrollmentReference": enrollment,
    }


def effective_status(record: dict[str, Any], now: datetime) -> str:
    if record["status"] == "Active" and datetime.fromisoformat(record["validTo"]) < now:
        return "Expired"
    return str(record["status"])
