"""KSeF 2.0 API: permission grants, revokes, operation status and queries (digest §3.5, §11)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from fakturnik.simulator import grant_rules as rules
from fakturnik.simulator import permission_models as m
from fakturnik.simulator import permission_queries as q
from fakturnik.simulator.core import Sim, Simulator, sim_of
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
    sim: Sim,
) -> JSONResponse:
    _check_id(permissionId)
    return _revoke(sim, caller, permissionId, rules.REVOCABLE_COMMON)


@router.delete("/permissions/authorizations/grants/{permissionId}")
def revoke_authorization(
    caller: Annotated[Caller, Depends(require("other", MANAGE))],
    permissionId: str,
    sim: Sim,
) -> JSONResponse:
    _check_id(permissionId)
    return _revoke(sim, caller, permissionId, frozenset({"authorization"}))


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
    sim: Sim, caller: Annotated[Caller, Depends(require("other", READ))]
) -> dict[str, Any]:
    nip = caller.context_value[:10]
    doc = sim.state.get("attachment", nip) or {}
    out: dict[str, Any] = {"isAttachmentAllowed": attachment_allowed(sim, nip)}
    if doc.get("revokedDate"):
        out["revokedDate"] = doc["revokedDate"]
    return out


# -- queries --------------------------------------------------------------------------------------


QueryRule = Callable[[Simulator, Caller, Any], list[dict[str, Any]]]


def _query_route(
    name: str, key: str, query: QueryRule, needs: Any, filters: type[Any] | None, required: bool
) -> Callable[..., dict[str, Any]]:
    """The route of one permission listing: the caller's rights checked by ``needs``, the body parsed
    as ``filters`` (none, optional or ``required``), one page of what ``query`` finds, under ``key``."""

    def route(
        caller: Caller, request: Request, pageOffset: int, pageSize: int, body: Any = None
    ) -> dict[str, Any]:
        if body is None and filters is not None:
            body = filters()
        return q.page(key, query(sim_of(request), caller, body), pageOffset, pageSize)

    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("caller", keyword, annotation=Annotated[Caller, Depends(needs)]),
        inspect.Parameter("request", keyword, annotation=Request),
        inspect.Parameter("pageOffset", keyword, annotation=PageOffset, default=0),
        inspect.Parameter("pageSize", keyword, annotation=PageSize, default=10),
    ]
    if filters is not None:
        optional: Any = filters
        param = (
            inspect.Parameter("body", keyword, annotation=filters)
            if required
            else inspect.Parameter("body", keyword, annotation=optional | None, default=None)
        )
        params.append(param)
    route.__name__ = route.__qualname__ = name  # the operation's name in the OpenAPI document
    route.__signature__ = inspect.Signature(params, return_annotation=dict[str, Any])  # type: ignore[attr-defined]
    return route


# (method, path, function name, key of the list, query, the caller's rights, filters, filters required)
QUERY_ROUTES: tuple[tuple[str, str, str, str, QueryRule, Any, type[Any] | None, bool], ...] = (
    ("post", "/permissions/query/personal/grants", "query_personal", "permissions", q.personal,
     require("other"), m.PersonalQuery, False),
    ("post", "/permissions/query/persons/grants", "query_persons", "permissions", q.persons,
     require("other", [*READ, "SubunitManage"]), m.PersonsQuery, True),
    ("post", "/permissions/query/subunits/grants", "query_subunits", "permissions", q.subunits,
     require("other", [*READ, "SubunitManage"]), m.SubunitsQuery, False),
    ("post", "/permissions/query/entities/grants", "query_entities", "permissions", q.entities,
     require("other", READ), m.EntitiesQuery, False),
    ("get", "/permissions/query/entities/roles", "query_entity_roles", "roles",
     lambda sim, caller, _: q.entity_roles(sim, caller), require("other", READ), None, False),
    ("post", "/permissions/query/subordinate-entities/roles", "query_subordinate_roles", "roles",
     q.subordinate_roles, require("other", [*READ, "SubunitManage"]), m.SubordinatesQuery, False),
    ("post", "/permissions/query/authorizations/grants", "query_authorizations", "authorizationGrants",
     q.authorizations, require("other", [*READ, "PefInvoiceWrite"]), m.AuthorizationsQuery, True),
    ("post", "/permissions/query/eu-entities/grants", "query_eu_entities", "permissions", q.eu_entities,
     require("other", [*READ, "VatUeManage"]), m.EuEntitiesQuery, False),
)  # fmt: skip
for _method, _path, _name, _key, _query, _needs, _filters, _required in QUERY_ROUTES:
    router.api_route(_path, methods=[_method.upper()])(
        _query_route(_name, _key, _query, _needs, _filters, _required)
    )
