"""Received invoices (downloaded from KSeF): list, get, XML, mark booked, payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from fakturnik.app.filters import DEFAULT_LIMIT, MAX_LIMIT, InvoiceFilter
from fakturnik.app.received import ReceivedWarnings
from fakturnik.app.views import InvoicePage, InvoiceView
from fakturnik.web.api.common import MAX_ID, XML_ANSWER, Body, CompanyId, Routes, fast_json, xml
from fakturnik.web.api.deps import Svc

router = APIRouter(tags=["faktury otrzymane"])
route = Routes(router)
InvoiceId = Annotated[int, Path(description="Id faktury otrzymanej.", ge=1, le=MAX_ID)]


class ReceivedQuery(BaseModel):
    """The list's filters (query parameters): the fields of the app's ``InvoiceFilter`` it offers."""

    issue_from: date | None = None
    issue_to: date | None = None
    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$")
    seller_nip: str | None = Field(None, max_length=32)
    number: str | None = Field(None, max_length=256)
    ksef_number: str | None = Field(None, max_length=64)
    paid: Literal["paid", "unpaid", "overdue", "partly_paid"] | None = None
    booked: bool | None = None
    q: str | None = Field(None, max_length=200)


@route("GET", "/companies/{company_id}/received", "listReceived", response_model=InvoicePage)
def list_received(
    company_id: CompanyId,
    svc: Svc,
    query: Annotated[ReceivedQuery, Query()],
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Response:
    """Lista faktur otrzymanych"""
    flt = InvoiceFilter(**query.model_dump())
    return fast_json(InvoicePage, svc.received.list(company_id, flt, cursor=cursor, limit=limit))


@route("GET", "/companies/{company_id}/received/{invoice_id}", "getReceived")
def get_received(company_id: CompanyId, invoice_id: InvoiceId, svc: Svc) -> InvoiceView:
    """Faktura otrzymana"""
    return svc.received.get(company_id, invoice_id)


@route("GET", "/companies/{company_id}/received/{invoice_id}/warnings", "getReceivedWarnings")
def received_warnings(company_id: CompanyId, invoice_id: InvoiceId, svc: Svc) -> ReceivedWarnings:
    """Ostrzeżenia faktury otrzymanej, według tego, kto się sprzeciwia

    Faktura otrzymana nigdy nie jest odrzucana za to, co KSeF przyjął: jest zapisana, a tu są jej ostrzeżenia
    w grupach: sprawdzenia KSeF, ustawa o VAT, kwoty.
    """
    return svc.received.warnings(company_id, invoice_id)


@route("GET", "/companies/{company_id}/received/{invoice_id}/xml", "getReceivedXml", **XML_ANSWER)
def received_xml(company_id: CompanyId, invoice_id: InvoiceId, svc: Svc) -> Response:
    """XML FA(3) faktury otrzymanej"""
    return xml(svc.received.xml(company_id, invoice_id))


class BookedBody(Body):
    booked: bool = True


@route("PUT", "/companies/{company_id}/received/{invoice_id}/booked", "markReceivedBooked")
def mark_booked(company_id: CompanyId, invoice_id: InvoiceId, body: BookedBody, svc: Svc) -> InvoiceView:
    """Oznacz jako zaksięgowaną (albo cofnij)"""
    return svc.received.mark_booked(company_id, invoice_id, booked=body.booked)


class ReceivedPayment(Body):
    amount: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=2)
    paid_at: date | None = None


@route("PUT", "/companies/{company_id}/received/{invoice_id}/payment", "recordReceivedPayment")
def received_payment(
    company_id: CompanyId, invoice_id: InvoiceId, body: ReceivedPayment, svc: Svc
) -> InvoiceView:
    """Zapisz zapłatę faktury otrzymanej"""
    return svc.received.record_payment(company_id, invoice_id, body.amount, body.paid_at)
