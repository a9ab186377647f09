"""KSeF certificate enrollment as one call: enrollment data → key + CSR → enroll → wait → retrieve.

The private key is generated here and never leaves memory; the caller stores the resulting
credential (e.g. PKCS#12 in the vault or a 0600 file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fakturnik.errors import KsefProcessingError
from fakturnik.ksef import models as m
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.credentials import CertificateCredential
from fakturnik.ksef.csr import KeyAlgorithm, build_csr, credential_from_issued
from fakturnik.ksef.sessions import Poller

CertificateType = Literal["Authentication", "Offline"]


@dataclass(frozen=True)
class EnrolledCertificate:
    """A certificate KSeF issued, with its key (``CertificateCredential``'s ``repr`` hides the key)."""

    serial_number: str
    certificate_type: CertificateType
    credential: CertificateCredential


def enroll_certificate(
    client: KsefClient,
    name: str,
    certificate_type: CertificateType = "Authentication",
    *,
    algorithm: KeyAlgorithm = "ec",
    poller: Poller | None = None,
) -> EnrolledCertificate:
    """Request a KSeF certificate in the authenticated subject's own name and wait until it is issued."""
    data = client.certificate_enrollment_data()
    csr = build_csr(data.model_dump(exclude_none=True), algorithm=algorithm)
    enrolled = client.enroll_certificate(
        m.EnrollCertificateRequest(certificateName=name, certificateType=certificate_type, csr=csr.b64)
    )
    final = (poller or Poller(timeout=600)).until(
        lambda: client.certificate_enrollment_status(enrolled.referenceNumber),
        lambda s: s.status.code != 100,
        f"wniosek certyfikacyjny {enrolled.referenceNumber}",
    )
    if final.status.code != 200 or not final.certificateSerialNumber:
        raise KsefProcessingError(
            f"Wniosek certyfikacyjny odrzucony: {final.status.code} {final.status.description}",
            final.status.code,
            final.status.details or [],
        )
    serial = final.certificateSerialNumber
    issued = client.retrieve_certificates(m.RetrieveCertificatesRequest(certificateSerialNumbers=[serial]))
    return EnrolledCertificate(
        serial, certificate_type, credential_from_issued(csr, issued.certificates[0].certificate)
    )
