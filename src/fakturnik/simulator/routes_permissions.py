"""KSeF 2.0 API: permission grants, revokes, operation status and queries (digest §3.5, §11)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from fakturnik.simulator import grant_rules as rules
from fakturnik.simulator import permission_models as m
from fakturnik.simulator import permission_queries as q
from fakturnik.simulator.core import Simulator, sim_of
from fakturnik.simulator.errors import ApiError, gone
from fakturnik.simulator.grants import GrantRefused, attachment_allowed, operation_status, submit_operation
from fakturnik.simulator.security import Caller, require

router = APIRouter()

MANAGE = ["CredentialsManage"]
READ = ["CredentialsManage", "CredentialsRead"]
NIP_CONTEXTS = ["Nip", "InternalId"]
PageOffset = Annotated[int, Query(ge=0, le=2**31 - 1)]
PageSize = Annotated[int, Query(ge=10, le=100)]


def _grant(sim: Simulator, caller: Caller, build: Callable[[], list[dict[str, Any]]]) -> JSONResponse:
    try:
        grants = build()
    except GrantRefused as refused:
        ref = submit_operation(sim, caller, failure=refused)
    else:
        ref = submit_operation(sim, caller, add=grants)
    return JSONResponse({"referenceNumber": ref}, status_code=202)


GrantRule = Callable[[Simulator, Caller, Any], list[dict[str, Any]]]


def _grant_route(
    name: str, body_model: type[Any], rule: GrantRule, needs: Any
) -> Callable[..., JSONResponse]:
    """The route of one kind of grant: the caller's rights checked by ``needs``, the body parsed as
    ``body_model``, the documents made by ``rule`` and submitted as one operation (202)."""

    def route(caller: Caller, body: Any, request: Request) -> JSONResponse:
        sim = sim_of(request)
        return _grant(sim, caller, lambda: rule(sim, caller, body))

    route.__name__ = route.__qualname__ = name  # the operation's name in the OpenAPI document
    route.__annotations__ = {
        "caller": Annotated[Caller, Depends(needs)],
        "body": body_model,
        "request": Request,
        "return": JSONResponse,
    }
    return route


# (path, function name, body, rule, the caller's rights) of every grant request
GRANT_ROUTES: tuple[tuple[str, str, type[Any], GrantRule, Any], ...] = (
    ("/permissions/persons/grants", "grant_persons", m.PersonGrantRequest, rules.person_grants,
     require("other", MANAGE, context_types=[*NIP_CONTEXTS, "NipVatUe"])),
    ("/permissions/entities/grants", "grant_entities", m.EntityGrantRequest, rules.entity_grants,
     require("other", MANAGE, context_types=NIP_CONTEXTS)),
    ("/permissions/authorizations/grants", "grant_authorizations", m.AuthorizationGrantRequest,
     rules.authorization_grant, require("other", MANAGE, context_types=["Nip"])),
    ("/permissions/indirect/grants", "grant_indirect", m.IndirectGrantRequest, rules.indirect_grants,
     require("other", MANAGE, context_types=["Nip"])),
    ("/permissions/subunits/grants", "grant_subunits", m.SubunitGrantRequest, rules.subunit_grant,
     require("other", ["SubunitManage"], context_types=["Nip"])),
    ("/permissions/eu-entities/administration/grants", "grant_eu_administration", m.EuAdminGrantRequest,
     rules.eu_admin_grants, require("other", MANAGE, context_types=["Nip"])),
    ("/permissions/eu-entities/grants", "grant_eu_entities", m.EuRepGrantRequest, rules.eu_rep_grants,
     require("other", ["VatUeManage"], context_types=["NipVatUe"])),
)  # fmt: skip
for _path, _name, _model, _rule, _needs in GRANT_ROUTES:
    router.post(_path)(_grant_route(_name, _model, _rule, _needs))


def _revoke(sim: Simulator, caller: Caller, permission_id: str, kinds: frozenset[str]) -> JSONResponse:
    try:
        grant = rules.revocable(sim, caller, permission_id, kinds)
    except GrantRefused as refused:
        ref = submit_operation(sim, caller, failure=refused)
    else:
        ref = submit_operation(sim, caller, delete=[grant["id"]])
    return JSONResponse({"referenceNumber": ref}, status_code=202)


@router.delete("/permissions/common/grants/{permissionId}")
def revoke_common(
    caller: Annotated[
        Caller, Depends(require("other", ["CredentialsManage", "VatUeManage", "SubunitManage"]))
    ],
    permissionId: str,
    request: Request,
) -> JSONResponse:
    _check_id(permissionId)
    return _revoke(sim_of(request), caller, permissionId, rules.REVOCABLE_COMMON)


@router.delete("/permissions/authorizations/grants/{permissionId}")
def revoke_authorization(
    caller: Annotated[Caller, Depends(require("other", MANAGE))],
    permissionId: str,
    request: Request,
) -> JSONResponse:
    _check_id(permissionId)
    return _revoke(sim_of(request), caller, permissionId, frozenset({"authorization"}))


def _check_id(value: str) -> None:
    if len(value) != 36:
        raise ApiError(21405, "permissionId: identyfikator uprawnienia ma 36 znaków.")


OPERATION_RETENTION = timedelta(days=30)


@router.get("/permissions/operations/{referenceNumber}", response_model=None)
def permission_operation(
    caller: Annotated[Caller, Depends(require("other"))],
    referenceNumber: str,
    request: Request,
) -> dict[str, Any] | JSONResponse:
    sim = sim_of(request)
    op = sim.state.get("permission_op", referenceNumber)
    if op is None or op["contextKey"] != caller.context_key:
        raise ApiError(21405, f"Operacja {referenceNumber} nie istnieje.")
    if datetime.fromisoformat(op["created"]) < sim.now() - OPERATION_RETENTION:
        return gone(request, sim.now())
    status = operation_status(sim, referenceNumber)
    return {"status": status}


@router.get("/permissions/attachments/status")
def attachments_status(
    request: Request, caller: Annotated[Caller, Depends(require("other", READ))]
) -> dict[str, Any]:
    sim = sim_of(request)
    nip = caller.context_value[:10]
    doc = sim.state.get("attachment", nip) or {}
    out: dict[str, Any] = {"isAttachmentAllowed": attachment_allowed(sim, nip)}
    if doc.get("revokedDate"):
        out["revokedDate"] = doc["revokedDate"]
    return out


# -- queries --------------------------------------------------------------------------------------


@router.post("/permissions/query/personal/grants")
def query_personal(
    caller: Annotated[Caller, Depends(require("other"))],
    request: Request,
    pageOffset: PageOffset = 0,
    pageSize: PageSize = 10,
    body: m.PersonalQuery | None = None,
) -> dict[str, Any]:
    items = q.personal(sim_of(request), caller, body or m.PersonalQuery())
    return q.page("permissions", items, pageOffset, pageSize)


@router.post("/permissions/query/persons/grants")
def query_persons(
    caller: Annotated[Caller, Depends(require("other", [*READ, "SubunitManage"]))],
    body: m.PersonsQuery,
    request: Request,
    pageOffset: PageOffset = 0,
    pageSize: PageSize = 10,
) -> dict[str, Any]:
    return q.page("permissions", q.persons(sim_of(request), caller, body), pageOffset, pageSize)


@router.post("/permissions/query/subunits/grants")
def query_subunits(
    caller: Annotated[Caller, Depends(require("other", [*READ, "SubunitManage"]))],
    request: Request,
    pageOffset: PageOffset = 0,
    pageSize: PageSize = 10,
    body: m.SubunitsQuery | None = None,
) -> dict[str, Any]:
    items = q.subunits(sim_of(request), caller, body or m.SubunitsQuery())
    return q.page("permissions", items, pageOffset, pageSize)


@router.post("/permissions/query/entities/grants")
def query_entities(
    caller: Annotated[Caller, Depends(require("other", READ))],
    request: Request,
    pageOffset: PageOffset = 0,
    pageSize: PageSize = 10,
    body: m.EntitiesQuery | None = None,
) -> dict[str, Any]:
    items = q.entities(sim_of(request), caller, body or m.EntitiesQuery())
    return q.page("permissions", items, pageOffset, pageSize)


@router.get("/permissions/query/entities/roles")
def query_entity_roles(
    caller: Annotated[Caller, Depends(require("other", READ))],
    request: Request,
    pageOffset: PageOffset = 0,
    pageSize: PageSize = 10,
) -> dict[str, Any]:
    return q.page("roles", q.entity_roles(sim_of(request), caller), pageOffset, pageSize)


@router.post("/permissions/query/subordinate-entities/roles")
def query_subordinate_roles(
    caller: Annotated[Caller, Depends(require("other", [*READ, "SubunitManage"]))],
    request: Request,
    pageOffset: PageOffset = 0,
    pageSize: PageSize = 10,
    body: m.SubordinatesQuery | None = None,
) -> dict[str, Any]:
    items = q.subordinate_roles(sim_of(request), caller, body or m.SubordinatesQuery())
    return q.page("roles", items, pageOffset, pageSize)


@router.post("/permissions/query/authorizations/grants")
def query_authorizations(
    caller: Annotated[Caller, Depends(require("other", [*READ, "PefInvoiceWrite"]))],
    body: m.AuthorizationsQuery,
    request: Request,
    pageOffset: PageOffset = 0,
    pageSize: PageSize = 10,
) -> dict[str, Any]:
    items = q.authorizations(sim_of(request), caller, body)
    return q.page("authorizationGrants", items, pageOffset, pageSize)


@router.post("/permissions/query/eu-entities/grants")
def query_eu_entities(
    caller: Annotated[Caller, Depends(require("other", [*READ, "VatUeManage"]))],
    request: Request,
    pageOffset: PageOffset = 0,
    pageSize: PageSize = 10,
    body: m.EuEntitiesQuery | None = None,
) -> dict[str, Any]:
    items = q.eu_entities(sim_of(request), caller, body or m.EuEntitiesQuery())
    return q.page("permissions", items, pageOffset, pageSize)
