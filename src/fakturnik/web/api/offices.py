"""Accounting offices: a client on the office's credential, the office console, bulk sync, co-workers."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Query, Response
from fastapi.routing import APIRouter
from pydantic import BaseModel, Field

from fakturnik.app.offices import ConsoleFilter
from fakturnik.errors import InputError
from fakturnik.web.api.common import MAX_ID, Body, CompanyId, Out, Routes
from fakturnik.web.api.deps import Svc

router = APIRouter(tags=["biura rachunkowe"])
route = Routes(router)
MAX_PEM = 64_000


class OfficeBody(Body):
    office_company_id: int = Field(ge=1, le=MAX_ID, description="Id firmy biura (z GET /companies).")


class ClientOut(Out):
    company_id: int
    nip: str
    name: str
    credential_kind: str | None = Field(description="office | certificate | ksef_token | person_certificate")
    credential_label: str
    credential_expires: datetime | None
    rights: list[str] = Field(
        description="Uprawnienia w KSeF według ostatniej odpowiedzi KSeF: co klient nadał biuru "
        "(rights_source = office) albo co miało logowanie klienta (login)."
    )
    can_delegate: bool
    rights_checked_at: datetime | None = Field(
        description="Kiedy KSeF ostatnio o nie zapytano (brak: nigdy)."
    )
    rights_source: str | None = Field(description="office | login")
    via_office: bool = Field(description="true: klient loguje się certyfikatem biura; false: własnym.")
    token_days_left: int | None = Field(description="Token KSeF: dni do końca ważności tokenów (31.12.2026).")
    last_sync: datetime | None
    queued: int
    rejected: int
    offline: int
    next_deadline: date | None = Field(description="Najbliższy termin przesłania faktury offline.")
    received_new: int
    waiting_reason: str | None = Field(description="Dlaczego faktury czekają (brak uprawnienia), po polsku.")
    needs_attention: bool


class ConsoleOut(Out):
    office_id: int
    office_nip: str
    office_name: str
    office_credential_expires: datetime | None
    rights_known: bool = Field(description="false: KSeF nie odpowiedział, kolumna uprawnień jest pusta.")
    rights_error: str | None
    clients: list[ClientOut]


class SyncBody(Body):
    client_ids: list[int] | None = Field(None, max_length=1000, description="Brak: wszyscy klienci biura.")


class SyncOut(BaseModel):
    synced: dict[int, int] = Field(description="Id firmy → liczba nowych faktur otrzymanych.")
    failed: dict[int, str]


class CoworkerCertificateBody(Body):
    user_id: int = Field(ge=1, le=MAX_ID)
    certificate_pem: str = Field(max_length=MAX_PEM)
    private_key_pem_base64: str = Field(max_length=MAX_PEM, description="Klucz prywatny (PEM) w Base64.")
    password: str | None = Field(None, max_length=256)


class CoworkerCertificateOut(Out):
    credential_id: int
    user_id: int
    email: str
    name: str
    subject: str
    fingerprint: str
    not_after: datetime
    active: bool


@route("PUT", "/companies/{company_id}/office", "useOfficeCredential", status_code=204)
def use_office(company_id: CompanyId, body: OfficeBody, svc: Svc) -> Response:
    """Klient loguje się certyfikatem biura rachunkowego (nic nie jest kopiowane)"""
    svc.offices.use_office(company_id, body.office_company_id)
    return Response(status_code=204)


@route("DELETE", "/companies/{company_id}/office", "stopUsingOfficeCredential", status_code=204)
def stop_using_office(company_id: CompanyId, svc: Svc) -> Response:
    """Klient wraca do własnych danych uwierzytelniających"""
    svc.offices.stop_using_office(company_id)
    return Response(status_code=204)


@route("GET", "/companies/{company_id}/office/clients", "officeConsole")
def console(
    company_id: CompanyId,
    svc: Svc,
    q: Annotated[str | None, Query(max_length=100, description="NIP albo fragment nazwy.")] = None,
    attention: Annotated[bool | None, Query(description="true: tylko klienci wymagający uwagi.")] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    has_queued: bool | None = None,
    has_rejected: bool | None = None,
    via_office: Annotated[
        bool | None, Query(description="true: tylko na certyfikacie biura; false: tylko na własnym.")
    ] = None,
    rights: Annotated[
        bool, Query(description="false: bez pytania KSeF o uprawnienia (ostatnia zapamiętana odpowiedź).")
    ] = True,
) -> ConsoleOut:
    """Konsola biura: wszyscy klienci w jednej tabeli"""
    view = svc.offices.console(
        company_id,
        ConsoleFilter(
            q=q,
            attention=attention,
            kind=kind,
            has_queued=has_queued,
            has_rejected=has_rejected,
            via_office=via_office,
        ),
        with_rights=rights,
    )
    return ConsoleOut.of(view)


@route("POST", "/companies/{company_id}/office/sync", "officeSyncAll")
def sync_all(company_id: CompanyId, svc: Svc, body: SyncBody | None = None) -> SyncOut:
    """Pobierz faktury otrzymane wszystkich (albo wybranych) klientów biura"""
    result = svc.offices.sync_all(company_id, body.client_ids if body is not None else None)
    return SyncOut(synced=dict(result.synced), failed=dict(result.failed))


@route("GET", "/companies/{company_id}/coworkers/certificates", "listCoworkerCertificates")
def coworker_certificates(company_id: CompanyId, svc: Svc) -> list[CoworkerCertificateOut]:
    """Certyfikaty KSeF współpracowników firmy (bez kluczy)"""
    return [CoworkerCertificateOut.of(c) for c in svc.coworkers.certificates(company_id)]


@route("POST", "/companies/{company_id}/coworkers/certificates", "addCoworkerCertificate", status_code=201)
def add_coworker_certificate(
    company_id: CompanyId, body: CoworkerCertificateBody, svc: Svc
) -> CoworkerCertificateOut:
    """Dodaj własny certyfikat KSeF współpracownika"""
    try:
        key = base64.b64decode(body.private_key_pem_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("to nie jest poprawny Base64", "private_key_pem_base64") from None
    view = svc.coworkers.add_certificate(
        company_id, body.user_id, body.certificate_pem.encode(), key, body.password
    )
    return CoworkerCertificateOut.of(view)


class IssuerOut(BaseModel):
    issued_by: str | None = Field(description="Kto wystawił fakturę (użytkownik, klucz API, system).")


@route("GET", "/companies/{company_id}/invoices/{invoice_id}/issuer", "invoiceIssuer")
def issuer(
    company_id: CompanyId,
    invoice_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    svc: Svc,
) -> IssuerOut:
    """Kto wystawił fakturę (dziennik zmian)"""
    return IssuerOut(issued_by=svc.coworkers.issued_by(company_id, invoice_id))
