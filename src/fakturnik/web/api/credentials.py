"""KSeF credentials of a company: token → KSeF certificate migration, the certificates, the deadline."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Response
from fastapi.routing import APIRouter
from pydantic import BaseModel, Field

from fakturnik.app.ksef_credentials import CertificateView, MigrationResult
from fakturnik.errors import InputError
from fakturnik.web.api.common import ERRORS, MAX_ID, WRITE_ERRORS, Body
from fakturnik.web.api.deps import Svc
from fakturnik.web.api.problems import ApiProblem

router = APIRouter(tags=["firmy"])
CompanyId = Annotated[int, Path(description="Id firmy (z GET /companies).", ge=1, le=MAX_ID)]
MAX_SIGNED = 1_000_000  # a signed AuthTokenRequest is a few kB


class CertificateOut(BaseModel):
    kind: str = Field(description="`certificate` (uwierzytelnianie) albo `offline_certificate` (KOD II).")
    serial: str
    subject: str
    not_before: datetime
    not_after: datetime
    fingerprint: str = Field(description="SHA-256 certyfikatu (hex).")
    active: bool

    @classmethod
    def of(cls, c: CertificateView) -> CertificateOut:
        return cls(
            kind=c.kind,
            serial=c.serial,
            subject=c.subject,
            not_before=c.not_before,
            not_after=c.not_after,
            fingerprint=c.fingerprint,
            active=c.active,
        )


class MigrateBody(Body):
    signed_request_base64: str | None = Field(
        None,
        max_length=MAX_SIGNED,
        description="AuthTokenRequest z POST …/credentials/migration-request, podpisany (XAdES), w Base64. "
        "Bez niego Fakturnik prosi KSeF o certyfikaty sesją tokenu (KSeF na to nie pozwala: 409).",
    )


class MigrationOut(BaseModel):
    company_id: int
    nip: str
    changed: bool = Field(description="false: firma już była na certyfikacie.")
    message: str
    certificates: list[CertificateOut]


class TokenDeadlineOut(BaseModel):
    deadline: date
    days_left: int
    companies_on_token: list[int] = Field(description="Id firm, które wciąż logują się tokenem KSeF.")


def _migration(result: MigrationResult) -> MigrationOut:
    if not result.ok:
        raise ApiProblem(409, "credential_migration_failed", result.message)
    return MigrationOut(
        company_id=result.company_id,
        nip=result.nip,
        changed=result.changed,
        message=result.message,
        certificates=[CertificateOut.of(c) for c in result.certificates],
    )


@router.post(
    "/companies/{company_id}/credentials/migration-request",
    summary="Plik AuthTokenRequest do podpisania (przejście z tokenu na certyfikat)",
    operation_id="credentialMigrationRequest",
    responses={**WRITE_ERRORS, 200: {"content": {"application/xml": {}}, "description": "Niepodpisany XML."}},
    response_class=Response,
)
def migration_request(company_id: CompanyId, svc: Svc) -> Response:
    return Response(svc.credentials.migration_request(company_id), media_type="application/xml")


@router.post(
    "/companies/{company_id}/credentials/migrate",
    summary="Przejdź z tokenu KSeF na certyfikaty KSeF (uwierzytelniający i offline)",
    operation_id="migrateCredentials",
    responses=WRITE_ERRORS,
)
def migrate(company_id: CompanyId, svc: Svc, body: MigrateBody | None = None) -> MigrationOut:
    signed: bytes | None = None
    if body is not None and body.signed_request_base64:
        try:
            signed = base64.b64decode(body.signed_request_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("to nie jest poprawny Base64", "signed_request_base64") from None
    return _migration(svc.credentials.migrate_to_certificate(company_id, signed))


@router.get(
    "/companies/{company_id}/credentials/certificates",
    summary="Certyfikaty KSeF firmy (bez kluczy)",
    operation_id="listCertificates",
    responses=ERRORS,
)
def certificates(company_id: CompanyId, svc: Svc) -> list[CertificateOut]:
    return [CertificateOut.of(c) for c in svc.credentials.certificates(company_id)]


@router.get(
    "/companies/{company_id}/credentials/token-deadline",
    summary="Dni do końca tokenów KSeF (31.12.2026), jeśli firma loguje się tokenem",
    operation_id="tokenDeadline",
    responses=ERRORS,
)
def token_deadline(company_id: CompanyId, svc: Svc) -> TokenDeadlineOut:
    view = svc.credentials.token_deadline(company_id)
    return TokenDeadlineOut(
        deadline=view.deadline, days_left=view.days_left, companies_on_token=list(view.company_ids)
    )
