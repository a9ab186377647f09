"""API keys of a company: created with scopes (shown once), listed, revoked."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import Field

from fakturnik.app.views import ApiKeyView
from fakturnik.web.api.common import ERRORS, MAX_ID, WRITE_ERRORS, Body
from fakturnik.web.api.deps import Svc

router = APIRouter(tags=["klucze API"])
CompanyId = Annotated[int, Path(description="Id firmy.", ge=1, le=MAX_ID)]
Scope = Literal["invoices:write", "invoices:read", "received:read", "company:admin"]


class KeyCreate(Body):
    name: str = Field(min_length=1, max_length=128, examples=["ERP"])
    scopes: list[Scope] = Field(min_length=1, max_length=4, examples=[["invoices:write", "invoices:read"]])


class KeyCreated(Body):
    key: ApiKeyView
    token: str = Field(description="Cały klucz — pokazywany tylko raz; zapisany jest tylko jego skrót.")


@router.get(
    "/companies/{company_id}/api-keys",
    operation_id="listApiKeys",
    summary="Klucze API firmy",
    responses=ERRORS,
)
def list_keys(company_id: CompanyId, svc: Svc) -> list[ApiKeyView]:
    return list(svc.api_keys.list(company_id))


@router.post(
    "/companies/{company_id}/api-keys",
    status_code=201,
    operation_id="createApiKey",
    summary="Utwórz klucz API (pokazywany raz)",
    responses=WRITE_ERRORS,
)
def create_key(company_id: CompanyId, body: KeyCreate, svc: Svc) -> KeyCreated:
    created = svc.api_keys.create(company_id, body.name, tuple(dict.fromkeys(body.scopes)))
    return KeyCreated(key=created.key, token=created.token)


@router.delete(
    "/companies/{company_id}/api-keys/{key_id}",
    status_code=204,
    operation_id="revokeApiKey",
    summary="Unieważnij klucz API",
    responses=WRITE_ERRORS,
)
def revoke_key(company_id: CompanyId, key_id: Annotated[int, Path(ge=1, le=MAX_ID)], svc: Svc) -> Response:
    svc.api_keys.revoke(company_id, key_id)
    return Response(status_code=204)
