"""API keys of a company: created with scopes (shown once), listed, revoked."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import Field

from fakturnik.app.views import ApiKeyView
from fakturnik.web.api.common import MAX_ID, Body, CompanyId, Routes
from fakturnik.web.api.deps import Svc

router = APIRouter(tags=["klucze API"])
route = Routes(router)
Scope = Literal["invoices:write", "invoices:read", "received:read", "company:admin"]


class KeyCreate(Body):
    name: str = Field(min_length=1, max_length=128, examples=["ERP"])
    scopes: list[Scope] = Field(min_length=1, max_length=4, examples=[["invoices:write", "invoices:read"]])


class KeyCreated(Body):
    key: ApiKeyView
    token: str = Field(description="Cały klucz — pokazywany tylko raz; zapisany jest tylko jego skrót.")


@route("GET", "/companies/{company_id}/api-keys", "listApiKeys")
def list_keys(company_id: CompanyId, svc: Svc) -> list[ApiKeyView]:
    """Klucze API firmy"""
    return list(svc.api_keys.list(company_id))


@route("POST", "/companies/{company_id}/api-keys", "createApiKey", status_code=201)
def create_key(company_id: CompanyId, body: KeyCreate, svc: Svc) -> KeyCreated:
    """Utwórz klucz API (pokazywany raz)"""
    created = svc.api_keys.create(company_id, body.name, tuple(dict.fromkeys(body.scopes)))
    return KeyCreated(key=created.key, token=created.token)


@route("DELETE", "/companies/{company_id}/api-keys/{key_id}", "revokeApiKey", status_code=204)
def revoke_key(company_id: CompanyId, key_id: Annotated[int, Path(ge=1, le=MAX_ID)], svc: Svc) -> Response:
    """Unieważnij klucz API"""
    svc.api_keys.revoke(company_id, key_id)
    return Response(status_code=204)
