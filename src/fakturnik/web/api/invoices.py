"""Issued invoices: create (JSON draft or FA(3) XML, Idempotency-Key), bulk, list, get, XML, UPO,
the session UPO, correction, payments."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import Field

from fakturnik.app.filters import DEFAULT_LIMIT, MAX_LIMIT, InvoiceFilter
from fakturnik.app.views import BulkItemResult, InvoicePage, InvoiceView, SessionUpoView, StatusChange
from fakturnik.web.api.common import (
    DRAFT_EXAMPLE,
    MAX_ID,
    XML_ANSWER,
    Body,
    CompanyId,
    Routes,
    fast_json,
    xml,
)
from fakturnik.web.api.deps import Svc
from fakturnik.web.api.problems import ApiProblem

router = APIRouter(tags=["faktury"])
route = Routes(router)
InvoiceId = Annotated[
    int, Path(description="Id faktury (z listy albo z odpowiedzi na wystawienie).", ge=1, le=MAX_ID)
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Ten sam klucz i ta sama treść → ta sama faktura (200); ten sam klucz, inna treść → 409.",
    ),
]
MAX_BULK = 1000
XML_TYPES = ("application/xml", "text/xml")

_INVOICE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "Szkic faktury w formie JSON (docs/fa3-json.md).",
                },
                "example": DRAFT_EXAMPLE,
            },
            "application/xml": {"schema": {"type": "string", "description": "Faktura FA(3) w XML."}},
        },
    }
}
_INVOICE_POST: dict[str, Any] = {
    "problems": {200: {"description": "Powtórzone żądanie z tym samym Idempotency-Key."}},
    "status_code": 201,
    "openapi_extra": _INVOICE_BODY,
}
"""``@route("POST", …, **_INVOICE_POST)``: an invoice document in (JSON draft or FA(3) XML), 201 with the
invoice out, 200 when an Idempotency-Key repeats a request."""


async def _invoice_input(request: Request) -> tuple[bytes | None, bytes | None]:
    """(JSON draft bytes, XML bytes) of the request body; a readable error for anything else."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    body = await request.body()
    if content_type in XML_TYPES:
        return None, body
    if content_type != "application/json":
        raise ApiProblem(
            415, "unsupported_media_type", "Obsługiwane typy treści: application/json, application/xml."
        )
    try:
        loaded = json.loads(body, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiProblem(400, "malformed_json", "Treść żądania nie jest poprawnym JSON.") from None
    if not isinstance(loaded, dict):
        raise ApiProblem(422, "invalid_request", "Oczekiwano obiektu JSON (szkicu faktury).")
    return body, None


def _answer(response: Response, result: Any) -> InvoiceView:
    response.status_code = 200 if result.replayed else 201
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = (
        f"/api/v1/companies/{result.invoice.company_id}/invoices/{result.invoice.id}"
    )
    invoice: InvoiceView = result.invoice
    return invoice


@route("POST", "/companies/{company_id}/invoices", "issueInvoice", **_INVOICE_POST)
async def issue_invoice(
    company_id: CompanyId,
    request: Request,
    response: Response,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
    urgent: Annotated[bool, Query(description="Wyślij od razu w sesji interaktywnej.")] = False,
) -> InvoiceView:
    """Wystaw fakturę (szkic JSON albo XML FA(3)) — zapis i kolejka do KSeF w jednej transakcji"""
    draft, xml = await _invoice_input(request)
    result = await _run(
        svc.invoices.issue, company_id, draft, xml=xml, idempotency_key=idempotency_key, urgent=urgent
    )
    return _answer(response, result)


async def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """App services are synchronous (one database transaction each): run them off the event loop."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args, **kwargs)


class BulkRequest(Body):
    items: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BULK,
        description="Szkice faktur JSON (najwyżej 1000).",
        examples=[[DRAFT_EXAMPLE]],
    )
    idempotency_keys: list[str | None] | None = Field(
        None, description="Klucz idempotencji każdej pozycji (ta sama długość co items)."
    )


class BulkOut(Body):
    ok_count: int
    failed_count: int
    items: list[BulkItemResult]


@route("POST", "/companies/{company_id}/invoices/bulk", "issueInvoicesBulk", response_model=BulkOut)
def issue_bulk(company_id: CompanyId, body: BulkRequest, svc: Svc) -> Response:
    """Wystaw wiele faktur (do 1000): wynik dla każdej pozycji

    Pozycje są zapisywane w porcjach, każda porcja jedną transakcją; błędna pozycja nie blokuje innych.
    """
    keys = body.idempotency_keys
    if keys is not None and len(keys) != len(body.items):
        raise ApiProblem(422, "invalid_request", "idempotency_keys musi mieć tyle pozycji co items.")
    result = svc.invoices.issue_many(company_id, body.items, idempotency_keys=keys)
    out = BulkOut.model_construct(
        ok_count=result.ok_count, failed_count=result.failed_count, items=list(result.items)
    )
    return fast_json(BulkOut, out)


Status = Literal["queued", "sending", "sent", "uncertain", "accepted", "rejected", "offline"]


@route("GET", "/companies/{company_id}/invoices", "listInvoices", response_model=InvoicePage)
def list_invoices(
    company_id: CompanyId,
    svc: Svc,
    status: Annotated[list[Status] | None, Query(description="Jeden lub więcej statusów.")] = None,
    kind: Annotated[list[str] | None, Query(max_length=10)] = None,
    issue_from: date | None = None,
    issue_to: date | None = None,
    sale_from: date | None = None,
    sale_to: date | None = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-12"])] = None,
    buyer_nip: Annotated[str | None, Query(max_length=32)] = None,
    number: Annotated[str | None, Query(max_length=256)] = None,
    ksef_number: Annotated[str | None, Query(max_length=64)] = None,
    paid: Literal["paid", "unpaid", "overdue", "partly_paid"] | None = None,
    issued_by: Annotated[
        Literal["company", "buyer"] | None,
        Query(
            description="company: wystawione przez firmę; buyer: wystawione w jej imieniu przez nabywcę "
            "(samofakturowanie), pobrane z KSeF."
        ),
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Szukaj: numer, numer KSeF, nazwa, NIP.")
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor z poprzedniej strony.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    with_totals: bool = False,
) -> Response:
    """Lista faktur wystawionych z filtrami i stronicowaniem (kursor)

    Sprzedaż firmy, także faktury wystawione w jej imieniu przez nabywcę (samofakturowanie):
    `issued_by_buyer` = true, `issued_by=buyer` wybiera tylko je.
    """
    flt = InvoiceFilter(
        status=tuple(status or ()),
        kind=tuple(kind or ()),
        issue_from=issue_from,
        issue_to=issue_to,
        sale_from=sale_from,
        sale_to=sale_to,
        month=month,
        buyer_nip=buyer_nip,
        number=number,
        ksef_number=ksef_number,
        paid=paid,
        issued_by=issued_by,
        q=q,
    )
    page = svc.invoices.list(company_id, flt, cursor=cursor, limit=limit, with_totals=with_totals)
    return fast_json(InvoicePage, page)


@route("GET", "/companies/{company_id}/invoices/{invoice_id}", "getInvoice")
def get_invoice(company_id: CompanyId, invoice_id: InvoiceId, svc: Svc) -> InvoiceView:
    """Faktura: status i historia, numer KSeF, UPO, termin offline, błąd KSeF"""
    return svc.invoices.get(company_id, invoice_id)


@route("GET", "/companies/{company_id}/invoices/{invoice_id}/history", "getInvoiceHistory")
def invoice_history(company_id: CompanyId, invoice_id: InvoiceId, svc: Svc) -> list[StatusChange]:
    """Historia statusów faktury"""
    return list(svc.invoices.history(company_id, invoice_id))


@route("GET", "/companies/{company_id}/invoices/{invoice_id}/xml", "getInvoiceXml", **XML_ANSWER)
def invoice_xml(company_id: CompanyId, invoice_id: InvoiceId, svc: Svc) -> Response:
    """XML FA(3) faktury"""
    return xml(svc.invoices.xml(company_id, invoice_id))


@route("GET", "/companies/{company_id}/invoices/{invoice_id}/upo", "getInvoiceUpo", **XML_ANSWER)
def invoice_upo(company_id: CompanyId, invoice_id: InvoiceId, svc: Svc) -> Response:
    """UPO (urzędowe poświadczenie odbioru) faktury"""
    return xml(svc.invoices.upo(company_id, invoice_id))


_SESSION_UPO_EXAMPLE = """<?xml version="1.0" encoding="utf-8"?>
<Potwierdzenie xmlns="http://upo.schematy.mf.gov.pl/KSeF/v4-3">
  <NazwaPodmiotuPrzyjmujacego>Ministerstwo Finansów</NazwaPodmiotuPrzyjmujacego>
  <NumerReferencyjnySesji>20261207-SO-0A1B2C3D4E-5F6A7B8C9D-0E</NumerReferencyjnySesji>
  <OpisPotwierdzenia><Strona>1</Strona><LiczbaStron>1</LiczbaStron>
    <ZakresDokumentowOd>1</ZakresDokumentowOd><ZakresDokumentowDo>1</ZakresDokumentowDo>
    <CalkowitaLiczbaDokumentow>1</CalkowitaLiczbaDokumentow></OpisPotwierdzenia>
  <Dokument>
    <NipSprzedawcy>5265877635</NipSprzedawcy>
    <NumerKSeFDokumentu>5265877635-20261207-0100A1B2C3D4-5E</NumerKSeFDokumentu>
    <NumerFaktury>FV/2026/12/0001</NumerFaktury>
    <DataWystawieniaFaktury>2026-12-07</DataWystawieniaFaktury>
    <TrybWysylki>Online</TrybWysylki>
  </Dokument>
</Potwierdzenie>"""
_SESSION_UPO_XML: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/xml": {"schema": {"type": "string"}, "example": _SESSION_UPO_EXAMPLE}},
        "description": "Strona UPO sesji (XML, jak wydał ją KSeF), która potwierdza tę fakturę.",
    }
}
SessionUpoPage = Annotated[
    int | None,
    Query(
        ge=1,
        le=100_000,
        description="Numer strony UPO sesji (UPO dużej sesji wsadowej ma strony); "
        "domyślnie strona z tą fakturą.",
    ),
]


@route(
    "GET",
    "/companies/{company_id}/invoices/{invoice_id}/session-upo",
    "getInvoiceSessionUpo",
    problems=_SESSION_UPO_XML,
    response_class=Response,
)
def invoice_session_upo(
    company_id: CompanyId, invoice_id: InvoiceId, svc: Svc, page: SessionUpoPage = None
) -> Response:
    """UPO sesji KSeF, w której wysłano fakturę (XML)

    Zbiorcze UPO sesji interaktywnej albo wsadowej, w której KSeF przyjął fakturę: strona, na której jest ta
    faktura (albo `page`). 404 (problem details), dopóki KSeF go nie wydał: UPO sesji powstaje po jej
    zamknięciu, a faktura musi mieć numer KSeF.
    """
    return xml(svc.invoices.session_upo_xml(company_id, invoice_id, page))


@route("GET", "/companies/{company_id}/invoices/{invoice_id}/session-upo/pages", "getInvoiceSessionUpoPages")
def invoice_session_upo_pages(company_id: CompanyId, invoice_id: InvoiceId, svc: Svc) -> SessionUpoView:
    """UPO sesji KSeF faktury: numer sesji, daty, strony

    Sesja, w której wysłano fakturę, i strony jej UPO (numer referencyjny, skrót, rozmiar, czy strona
    potwierdza tę fakturę). 404, dopóki KSeF nie wydał UPO sesji.
    """
    return svc.invoices.session_upo(company_id, invoice_id)


@route("GET", "/companies/{company_id}/invoices/{invoice_id}/correction-draft", "getCorrectionDraft")
def correction_draft(
    company_id: CompanyId, invoice_id: InvoiceId, svc: Svc, reason: Annotated[str, Query(max_length=256)] = ""
) -> dict[str, Any]:
    """Szkic faktury korygującej (pozycje przed i po)"""
    return svc.invoices.correction_draft(company_id, invoice_id, reason=reason)


@route("POST", "/companies/{company_id}/invoices/{invoice_id}/corrections", "correctInvoice", **_INVOICE_POST)
async def correct_invoice(
    company_id: CompanyId,
    invoice_id: InvoiceId,
    request: Request,
    response: Response,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> InvoiceView:
    """Wystaw fakturę korygującą do tej faktury (szkic z correction-draft albo XML)"""
    draft, xml = await _invoice_input(request)
    result = await _run(
        svc.invoices.correct, company_id, invoice_id, draft, xml=xml, idempotency_key=idempotency_key
    )
    return _answer(response, result)


class PaymentBody(Body):
    amount: Decimal | None = Field(
        None, gt=0, max_digits=18, decimal_places=2, description="Kwota zapłacona; brak = cała kwota brutto."
    )
    paid_at: date | None = Field(None, description="Data zapłaty (domyślnie dziś).")


@route("PUT", "/companies/{company_id}/invoices/{invoice_id}/payment", "recordPayment")
def record_payment(company_id: CompanyId, invoice_id: InvoiceId, body: PaymentBody, svc: Svc) -> InvoiceView:
    """Zapisz zapłatę (całość albo część)"""
    return svc.invoices.record_payment(company_id, invoice_id, body.amount, body.paid_at)


@route("DELETE", "/companies/{company_id}/invoices/{invoice_id}/payment", "clearPayment")
def clear_payment(company_id: CompanyId, invoice_id: InvoiceId, svc: Svc) -> InvoiceView:
    """Usuń zapis zapłaty"""
    svc.invoices.clear_payment(company_id, invoice_id)
    return svc.invoices.get(company_id, invoice_id)
