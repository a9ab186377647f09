"""KSeF 2.0 API: KSeF certificates (digest §3.7). Tied to the authenticated subject, not the context."""

from __future__ import annotations

import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from fakturnik.base.ksef_numbers import make_reference_number
from fakturnik.ksef.crypto import unb64
from fakturnik.simulator import ca
from fakturnik.simulator.auth_ops import iso
from fakturnik.simulator.core import Sim, Simulator
from fakturnik.simulator.errors import ApiError, ForbiddenError
from fakturnik.simulator.security import Caller, require

router = APIRouter()

SERIAL_PATTERN = r"^[0-9A-F]{16}$"
NAME_PATTERN = r"^[a-zA-Z0-9_\-\ ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]+$"


def _subject(caller: Caller) -> dict[str, str]:
    return {"type": caller.subject_type, "value": caller.subject_value}


def _subject_key(caller: Caller) -> str:
    return f"{caller.subject_type}:{caller.subject_value}"


def _limits(sim: Simulator, caller: Caller) -> tuple[int, int]:
    from fakturnik.simulator import grants

    limits = grants.subject_limits(sim, _subject_key(caller))
    return int(limits["enrollment"]["maxEnrollments"]), int(limits["certificate"]["maxCertificates"])


def _own_certificates(sim: Simulator, caller: Caller) -> list[dict[str, Any]]:
    subject = _subject(caller)
    return [c for c in sim.state.all("certificate") if c["subjectIdentifier"] == subject]


def _own_enrollments(sim: Simulator, caller: Caller) -> list[dict[str, Any]]:
    subject = _subject(caller)
    return [e for e in sim.state.all("enrollment") if e["subjectIdentifier"] == subject]


def enrollment_data(sim: Simulator, caller: Caller) -> dict[str, str]:
    """The DN a CSR must carry: the subject of the certificate used to sign in (25001 for tokens)."""
    if caller.auth_method == "Token":
        raise ApiError(25001, "Dane do CSR są dostępne tylko po uwierzytelnieniu podpisem XAdES.")
    doc = sim.state.get("auth", caller.auth_ref) or {}
    dn = doc.get("certificateSubject")
    if isinstance(dn, dict) and dn.get("commonName"):
        return {k: str(v) for k, v in dn.items()}
    return _synthetic_dn(caller)


def _synthetic_dn(caller: Caller) -> dict[str, str]:
    """For sessions minted without a certificate: a DN shaped like a seal or a personal certificate."""
    if caller.subject_type == "Nip":
        return {
            "commonName": f"Podmiot {caller.subject_value}",
            "countryName": "PL",
            "organizationName": f"Podmiot {caller.subject_value}",
            "organizationIdentifier": f"VATPL-{caller.subject_value}",
        }
    if caller.subject_type == "Pesel":
        return {
            "commonName": "Osoba Testowa",
            "countryName": "PL",
            "givenName": "Osoba",
            "surname": "Testowa",
            "serialNumber": f"PNOPL-{caller.subject_value}",
        }
    return {"commonName": f"Certyfikat {caller.subject_value[:16]}", "countryName": "PL"}


def _no_token(caller: Caller, code: int) -> None:
    if caller.auth_method == "Token":
        raise ApiError(code, "Operacja niedostępna dla uwierzytelnienia tokenem KSeF.")


@router.get("/certificates/limits")
def certificate_limits(sim: Sim, caller: Annotated[Caller, Depends(require("other"))]) -> dict[str, Any]:
    max_enroll, max_certs = _limits(sim, caller)
    now = sim.now()
    active = sum(1 for c in _own_certificates(sim, caller) if ca.effective_status(c, now) == "Active")
    enrollments = len(_own_enrollments(sim, caller))
    e_left, c_left = max(0, max_enroll - enrollments), max(0, max_certs - active)
    return {
        "canRequest": e_left > 0 and c_left > 0 and caller.auth_method != "Token",
        "enrollment": {"remaining": e_left, "limit": max_enroll},
        "certificate": {"remaining": c_left, "limit": max_certs},
    }


@router.get("/certificates/enrollments/data")
def get_enrollment_data(sim: Sim, caller: Annotated[Caller, Depends(require("other"))]) -> dict[str, str]:
    return enrollment_data(sim, caller)


class EnrollCertificateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    certificateName: str = Field(min_length=5, max_length=100, pattern=NAME_PATTERN)
    certificateType: Literal["Authentication", "Offline"]
    csr: str = Field(min_length=1)
    validFrom: datetime | None = None


@router.post("/certificates/enrollments", status_code=202)
def enroll(
    body: EnrollCertificateRequest, sim: Sim, caller: Annotated[Caller, Depends(require("other"))]
) -> dict[str, Any]:
    _no_token(caller, 25002)
    expected = enrollment_data(sim, caller)
    try:
        der = unb64(body.csr)
    except (ValueError, binascii.Error) as exc:
        raise ApiError(25004, "CSR nie jest poprawnym Base64.") from exc
    csr = ca.load_csr(der)
    ca.check_dn(csr, expected)
    max_enroll, max_certs = _limits(sim, caller)
    now = sim.now()
    if len(_own_enrollments(sim, caller)) >= max_enroll:
        raise ApiError(25006)
    active = [c for c in _own_certificates(sim, caller) if ca.effective_status(c, now) == "Active"]
    if len(active) >= max_certs:
        raise ApiError(25007)
    ref = make_reference_number("EH", now.date())
    enrollment: dict[str, Any] = {
        "referenceNumber": ref,
        "requestDate": now.isoformat(),
        "subjectIdentifier": _subject(caller),
        "certificateSerialNumber": None,
    }
    key_der = csr.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if _key_taken(sim, key_der, _subject(caller)):
        enrollment["status"] = {
            "code": 400,
            "description": "Wniosek odrzucony",
            "details": ["Klucz publiczny został już certyfikowany dla innego podmiotu."],
        }
    else:
        valid_from = _aware(body.validFrom) if body.validFrom and _aware(body.validFrom) > now else now
        cert = ca.issue_certificate(sim, csr, body.certificateType, valid_from)
        record = ca.certificate_record(
            cert,
            name=body.certificateName,
            cert_type=body.certificateType,
            subject=_subject(caller),
            now=now,
            enrollment=ref,
        )
        record["publicKeySha256"] = _sha(key_der)
        sim.state.put("certificate", record["certificateSerialNumber"], record)
        enrollment["certificateSerialNumber"] = record["certificateSerialNumber"]
        enrollment["status"] = {"code": 200, "description": "Wniosek obsłużony, certyfikat wystawiony"}
    sim.state.put("enrollment", ref, enrollment)
    return {"referenceNumber": ref, "timestamp": iso(now)}


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _sha(data: bytes) -> str:
    from fakturnik.ksef.crypto import sha256

    return sha256(data).hex()


def _key_taken(sim: Simulator, key_der: bytes, subject: dict[str, str]) -> bool:
    digest = _sha(key_der)
    return any(
        c.get("publicKeySha256") == digest and c["subjectIdentifier"] != subject
        for c in sim.state.all("certificate")
    )


@router.get("/certificates/enrollments/{referenceNumber}")
def enrollment_status(
    sim: Sim,
    caller: Annotated[Caller, Depends(require("other"))],
    reference_number: Annotated[str, Path(alias="referenceNumber", min_length=36, max_length=36)],
) -> dict[str, Any]:
    doc = sim.state.get("enrollment", reference_number)
    if doc is None or doc["subjectIdentifier"] != _subject(caller):
        raise ApiError(25005, f"Wniosek certyfikacyjny {reference_number} nie istnieje.")
    body: dict[str, Any] = {"requestDate": doc["requestDate"], "status": doc["status"]}
    if doc.get("certificateSerialNumber"):
        body["certificateSerialNumber"] = doc["certificateSerialNumber"]
    return body


class RetrieveCertificatesRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    certificateSerialNumbers: list[str] = Field(min_length=1, max_length=10)


@router.post("/certificates/retrieve")
def retrieve(
    body: RetrieveCertificatesRequest, sim: Sim, caller: Annotated[Caller, Depends(require("other"))]
) -> dict[str, Any]:
    import re

    out = []
    for serial in body.certificateSerialNumbers:
        if not re.fullmatch(SERIAL_PATTERN, serial):
            raise ApiError(21405, f"certificateSerialNumbers: niepoprawny numer seryjny {serial}.")
        record = sim.state.get("certificate", serial)
        if record is None or record["subjectIdentifier"] != _subject(caller):
            continue
        out.append(
            {
                "certificate": record["certificate"],
                "certificateName": record["name"],
                "certificateSerialNumber": serial,
                "certificateType": record["type"],
            }
        )
    return {"certificates": out}


class RevokeCertificateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    revocationReason: Literal["Unspecified", "Superseded", "KeyCompromise"] | None = None


@router.post("/certificates/{certificateSerialNumber}/revoke", status_code=204)
def revoke(
    sim: Sim,
    caller: Annotated[Caller, Depends(require("other"))],
    certificate_serial_number: Annotated[str, Path(alias="certificateSerialNumber", pattern=SERIAL_PATTERN)],
    body: RevokeCertificateRequest | None = None,
) -> Response:
    if caller.auth_method == "Token":
        raise ForbiddenError(
            "auth-method-not-allowed", "Operacja niedostępna dla uwierzytelnienia tokenem KSeF."
        )
    with sim.state.lock:
        record = sim.state.get("certificate", certificate_serial_number)
        if record is None or record["subjectIdentifier"] != _subject(caller):
            raise ApiError(25008)
        if ca.effective_status(record, sim.now()) != "Active":
            raise ApiError(25009)
        record["status"] = "Revoked"
        record["revocationReason"] = (body.revocationReason if body else None) or "Unspecified"
        record["revocationDate"] = sim.now().isoformat()
        sim.state.put("certificate", certificate_serial_number, record)
    return Response(status_code=204)


class QueryCertificatesRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    certificateSerialNumber: str | None = Field(default=None, pattern=SERIAL_PATTERN)
    name: str | None = None
    type: Literal["Authentication", "Offline"] | None = None
    status: Literal["Active", "Blocked", "Revoked", "Expired"] | None = None
    expiresAfter: datetime | None = None


@router.post("/certificates/query")
def query(
    sim: Sim,
    caller: Annotated[Caller, Depends(require("other"))],
    body: QueryCertificatesRequest | None = None,
    page_size: Annotated[int, Query(ge=10, le=50, alias="pageSize")] = 10,
    page_offset: Annotated[int, Query(ge=0, alias="pageOffset")] = 0,
) -> dict[str, Any]:
    now = sim.now()
    f = body or QueryCertificatesRequest()
    rows = []
    for c in _own_certificates(sim, caller):
        status = ca.effective_status(c, now)
        if f.certificateSerialNumber and c["certificateSerialNumber"] != f.certificateSerialNumber:
            continue
        if f.name and f.name.lower() not in c["name"].lower():
            continue
        if f.type and c["type"] != f.type:
            continue
        if f.status and status != f.status:
            continue
        if f.expiresAfter and datetime.fromisoformat(c["validTo"]) <= _aware(f.expiresAfter):
            continue
        item = {
            "certificateSerialNumber": c["certificateSerialNumber"],
            "name": c["name"],
            "type": c["type"],
            "commonName": c["commonName"],
            "status": status,
            "subjectIdentifier": c["subjectIdentifier"],
            "validFrom": c["validFrom"],
            "validTo": c["validTo"],
            "requestDate": c["requestDate"],
        }
        if c.get("lastUseDate"):
            item["lastUseDate"] = c["lastUseDate"]
        rows.append(item)
    rows.sort(key=lambda r: r["requestDate"], reverse=True)
    start = page_offset * page_size
    return {"certificates": rows[start : start + page_size], "hasMore": start + page_size < len(rows)}
