"""Collective identifiers (KSeF API 2.7): a buyer's unpaid invoices, one identifier for them through KSeF,
the sellers' identifiers for received invoices, and payment lists (CSV, Elixir-O). Thin over
``fakturnik.app.collective``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from fakturnik.app.collective import BuyerDues, CollectiveView, ReceivedIdentifierView
from fakturnik.web.api.common import MAX_ID, WRITE_ERRORS, Body, CompanyId, Routes
from fakturnik.web.api.deps import Svc

router = APIRouter(tags=["identyfikatory zbiorcze"])
route = Routes(router)
_KSEF: dict[int | str, dict[str, Any]] = {
    502: {**WRITE_ERRORS[409], "description": "KSeF nie odpowiada albo odmówił (treść po polsku w `detail`)."}
}


@route("GET", "/companies/{company_id}/collective/dues", "listCollectiveDues")
def dues(
    company_id: CompanyId,
    svc: Svc,
    buyer: Annotated[str | None, Query(max_length=64, description="NIP nabywcy (tylko ten nabywca).")] = None,
) -> list[BuyerDues]:
    """Niezapłacone faktury z numerem KSeF, według nabywców"""
    return svc.collective.dues(company_id, buyer)


class CreateBody(Body):
    buyer_id: str = Field(min_length=1, max_length=64, description="NIP nabywcy.", examples=["7740001454"])
    invoice_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None,
        max_length=500,
        description="Wybrane faktury (domyślnie: wszystkie niezapłacone faktury nabywcy z numerem KSeF).",
    )


@route(
    "POST",
    "/companies/{company_id}/collective-identifiers",
    "createCollectiveIdentifier",
    problems=_KSEF,
    status_code=201,
)
def create(company_id: CompanyId, body: CreateBody, svc: Svc) -> CollectiveView:
    """Utwórz identyfikator zbiorczy w KSeF dla niezapłaconych faktur nabywcy

    Jeden przelew za wiele faktur: KSeF nadaje identyfikator (NIP-IZRRRRMM-…), zapisany tu z kwotą do zapłaty
    (to, co z każdej faktury pozostało niezapłacone).
    """
    return svc.collective.create(company_id, body.buyer_id, body.invoice_ids)


@route("GET", "/companies/{company_id}/collective-identifiers", "listCollectiveIdentifiers")
def created(company_id: CompanyId, svc: Svc) -> list[CollectiveView]:
    """Identyfikatory zbiorcze utworzone przez firmę"""
    return svc.collective.created(company_id)


@route(
    "GET",
    "/companies/{company_id}/collective-identifiers/received",
    "listReceivedCollectiveIdentifiers",
    problems=_KSEF,
)
def received(
    company_id: CompanyId,
    svc: Svc,
    since: Annotated[datetime | None, Query(description="Utworzone od (najwyżej 100 dni wstecz).")] = None,
) -> list[ReceivedIdentifierView]:
    """Identyfikatory zbiorcze utworzone przez sprzedawców dla faktur otrzymanych

    Z KSeF (ostatnie 100 dni, albo od `since`), z fakturami dopasowanymi do faktur otrzymanych.
    """
    return svc.collective.received(company_id, since=since)


@route("GET", "/companies/{company_id}/collective-identifiers/{number}", "getCollectiveIdentifier")
def get(
    company_id: CompanyId, number: Annotated[str, Path(min_length=1, max_length=40)], svc: Svc
) -> CollectiveView:
    """Identyfikator zbiorczy utworzony przez firmę"""
    return svc.collective.get(company_id, number)


class PaymentListBody(Body):
    identifiers: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list,
        max_length=100,
        description="Identyfikatory zbiorcze sprzedawców (tytuł przelewu).",
    )
    invoice_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list,
        max_length=1000,
        description="Faktury otrzymane (numery KSeF w tytule, do czterech).",
    )
    format: Literal["csv", "elixir"] = Field(
        "csv", description="CSV (arkusz) albo Elixir-O (import do banku)."
    )
    execution_date: date | None = Field(
        None, description="Data wykonania przelewów (Elixir-O); domyślnie dziś."
    )


@route(
    "POST",
    "/companies/{company_id}/payment-list",
    "exportPaymentList",
    problems={
        **_KSEF,
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
            "description": "Plik listy przelewów.",
        },
    },
    response_class=Response,
)
def payment_list(company_id: CompanyId, body: PaymentListBody, svc: Svc) -> Response:
    """Lista przelewów za faktury otrzymane (CSV albo Elixir-O)"""
    out = svc.collective.payment_list(
        company_id,
        identifiers=body.identifiers,
        invoice_ids=body.invoice_ids,
        format=body.format,
        execution_date=body.execution_date,
    )
    return Response(
        out.content,
        media_type=out.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{out.filename}"',
            "X-Transfers": str(out.transfers),
            "X-Total": f"{out.total:.2f}",
        },
    )
