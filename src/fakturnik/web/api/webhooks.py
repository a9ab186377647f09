"""Webhook subscriptions of a company and their delivery log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import Field

from fakturnik.app.webhooks import DeliveryView, SubscriptionView, WebhooksService
from fakturnik.web.api.common import MAX_ID, Body, CompanyId, Routes
from fakturnik.web.api.deps import Svc

router = APIRouter(tags=["webhooki"])
route = Routes(router)
SubId = Annotated[int, Path(description="Id subskrypcji.", ge=1, le=MAX_ID)]
Event = Literal[
    "invoice.accepted", "invoice.rejected", "invoice.offline", "invoice.deadline_near", "received.new"
]


def _service(request: Request, svc: Svc) -> WebhooksService:
    service = svc.webhooks
    service.allow_insecure_urls = bool(request.app.state.settings.webhooks_allow_private_targets)
    return service


class SubscriptionCreate(Body):
    url: str = Field(max_length=2048, examples=["https://erp.example.pl/fakturnik/webhook"])
    events: list[Event] = Field(
        min_length=1, max_length=5, examples=[["invoice.accepted", "invoice.rejected"]]
    )
    description: str = Field("", max_length=256)


class SubscriptionPatch(Body):
    url: str | None = Field(None, max_length=2048)
    events: list[Event] | None = Field(None, min_length=1, max_length=5)
    description: str | None = Field(None, max_length=256)
    active: bool | None = Field(None, description="true wznawia wstrzymaną subskrypcję, false ją wstrzymuje.")


class SubscriptionCreatedOut(Body):
    subscription: SubscriptionView
    secret: str = Field(description="Sekret podpisu HMAC-SHA256 (pokazywany raz).")


@route("GET", "/companies/{company_id}/webhooks", "listWebhooks")
def list_webhooks(company_id: CompanyId, request: Request, svc: Svc) -> list[SubscriptionView]:
    """Subskrypcje webhooków"""
    return _service(request, svc).list(company_id)


@route("POST", "/companies/{company_id}/webhooks", "createWebhook", status_code=201)
def create_webhook(
    company_id: CompanyId, body: SubscriptionCreate, request: Request, svc: Svc
) -> SubscriptionCreatedOut:
    """Subskrybuj zdarzenia (sekret podpisu pokazywany raz)

    Każde zdarzenie to POST JSON z nagłówkiem `Fakturnik-Signature: t=<unix>,v1=<hex>`, gdzie v1 =
    HMAC-SHA256(sekret, `<t>.` + treść). Dostarczanie co najmniej raz, ponowienia z rosnącym odstępem;
    subskrypcja, której adres stale nie odpowiada 2xx, zostaje wstrzymana.
    """
    created = _service(request, svc).create(
        company_id, url=body.url, events=list(body.events), description=body.description
    )
    return SubscriptionCreatedOut(subscription=created.subscription, secret=created.secret)


@route("GET", "/companies/{company_id}/webhooks/{subscription_id}", "getWebhook")
def get_webhook(
    company_id: CompanyId, subscription_id: SubId, request: Request, svc: Svc
) -> SubscriptionView:
    """Subskrypcja"""
    return _service(request, svc).get(company_id, subscription_id)


@route("PATCH", "/companies/{company_id}/webhooks/{subscription_id}", "updateWebhook")
def update_webhook(
    company_id: CompanyId, subscription_id: SubId, body: SubscriptionPatch, request: Request, svc: Svc
) -> SubscriptionView:
    """Zmień, wstrzymaj albo wznów subskrypcję"""
    return _service(request, svc).update(
        company_id,
        subscription_id,
        url=body.url,
        events=list(body.events) if body.events is not None else None,
        description=body.description,
        active=body.active,
    )


@route("DELETE", "/companies/{company_id}/webhooks/{subscription_id}", "deleteWebhook", status_code=204)
def delete_webhook(company_id: CompanyId, subscription_id: SubId, request: Request, svc: Svc) -> Response:
    """Usuń subskrypcję"""
    _service(request, svc).delete(company_id, subscription_id)
    return Response(status_code=204)


@route("GET", "/companies/{company_id}/webhooks/{subscription_id}/deliveries", "listWebhookDeliveries")
def deliveries(
    company_id: CompanyId,
    subscription_id: SubId,
    request: Request,
    svc: Svc,
    state: Literal["pending", "delivered", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[DeliveryView]:
    """Ostatnie dostarczenia z kodem odpowiedzi każdej próby"""
    return _service(request, svc).deliveries(company_id, subscription_id, limit=limit, state=state)
