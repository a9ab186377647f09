"""KSeF credentials of a company: token → KSeF certificate migration, the deadline; KSeF certificates
enrolled, renewed and revoked from Fakturnik, the renewal policy."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from fastapi import Path, Response
from fastapi.routing import APIRouter
from pydantic import BaseModel, Field

from fakturnik.app.certificates import CertificateResult
from fakturnik.app.ksef_credentials import MigrationResult
from fakturnik.errors import InputError
from fakturnik.web.api.common import Body, CompanyId, Out, Routes
from fakturnik.web.api.deps import Svc
from fakturnik.web.api.problems import ApiProblem

router = APIRouter(tags=["firmy"])
route = Routes(router)
MAX_SIGNED = 1_000_000  # a signed AuthTokenRequest is a few kB
SignedRequest = Annotated[str | None, Field(max_length=MAX_SIGNED)]


class CertificateOut(Out):
    kind: str = Field(description="`certificate` (uwierzytelnianie) albo `offline_certificate` (KOD II).")
    serial: str
    subject: str
    not_before: datetime
    not_after: datetime
    fingerprint: str = Field(description="SHA-256 certyfikatu (hex).")
    active: bool


class MigrateBody(Body):
    signed_request_base64: SignedRequest = Field(
        None,
        description="AuthTokenRequest z POST …/credentials/migration-request, podpisany (XAdES), w Base64. "
        "Bez niego Fakturnik prosi KSeF o certyfikaty sesją tokenu (KSeF na to nie pozwala: 409).",
    )


class MigrationOut(Out):
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
    return MigrationOut.of(result)


@route(
    "POST",
    "/companies/{company_id}/credentials/migration-request",
    "credentialMigrationRequest",
    problems={200: {"content": {"application/xml": {}}, "description": "Niepodpisany XML."}},
    response_class=Response,
)
def migration_request(company_id: CompanyId, svc: Svc) -> Response:
    """Plik AuthTokenRequest do podpisania (przejście z tokenu na certyfikat)"""
    return Response(svc.credentials.migration_request(company_id), media_type="application/xml")


def _b64(value: str | None, field: str) -> bytes | None:
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("to nie jest poprawny Base64", field) from None


@route("POST", "/companies/{company_id}/credentials/migrate", "migrateCredentials")
def migrate(company_id: CompanyId, svc: Svc, body: MigrateBody | None = None) -> MigrationOut:
    """Przejdź z tokenu KSeF na certyfikaty KSeF (uwierzytelniający i offline)"""
    signed = _b64(body.signed_request_base64 if body is not None else None, "signed_request_base64")
    return _migration(svc.credentials.migrate_to_certificate(company_id, signed))


@route("GET", "/companies/{company_id}/credentials/certificates", "listCertificates")
def certificates(company_id: CompanyId, svc: Svc) -> list[CertificateOut]:
    """Certyfikaty KSeF firmy (bez kluczy)"""
    return [CertificateOut.of(c) for c in svc.credentials.certificates(company_id)]


@route("GET", "/companies/{company_id}/credentials/token-deadline", "tokenDeadline")
def token_deadline(company_id: CompanyId, svc: Svc) -> TokenDeadlineOut:
    """Dni do końca tokenów KSeF (31.12.2026), jeśli firma loguje się tokenem"""
    view = svc.credentials.token_deadline(company_id)
    return TokenDeadlineOut(
        deadline=view.deadline, days_left=view.days_left, companies_on_token=list(view.company_ids)
    )


# -- KSeF certificates from inside Fakturnik: enroll, renew, revoke, the renewal policy -------------------


class KsefCertificateOut(Out):
    id: int
    certificate_type: Literal["Authentication", "Offline"] | str
    serial: str
    subject: str
    valid_from: datetime
    valid_to: datetime = Field(description="Koniec ważności, jak go ostatnio podał KSeF.")
    days_left: int
    fingerprint: str = Field(description="SHA-256 certyfikatu (hex).")
    active: bool = Field(description="true: ten certyfikat jest w użyciu (logowanie albo KOD II).")
    status: str = Field(
        description="Active | Blocked | Revoked | Expired (albo Unproven: nie zalogował się)."
    )
    checked_at: datetime | None = Field(description="Kiedy Fakturnik ostatnio pytał KSeF o ten certyfikat.")
    replaces_id: int | None = Field(description="Id certyfikatu, który ten zastąpił (odnowienie).")
    revoked_at: datetime | None

    @classmethod
    def of(cls, view: Any, **computed: Any) -> Self:
        return super().of(view, days_left=view.days_left(), **computed)


class CertificateResultOut(Out):
    company_id: int
    nip: str
    changed: bool
    message: str
    certificates: list[KsefCertificateOut]


def _both_types() -> list[Literal["Authentication", "Offline"]]:
    return ["Authentication", "Offline"]


class EnrollBody(Body):
    types: list[Literal["Authentication", "Offline"]] = Field(
        default_factory=_both_types, min_length=1, max_length=2
    )
    signed_request_base64: SignedRequest = Field(
        None,
        description="Pierwsze logowanie: AuthTokenRequest z POST …/credentials/migration-request, podpisany "
        "(XAdES), w Base64. Bez niego wniosek składa sesja bieżącego certyfikatu KSeF firmy.",
    )


class RenewBody(Body):
    force: bool = Field(
        False, description="true: odnów aktywne certyfikaty, nawet jeśli margines nie nadszedł."
    )


class RevokeBody(Body):
    reason: Literal["Unspecified", "Superseded", "KeyCompromise"] = "Superseded"


class PolicyBody(Body):
    margin_days: int = Field(ge=1, le=365, description="Odnów tyle dni przed końcem ważności.")
    auto_renew: bool = True


class PolicyOut(BaseModel):
    margin_days: int
    auto_renew: bool


Serial = Annotated[str, Path(description="Numer seryjny certyfikatu KSeF.", pattern="^[0-9A-Fa-f]{16}$")]


def _result(result: CertificateResult, code: str) -> CertificateResultOut:
    if not result.ok:
        raise ApiProblem(409, code, result.message)
    return CertificateResultOut.of(
        result, certificates=[KsefCertificateOut.of(c) for c in result.certificates]
    )


@route("GET", "/companies/{company_id}/credentials/ksef-certificates", "listKsefCertificates")
def ksef_certificates(company_id: CompanyId, svc: Svc) -> list[KsefCertificateOut]:
    """Certyfikaty KSeF firmy z ważnością i stanem w KSeF (bez kluczy)"""
    return [KsefCertificateOut.of(c) for c in svc.certificates.list(company_id)]


@route("POST", "/companies/{company_id}/credentials/ksef-certificates/refresh", "refreshKsefCertificates")
def refresh_certificates(company_id: CompanyId, svc: Svc) -> list[KsefCertificateOut]:
    """Zapytaj KSeF o stan i ważność certyfikatów firmy"""
    return [KsefCertificateOut.of(c) for c in svc.certificates.refresh(company_id)]


@route("POST", "/companies/{company_id}/credentials/ksef-certificates/enroll", "enrollKsefCertificates")
def enroll_certificates(
    company_id: CompanyId, svc: Svc, body: EnrollBody | None = None
) -> CertificateResultOut:
    """Wystaw certyfikaty KSeF (uwierzytelniający, offline); klucz powstaje w Fakturniku"""
    body = body or EnrollBody()
    signed = _b64(body.signed_request_base64, "signed_request_base64")
    return _result(
        svc.certificates.enroll(company_id, body.types, signed_request=signed), "certificate_enroll_failed"
    )


@route("POST", "/companies/{company_id}/credentials/ksef-certificates/renew", "renewKsefCertificates")
def renew_certificates(
    company_id: CompanyId, svc: Svc, body: RenewBody | None = None
) -> CertificateResultOut:
    """Odnów certyfikaty KSeF kończące się w marginesie (stary zostaje, aż nowy się zaloguje)"""
    force = body.force if body is not None else False
    return _result(svc.certificates.renew(company_id, force=force), "certificate_renew_failed")


@route(
    "POST", "/companies/{company_id}/credentials/ksef-certificates/{serial}/revoke", "revokeKsefCertificate"
)
def revoke_certificate(
    company_id: CompanyId, serial: Serial, svc: Svc, body: RevokeBody | None = None
) -> CertificateResultOut:
    """Unieważnij certyfikat KSeF (firma najpierw przechodzi na działający)"""
    reason = body.reason if body is not None else "Superseded"
    return _result(svc.certificates.revoke(company_id, serial, reason=reason), "certificate_revoke_failed")


@route("GET", "/companies/{company_id}/credentials/renewal-policy", "getRenewalPolicy")
def get_policy(company_id: CompanyId, svc: Svc) -> PolicyOut:
    """Margines automatycznego odnawiania certyfikatów KSeF"""
    p = svc.certificates.policy(company_id)
    return PolicyOut(margin_days=p.margin_days, auto_renew=p.auto_renew)


@route("PUT", "/companies/{company_id}/credentials/renewal-policy", "setRenewalPolicy")
def set_policy(company_id: CompanyId, body: PolicyBody, svc: Svc) -> PolicyOut:
    """Ustaw margines automatycznego odnawiania certyfikatów KSeF"""
    p = svc.certificates.set_policy(company_id, margin_days=body.margin_days, auto_renew=body.auto_renew)
    return PolicyOut(margin_days=p.margin_days, auto_renew=p.auto_renew)


class UploadBody(Body):
    pkcs12_base64: str | None = Field(None, max_length=MAX_SIGNED, description="Plik .p12/.pfx w Base64.")
    certificate_pem: str | None = Field(None, max_length=MAX_SIGNED)
    private_key_pem: str | None = Field(None, max_length=MAX_SIGNED)
    password: str | None = Field(None, max_length=1024, description="Hasło pliku PKCS#12 albo klucza.")
    offline: bool = Field(False, description="true: certyfikat Offline (KOD II), nie do logowania.")


@route("POST", "/companies/{company_id}/credentials/ksef-certificates/upload", "uploadKsefCertificate")
def upload_certificate(company_id: CompanyId, body: UploadBody, svc: Svc) -> CertificateResultOut:
    """Wgraj posiadany certyfikat KSeF (sprawdzony: typ, hasło, ważność, logowanie próbne)"""
    from fakturnik.vault import Secret

    key = Secret(body.private_key_pem.encode()) if body.private_key_pem else None
    result = svc.certificates.upload(
        company_id,
        pkcs12=_b64(body.pkcs12_base64, "pkcs12_base64"),
        certificate_pem=body.certificate_pem.encode() if body.certificate_pem else None,
        private_key_pem=key,
        password=Secret(body.password.encode()) if body.password else None,
        offline=body.offline,
    )
    return _result(result, "certificate_upload_failed")
