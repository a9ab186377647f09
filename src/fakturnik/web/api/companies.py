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
from fakturnik.web.api.common import ERRORS, MAX_ID, Body, CompanyId, Routes
from fakturnik.web.api.deps import Svc

router = APIRouter(tags=["firmy"])
route = Routes(router)


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


@route("GET", "/me", "me")
def me(svc: Svc) -> Me:
    """Zalogowany użytkownik i jego firmy"""
    return Me(user=svc.accounts.me(), companies=list(svc.accounts.companies_of()))


@route("GET", "/companies", "listCompanies")
def list_companies(svc: Svc) -> list[CompanyView]:
    """Firmy, w których działa wywołujący"""
    return list(svc.companies.list())


@route("POST", "/companies", "createCompany", status_code=201)
def create_company(body: CompanyCreate, svc: Svc) -> CompanyView:
    """Dodaj firmę (wywołujący zostaje właścicielem)"""
    return svc.companies.add(**body.model_dump())


@route("GET", "/companies/{company_id}", "getCompany")
def get_company(company_id: CompanyId, svc: Svc) -> CompanyView:
    """Firma"""
    return svc.companies.get(company_id)


@route("PATCH", "/companies/{company_id}", "updateCompany")
def update_company(company_id: CompanyId, body: CompanyUpdate, svc: Svc) -> CompanyView:
    """Zmień dane firmy"""
    return svc.companies.update(company_id, **body.model_dump(exclude_none=True))


@route("PUT", "/companies/{company_id}/ksef", "configureKsef")
def configure_ksef(company_id: CompanyId, body: KsefConfig, svc: Svc) -> CompanyView:
    """Środowisko KSeF firmy"""
    svc.companies.configure_ksef(company_id, body.environment, base_url=body.base_url)
    return svc.companies.get(company_id)


@route("GET", "/companies/{company_id}/credentials", "getCredential")
def get_credential(company_id: CompanyId, svc: Svc) -> CredentialInfo | None:
    """Dane uwierzytelniające KSeF (tylko rodzaj, podmiot, numer seryjny, ważność)"""
    return svc.companies.credential(company_id)


@route("PUT", "/companies/{company_id}/credentials", "setCredential")
def set_credential(company_id: CompanyId, body: Credential, svc: Svc) -> CredentialInfo:
    """Wgraj token KSeF albo certyfikat (PEM / PKCS#12) do sejfu

    Sekret trafia zaszyfrowany do sejfu i nigdy nie jest zwracany; odpowiedź opisuje tylko, co zapisano.
    """
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


@route("GET", "/companies/{company_id}/availability", "getAvailability")
def availability(company_id: CompanyId, svc: Svc) -> AvailabilityView:
    """Dostępność KSeF i tryb offline"""
    return svc.ksef.availability(company_id)


@route(
    "POST",
    "/companies/{company_id}/sync",
    "syncReceived",
    problems={502: ERRORS[400] | {"description": "KSeF nie odpowiedział."}},
)
def sync(company_id: CompanyId, svc: Svc) -> SyncResult:
    """Pobierz teraz faktury otrzymane z KSeF"""
    return svc.ksef.sync(company_id)


@route("GET", "/companies/{company_id}/audit", "listAudit")
def audit(
    company_id: CompanyId,
    svc: Svc,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[AuditView]:
    """Dziennik zmian"""
    return list(svc.audit.list(company_id, limit=limit, before_id=before_id))


@route("GET", "/companies/{company_id}/members", "listMembers")
def members(company_id: CompanyId, svc: Svc) -> list[MembershipView]:
    """Użytkownicy firmy i ich role"""
    return list(svc.accounts.members(company_id))


@route("PUT", "/companies/{company_id}/members/{user_id}", "setMemberRole")
def set_role(
    company_id: CompanyId, user_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: RoleBody, svc: Svc
) -> list[MembershipView]:
    """Zmień rolę użytkownika"""
    svc.accounts.set_role(company_id, user_id, body.role)
    return list(svc.accounts.members(company_id))


@route("DELETE", "/companies/{company_id}/members/{user_id}", "removeMember", status_code=204)
def remove_member(
    company_id: CompanyId, user_id: Annotated[int, Path(ge=1, le=MAX_ID)], svc: Svc
) -> Response:
    """Odbierz użytkownikowi dostęp do firmy"""
    svc.accounts.remove_member(company_id, user_id)
    return Response(status_code=204)


@route("POST", "/companies/{company_id}/invitations", "invite", status_code=201)
def invite(company_id: CompanyId, body: InviteBody, svc: Svc) -> InvitationOut:
    """Zaproś użytkownika do firmy"""
    created = svc.accounts.invite(company_id, body.email, body.role)
    return InvitationOut(invitation=created.invitation, token=created.token)


@route("GET", "/companies/{company_id}/invitations", "listInvitations")
def invitations(company_id: CompanyId, svc: Svc) -> list[InvitationView]:
    """Zaproszenia"""
    return list(svc.accounts.invitations(company_id))
