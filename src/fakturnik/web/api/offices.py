"""Accounting offices: a client on the office's credential, the office console, bulk sync, co-workers."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Query, Response
from fastapi.routing import APIRouter
from pydantic import BaseModel, Field

from fakturnik.app.coworkers import CoworkerCertificateView
from fakturnik.app.offices import ClientRow, ConsoleFilter
from fakturnik.errors import InputError
from fakturnik.web.api.common import ERRORS, MAX_ID, WRITE_ERRORS, Body
from fakturnik.web.api.deps import Svc

router = APIRouter(tags=["biura rachunkowe"])
CompanyId = Annotated[int, Path(description="Id firmy (z GET /companies).", ge=1, le=MAX_ID)]
MAX_PEM = 64_000


class OfficeBody(Body):
    office_company_id: int = Field(ge=1, le=MAX_ID, description="Id firmy biura (z GET /companies).")


class ClientOut(BaseModel):
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

    @classmethod
    def of(cls, r: ClientRow) -> ClientOut:
        return cls(
            company_id=r.company_id,
            nip=r.nip,
            name=r.name,
            credential_kind=r.credential_kind,
            credential_label=r.credential_label,
            credential_expires=r.credential_expires,
            rights=list(r.rights),
            can_delegate=r.can_delegate,
            rights_checked_at=r.rights_checked_at,
            rights_source=r.rights_source,
            via_office=r.via_office,
            token_days_left=r.token_days_left,
            last_sync=r.last_sync,
            queued=r.queued,
            rejected=r.rejected,
            offline=r.offline,
            next_deadline=r.next_deadline,
            received_new=r.received_new,
            waiting_reason=r.waiting_reason,
            needs_attention=r.needs_attention,
        )


class ConsoleOut(BaseModel):
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


class CoworkerCertificateOut(BaseModel):
    credential_id: int
    user_id: int
    email: str
    name: str
    subject: str
    fingerprint: str
    not_after: datetime
    active: bool

    @classmethod
    def of(cls, c: CoworkerCertificateView) -> CoworkerCertificateOut:
        return cls(
            credential_id=c.credential_id,
            user_id=c.user_id,
            email=c.email,
            name=c.name,
            subject=c.subject,
            fingerprint=c.fingerprint,
            not_after=c.not_after,
            active=c.active,
        )


@router.put(
    "/companies/{company_id}/office",
    summary="Klient loguje się certyfikatem biura rachunkowego (nic nie jest kopiowane)",
    operation_id="useOfficeCredential",
    responses=WRITE_ERRORS,
    status_code=204,
)
def use_office(company_id: CompanyId, body: OfficeBody, svc: Svc) -> Response:
    svc.offices.use_office(company_id, body.office_company_id)
    return Response(status_code=204)


@router.delete(
    "/companies/{company_id}/office",
    summary="Klient wraca do własnych danych uwierzytelniających",
    operation_id="stopUsingOfficeCredential",
    responses=WRITE_ERRORS,
    status_code=204,
)
def stop_using_office(company_id: CompanyId, svc: Svc) -> Response:
    svc.offices.stop_using_office(company_id)
    return Response(status_code=204)


@router.get(
    "/companies/{company_id}/office/clients",
    summary="Konsola biura: wszyscy klienci w jednej tabeli",
    operation_id="officeConsole",
    responses=ERRORS,
)
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
    return ConsoleOut(
        office_id=view.office_id,
        office_nip=view.office_nip,
        office_name=view.office_name,
        office_credential_expires=view.office_credential_expires,
        rights_known=view.rights_known,
        rights_error=view.rights_error,
        clients=[ClientOut.of(r) for r in view.clients],
    )


@router.post(
    "/companies/{company_id}/office/sync",
    summary="Pobierz faktury otrzymane wszystkich (albo wybranych) klientów biura",
    operation_id="officeSyncAll",
    responses=WRITE_ERRORS,
)
def sync_all(company_id: CompanyId, svc: Svc, body: SyncBody | None = None) -> SyncOut:
    result = svc.offices.sync_all(company_id, body.client_ids if body is not None else None)
    return SyncOut(synced=dict(result.synced), failed=dict(result.failed))


@router.get(
    "/companies/{company_id}/coworkers/certificates",
    summary="Certyfikaty KSeF współpracowników firmy (bez kluczy)",
    operation_id="listCoworkerCertificates",
    responses=ERRORS,
)
def coworker_certificates(company_id: CompanyId, svc: Svc) -> list[CoworkerCertificateOut]:
    return [CoworkerCertificateOut.of(c) for c in svc.coworkers.certificates(company_id)]


@router.post(
    "/companies/{company_id}/coworkers/certificates",
    summary="Dodaj własny certyfikat KSeF współpracownika",
    operation_id="addCoworkerCertificate",
    responses=WRITE_ERRORS,
    status_code=201,
)
def add_coworker_certificate(
    company_id: CompanyId, body: CoworkerCertificateBody, svc: Svc
) -> CoworkerCertificateOut:
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


@router.get(
    "/companies/{company_id}/invoices/{invoice_id}/issuer",
    summary="Kto wystawił fakturę (dziennik zmian)",
    operation_id="invoiceIssuer",
    responses=ERRORS,
)
def issuer(
    company_id: CompanyId,
    invoice_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    svc: Svc,
) -> IssuerOut:
    return IssuerOut(issued_by=svc.coworkers.issued_by(company_id, invoice_id))
