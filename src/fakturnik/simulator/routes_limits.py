"""KSeF 2.0 API: limits, rate limits, test data and the Peppol provider list (digest §3.8, §8)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from fakturnik.ksef.model_base import dump
from fakturnik.simulator import permission_models as m
from fakturnik.simulator.core import Sim, Simulator, sim_of
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.grant_rules import check_identifier
from fakturnik.simulator.grants import context_limits, delete_grants, new_grant, store_grants, subject_limits
from fakturnik.simulator.ratelimit import PRODUCTION_LIMITS, REPORTED_ONLY, Limit
from fakturnik.simulator.security import Caller, caller_from_request, client_ip, public, require

RATE_LIMITS_KIND = "rate-limits"


def restore_rate_limits(sim: Simulator) -> None:
    """Re-apply the tables contexts switched with ``/testdata/rate-limits*`` before a restart."""
    for doc in sim.state.all(RATE_LIMITS_KIND):
        limits = {g: Limit(v["perSecond"], v["perMinute"], v["perHour"]) for g, v in doc["limits"].items()}
        sim.rate_limiter.context_limits[doc["context"]] = {**PRODUCTION_LIMITS, **limits}


@asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    restore_rate_limits(app.state.sim)
    yield


router = APIRouter(lifespan=_lifespan)


def _ok() -> Response:
    return Response(status_code=200)


# -- effective limits -----------------------------------------------------------------------------


@router.get("/limits/context")
def get_context_limits(sim: Sim, caller: Annotated[Caller, Depends(require("other"))]) -> dict[str, Any]:
    return context_limits(sim, caller.context_key)


@router.get("/limits/subject")
def get_subject_limits(sim: Sim, caller: Annotated[Caller, Depends(require("other"))]) -> dict[str, Any]:
    return subject_limits(sim, f"{caller.subject_type}:{caller.subject_value}")


@router.get("/rate-limits")
def get_rate_limits(sim: Sim, caller: Annotated[Caller, Depends(require("other"))]) -> dict[str, Any]:
    """The limits in force for the caller's context (its own table, else the default one)."""
    limiter = sim.rate_limiter
    limits = limiter.context_limits.get(caller.context_key, limiter.limits)
    table = {group: limits.get(group, PRODUCTION_LIMITS[group]).as_json() for group in PRODUCTION_LIMITS}
    return table | {group: limit.as_json() for group, limit in REPORTED_ONLY.items()}


@router.post("/testdata/limits/context/session")
def set_context_limits(
    body: m.SetSessionLimits, sim: Sim, caller: Annotated[Caller, Depends(require("other"))]
) -> Response:
    sim.state.put("limits", f"context:{caller.context_key}", dump(body))
    return _ok()


@router.delete("/testdata/limits/context/session")
def reset_context_limits(sim: Sim, caller: Annotated[Caller, Depends(require("other"))]) -> Response:
    sim.state.delete("limits", f"context:{caller.context_key}")
    return _ok()


@router.post("/testdata/limits/subject/certificate")
def set_subject_limits(
    body: m.SetSubjectLimits, sim: Sim, caller: Annotated[Caller, Depends(require("other"))]
) -> Response:
    key = f"subject:{caller.subject_type}:{caller.subject_value}"
    doc = sim.state.get("limits", key) or {}
    if body.enrollment is not None:
        doc["enrollment"] = body.enrollment.model_dump()
    if body.certificate is not None:
        doc["certificate"] = body.certificate.model_dump()
    sim.state.put("limits", key, doc)
    return _ok()


@router.delete("/testdata/limits/subject/certificate")
def reset_subject_limits(sim: Sim, caller: Annotated[Caller, Depends(require("other"))]) -> Response:
    sim.state.delete("limits", f"subject:{caller.subject_type}:{caller.subject_value}")
    return _ok()


def apply_rate_limits(sim: Simulator, context: str, limits: dict[str, Limit] | None) -> None:
    """Give ``context`` its own rate-limit table (None: back to the default one), as KSeF's test
    endpoints do for "the current context"; kept so that a restart on the same data directory
    restores it."""
    limiter = sim.rate_limiter
    if limits is None:
        limiter.context_limits.pop(context, None)
        sim.state.delete(RATE_LIMITS_KIND, context)
    else:
        limiter.context_limits[context] = dict(limits)
        doc = {"context": context, "limits": {g: v.as_json() for g, v in limits.items()}}
        sim.state.put(RATE_LIMITS_KIND, context, doc)
    limiter.reset_counters(context)  # windows and blocks earned under the old table are void


def _switch_caller(request: Request) -> Caller:
    """Bearer checks without a rate limit: a table that admits nothing can always be switched back."""
    return caller_from_request(request, ("access",))


@router.post("/testdata/rate-limits")
def set_rate_limits(
    body: m.SetRateLimits, sim: Sim, caller: Annotated[Caller, Depends(_switch_caller)]
) -> Response:
    # 0 admits no call at all (handy to test a client's 429 handling); negative values count as 0.
    limits = {
        group: (
            Limit(max(0, v.perSecond), max(0, v.perMinute), max(0, v.perHour))
            if v
            else PRODUCTION_LIMITS[group]
        )
        for group, v in ((g, getattr(body.rateLimits, g)) for g in PRODUCTION_LIMITS)
    }
    apply_rate_limits(sim, caller.context_key, limits)
    return _ok()


@router.delete("/testdata/rate-limits")
def reset_rate_limits(sim: Sim, caller: Annotated[Caller, Depends(_switch_caller)]) -> Response:
    apply_rate_limits(sim, caller.context_key, None)
    return _ok()


@router.post("/testdata/rate-limits/production")
def production_rate_limits(sim: Sim, caller: Annotated[Caller, Depends(_switch_caller)]) -> Response:
    apply_rate_limits(sim, caller.context_key, PRODUCTION_LIMITS)
    return _ok()


# -- test subjects, persons, permissions ----------------------------------------------------------


def _created(value: datetime | None, sim: Simulator) -> str:
    if value is None:
        return sim.now().isoformat()
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _create(
    sim: Simulator, kind: str, key: str, body: m.SubjectCreate | m.PersonCreate, taken: str, **fixed: Any
) -> Response:
    """Store a test subject or person under ``key`` (created now unless the body says when); 30001
    with ``taken`` when there is one already."""
    if sim.state.get(kind, key) is not None:
        raise ApiError(30001, taken)
    doc = body.model_dump(mode="json") | {"createdDate": _created(body.createdDate, sim)} | fixed
    sim.state.put(kind, key, doc)
    return _ok()


@router.post("/testdata/subject", dependencies=[Depends(public)])
def create_subject(body: m.SubjectCreate, sim: Sim) -> Response:
    subunits = [u.model_dump(mode="json") for u in body.subunits or []]
    taken = f"Podmiot {body.subjectNip} już istnieje."
    return _create(sim, "subject", body.subjectNip, body, taken, subunits=subunits)


@router.post("/testdata/subject/remove", dependencies=[Depends(public)])
def remove_subject(body: m.SubjectRemove, sim: Sim) -> Response:
    sim.state.delete("subject", body.subjectNip)
    return _ok()


@router.post("/testdata/person", dependencies=[Depends(public)])
def create_person(body: m.PersonCreate, sim: Sim) -> Response:
    return _create(sim, "person", body.nip, body, f"Osoba o NIP {body.nip} już istnieje.")


@router.post("/testdata/person/remove", dependencies=[Depends(public)])
def remove_person(body: m.PersonRemove, sim: Sim) -> Response:
    person = sim.state.get("person", body.nip)
    if person is not None:
        ids = {("Nip", person["nip"]), ("Pesel", person["pesel"])}
        delete_grants(sim, lambda g: (g["authorized"]["type"], g["authorized"]["value"]) in ids)
        sim.state.delete("person", body.nip)
    return _ok()


@router.post("/testdata/permissions", dependencies=[Depends(public)])
def grant_test_permissions(body: m.TestDataPermissionsGrant, sim: Sim) -> Response:
    who = (body.authorizedIdentifier.type, body.authorizedIdentifier.value)
    check_identifier(sim, *who, "authorizedIdentifier")
    context = ("Nip", body.contextIdentifier.value)
    store_grants(
        sim,
        [
            new_grant(
                kind="testdata",
                context=context,
                authorized=who,
                author=("System", "ZAW-FA"),
                scope=p.permissionType,
                description=p.description,
                now=sim.now(),
            )
            for p in body.permissions
        ],
    )
    return _ok()


@router.post("/testdata/permissions/revoke", dependencies=[Depends(public)])
def revoke_test_permissions(body: m.TestDataPermissionsRevoke, sim: Sim) -> Response:
    context = {"type": "Nip", "value": body.contextIdentifier.value}
    who = body.authorizedIdentifier.model_dump()
    delete_grants(
        sim,
        lambda g: g["kind"] in ("testdata", "person") and g["context"] == context and g["authorized"] == who,
    )
    return _ok()


@router.post("/testdata/attachment", dependencies=[Depends(public)])
def allow_attachments(body: m.AttachmentGrant, sim: Sim) -> Response:
    sim.state.put("attachment", body.nip, {"isAttachmentAllowed": True, "revokedDate": None})
    return _ok()


@router.post("/testdata/attachment/revoke", dependencies=[Depends(public)])
def revoke_attachments(body: m.AttachmentRevoke, sim: Sim) -> Response:
    end = datetime.combine(body.expectedEndDate, time(), UTC) if body.expectedEndDate else sim.now()
    sim.state.put(
        "attachment", body.nip, {"isAttachmentAllowed": end > sim.now(), "revokedDate": end.isoformat()}
    )
    return _ok()


def _context_key(body: m.ContextBlock) -> tuple[str, dict[str, str]]:
    if body.contextIdentifier is None:
        raise ApiError(21405, "contextIdentifier: pole jest wymagane.")
    c = body.contextIdentifier
    return f"{c.type}:{c.value}", {"type": c.type, "value": c.value}


def _other_by_ip(request: Request) -> None:
    """Context blocking has no bearer but the ``other`` limits (10/30/120), counted per client IP."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    sim_of(request).rate_limiter.check("other", "", client_ip(request), path)


@router.post("/testdata/context/block", dependencies=[Depends(_other_by_ip)])
def block_context(body: m.ContextBlock, sim: Sim) -> Response:
    key, doc = _context_key(body)
    sim.state.put("blocked_context", key, doc)
    return _ok()


@router.post("/testdata/context/unblock", dependencies=[Depends(_other_by_ip)])
def unblock_context(body: m.ContextBlock, sim: Sim) -> Response:
    key, _ = _context_key(body)
    sim.state.delete("blocked_context", key)
    return _ok()


# -- Peppol ---------------------------------------------------------------------------------------


@router.get("/peppol/query", dependencies=[Depends(public)])
def peppol_query(
    sim: Sim,
    pageOffset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    pageSize: Annotated[int, Query(ge=10, le=100)] = 10,
) -> dict[str, Any]:
    providers = sorted(sim.state.all("peppol_provider"), key=lambda p: p["id"])
    providers.sort(key=lambda p: p["dateCreated"], reverse=True)
    start = pageOffset * pageSize
    return {
        "peppolProviders": providers[start : start + pageSize],
        "hasMore": len(providers) > start + pageSize,
    }
