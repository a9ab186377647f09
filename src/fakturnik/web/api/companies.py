"""Companies (KSeF contexts): create, read, configure KSeF, upload credentials; members, availability,
sync."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from fakturnik.app.views import (
    AuditView,
    AvailabilityView,
    CompanyView,
    CredentialInfo,
    InvitationView,
    MembershipView,
    SyncResult,
    UserView,
)
from fakturnik.errors import InputError
from fakturnik.web.api.common import ERRORS, MAX_ID, WRITE_ERRORS, Body
from fakturnik.web.api.deps import Svc

router = APIRouter(tags=["firmy"])
CompanyId = Annotated[int, Path(description="Id firmy (z GET /companies).", ge=1, le=MAX_ID)]


class CompanyCreate(Body):
    nip: str = Field(description="NIP firmy (kontekst KSeF).", examples=["5265877635"])
    name: str = Field("", max_length=512, examples=["Przykładowa Firma sp. z o.o."])
    environment: Literal["local", "test", "demo", "prod"] = Field(
        "test", description="Środowisko KSeF ('local': wbudowany symulator)."
    )
    address: str = Field("", max_length=512)
    email: str = Field("", max_length=320)
    bank_account: str = Field("", max_length=64)


class CompanyUpdate(Body):
    name: str | None = Field(None, max_length=512)
    address: str | None = Field(None, max_length=512)
    email: str | None = Field(None, max_length=320)
    bank_account: str | None = Field(None, max_length=64)
    strictness: Literal["all", "ksef"] | None = Field(
        None,
        description="Co odmawia wystawienia: 'all' (domyślnie) każdy błąd walidacji; 'ksef' tylko to, co "
        "odrzuci KSeF (braki wymagane ustawą o VAT i niezgodne kwoty są wtedy ostrzeżeniami).",
    )


class KsefConfig(Body):
    environment: Literal["local", "test", "demo", "prod", "custom"]
    base_url: str | None = Field(None, description="Adres API KSeF dla 'custom'.", max_length=512)


class TokenCredential(Body):
    kind: Literal["ksef_token"]
    token: str = Field(min_length=8, max_length=4096, description="Token KSeF (nigdy nie jest zwracany).")


class CertificateCredential(Body):
    kind: Literal["certificate"]
    certificate_pem: str = Field(max_length=65536, description="Certyfikat KSeF (PEM).")
    private_key_pem: str = Field(max_length=65536, description="Klucz prywatny (PEM, może być zaszyfrowany).")
    password: str | None = Field(None, max_length=1024, description="Hasło klucza prywatnego.")


class Pkcs12Credential(Body):
    kind: Literal["pkcs12"]
    pkcs12_base64: str = Field(max_length=262144, description="Plik PKCS#12 (.p12/.pfx) w Base64.")
    password: str | None = Field(None, max_length=1024)


Credential = Annotated[
    TokenCredential | CertificateCredential | Pkcs12Credential, Field(discriminator="kind")
]


class RoleBody(Body):
    role: Literal["owner", "accountant", "issuer", "viewer"]


class InviteBody(Body):
    email: str = Field(max_length=320, examples=["ksiegowa@biuro.pl"])
    role: Literal["owner", "accountant", "issuer", "viewer"]


class InvitationOut(Body):
    invitation: InvitationView
    token: str = Field(description="Token zaproszenia (pokazywany raz; do linku dla zaproszonej osoby).")


class Me(Body):
    user: UserView
    companies: list[MembershipView]


@router.get("/me", summary="Zalogowany użytkownik i jego firmy", operation_id="me", responses=ERRORS)
def me(svc: Svc) -> Me:
    return Me(user=svc.accounts.me(), companies=list(svc.accounts.companies_of()))


@router.get(
    "/companies", summary="Firmy, w których działa wywołujący", operation_id="listCompanies", responses=ERRORS
)
def list_companies(svc: Svc) -> list[CompanyView]:
    return list(svc.companies.list())


@router.post(
    "/companies",
    status_code=201,
    summary="Dodaj firmę (wywołujący zostaje właścicielem)",
    operation_id="createCompany",
    responses=WRITE_ERRORS,
)
def create_company(body: CompanyCreate, svc: Svc) -> CompanyView:
    return svc.companies.add(
        nip=body.nip,
        name=body.name,
        environment=body.environment,
        address=body.address,
        email=body.email,
        bank_account=body.bank_account,
    )


@router.get("/companies/{company_id}", summary="Firma", operation_id="getCompany", responses=ERRORS)
def get_company(company_id: CompanyId, svc: Svc) -> CompanyView:
    return svc.companies.get(company_id)


@router.patch(
    "/companies/{company_id}",
    summary="Zmień dane firmy",
    operation_id="updateCompany",
    responses=WRITE_ERRORS,
)
def update_company(company_id: CompanyId, body: CompanyUpdate, svc: Svc) -> CompanyView:
    return svc.companies.update(company_id, **body.model_dump(exclude_none=True))


@router.put(
    "/companies/{company_id}/ksef",
    summary="Środowisko KSeF firmy",
    operation_id="configureKsef",
    responses=WRITE_ERRORS,
)
def configure_ksef(company_id: CompanyId, body: KsefConfig, svc: Svc) -> CompanyView:
    svc.companies.configure_ksef(company_id, body.environment, base_url=body.base_url)
    return svc.companies.get(company_id)


@router.get(
    "/companies/{company_id}/credentials",
    summary="Dane uwierzytelniające KSeF (tylko rodzaj, podmiot, numer seryjny, ważność)",
    operation_id="getCredential",
    responses=ERRORS,
)
def get_credential(company_id: CompanyId, svc: Svc) -> CredentialInfo | None:
    return svc.companies.credential(company_id)


@router.put(
    "/companies/{company_id}/credentials",
    summary="Wgraj token KSeF albo certyfikat (PEM / PKCS#12) do sejfu",
    description=(
        "Sekret trafia zaszyfrowany do sejfu i nigdy nie jest zwracany; odpowiedź opisuje tylko, co zapisano."
    ),
    operation_id="setCredential",
    responses=WRITE_ERRORS,
)
def set_credential(company_id: CompanyId, body: Credential, svc: Svc) -> CredentialInfo:
    if isinstance(body, TokenCredential):
        return svc.companies.set_ksef_token(company_id, body.token)
    if isinstance(body, CertificateCredential):
        return svc.companies.set_certificate(
            company_id, body.certificate_pem.encode(), body.private_key_pem.encode(), body.password
        )
    try:
        data = base64.b64decode(body.pkcs12_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("Niepoprawny Base64.", "pkcs12_base64") from None
    return svc.companies.set_pkcs12(company_id, data, body.password)


@router.get(
    "/companies/{company_id}/availability",
    summary="Dostępność KSeF i tryb offline",
    operation_id="getAvailability",
    responses=ERRORS,
)
def availability(company_id: CompanyId, svc: Svc) -> AvailabilityView:
    return svc.ksef.availability(company_id)


@router.post(
    "/companies/{company_id}/sync",
    summary="Pobierz teraz faktury otrzymane z KSeF",
    operation_id="syncReceived",
    responses={**WRITE_ERRORS, 502: ERRORS[400] | {"description": "KSeF nie odpowiedział."}},
)
def sync(company_id: CompanyId, svc: Svc) -> SyncResult:
    return svc.ksef.sync(company_id)


@router.get(
    "/companies/{company_id}/audit", summary="Dziennik zmian", operation_id="listAudit", responses=ERRORS
)
def audit(
    company_id: CompanyId,
    svc: Svc,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[AuditView]:
    return list(svc.audit.list(company_id, limit=limit, before_id=before_id))


@router.get(
    "/companies/{company_id}/members",
    summary="Użytkownicy firmy i ich role",
    operation_id="listMembers",
    responses=ERRORS,
)
def members(company_id: CompanyId, svc: Svc) -> list[MembershipView]:
    return list(svc.accounts.members(company_id))


@router.put(
    "/companies/{company_id}/members/{user_id}",
    summary="Zmień rolę użytkownika",
    operation_id="setMemberRole",
    responses=WRITE_ERRORS,
)
def set_role(
    company_id: CompanyId, user_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: RoleBody, svc: Svc
) -> list[MembershipView]:
    svc.accounts.set_role(company_id, user_id, body.role)
    return list(svc.accounts.members(company_id))


@router.delete(
    "/companies/{company_id}/members/{user_id}",
    status_code=204,
    summary="Odbierz użytkownikowi dostęp do firmy",
    operation_id="removeMember",
    responses=WRITE_ERRORS,
)
def remove_member(
    company_id: CompanyId, user_id: Annotated[int, Path(ge=1, le=MAX_ID)], svc: Svc
) -> Response:
    svc.accounts.remove_member(company_id, user_id)
    return Response(status_code=204)


@router.post(
    "/companies/{company_id}/invitations",
    status_code=201,
    summary="Zaproś użytkownika do firmy",
    operation_id="invite",
    responses=WRITE_ERRORS,
)
def invite(company_id: CompanyId, body: InviteBody, svc: Svc) -> InvitationOut:
    created = svc.accounts.invite(company_id, body.email, body.role)
    return InvitationOut(invitation=created.invitation, token=created.token)


@router.get(
    "/companies/{company_id}/invitations",
    summary="Zaproszenia",
    operation_id="listInvitations",
    responses=ERRORS,
)
def invitations(company_id: CompanyId, svc: Svc) -> list[InvitationView]:
    return list(svc.accounts.invitations(company_id))
