"""The permission query endpoints as pure selections over the stored grants (digest §3.5).

Every list is sorted by ``startDate`` descending, then ``id`` ascending (the spec's ``x-sort``) and
paged by ``pageOffset`` (page index) and ``pageSize``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args

from fakturnik.simulator import permission_models as m
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.grants import (
    DIRECT_KINDS,
    Ident,
    Identifier,
    all_grants,
    context_nip,
    ident,
    is_subject_deceased,
    roles_of,
    subject_identities,
    subordinates_of,
)
from fakturnik.simulator.security import Caller

PERSON_SCOPES: frozenset[str] = frozenset(get_args(m.PersonPermission))
_CONTEXT_TYPES = ("Nip", "InternalId")
_SUBJECT_TYPES = ("Nip", "Pesel", "Fingerprint")


def page(key: str, items: list[dict[str, Any]], offset: int, size: int) -> dict[str, Any]:
    ordered = sorted(items, key=lambda i: str(i.get("id", "")))
    ordered.sort(key=lambda i: _ts(i.get("startDate")), reverse=True)
    start = offset * size
    return {key: ordered[start : start + size], "hasMore": len(ordered) > start + size}


def _ts(value: Any) -> float:
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return 0.0


def _unwanted(found: Ident | None, wanted: Identifier | None) -> bool:
    """A query's optional identifier filter: the query names one and ``found`` is another."""
    return wanted is not None and found != (wanted.type, wanted.value)


def _ident_json(i: Ident | None) -> dict[str, str] | None:
    return {"type": i[0], "value": i[1]} if i else None


def _details(g: dict[str, Any]) -> dict[str, Any]:
    extra = g.get("extra") or {}
    out: dict[str, Any] = {}
    if "person" in extra:
        out["subjectPersonDetails"] = extra["person"]
    if "entity" in extra:
        out["subjectEntityDetails"] = extra["entity"]
    return out


def _target(g: dict[str, Any]) -> dict[str, Any] | None:
    target = g.get("target")
    if not target:
        return None
    return {k: v for k, v in target.items() if v is not None}


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _author(g: dict[str, Any]) -> dict[str, Any]:
    author = g["author"]
    if g["kind"] == "testdata":
        return {"type": "System"}
    return {"type": author["type"], "value": author["value"]}


def _matches_target(g: dict[str, Any], want: m.IndirectTarget | None) -> bool:
    if want is None:
        return True
    target = g.get("target") or {}
    if target.get("type") != want.type:
        return False
    return want.value is None or target.get("value") == want.value


def effective_state(sim: Simulator, g: dict[str, Any], grants: list[dict[str, Any]]) -> str:
    """``Inactive`` for a grant that cannot be used now: a selective indirect grant whose client
    withdrew the delegable grant, or a grant held by a deceased test person; else ``Active``."""
    who = ident(g["authorized"])
    if who and who[0] in ("Nip", "Pesel") and is_subject_deceased(sim, *who):
        return "Inactive"
    target = g.get("target") or {}
    if g["kind"] == "indirect" and target.get("type") not in (None, "AllPartners"):
        client = (target["type"], target.get("value"))
        if not any(
            e["kind"] == "entity"
            and ident(e["context"]) == client
            and e["authorized"]["value"] == g["context"]["value"]
            and e["scope"] == g["scope"]
            and e["canDelegate"]
            for e in grants
        ):
            return "Inactive"
    return str(g["state"])


def _caller_context(caller: Caller) -> Ident:
    return (caller.context_type, caller.context_value)


# -- personal -------------------------------------------------------------------------------------


def _terms(g: dict[str, Any], state: str) -> dict[str, Any]:
    """What a person or entity permission grants, in its listing: scope, description, state, since,
    and whether it may be passed on."""
    return {
        "permissionScope": g["scope"],
        "description": g["description"],
        "permissionState": state,
        "startDate": g["startDate"],
        "canDelegate": bool(g["canDelegate"]),
    }


def personal(sim: Simulator, caller: Caller, req: m.PersonalQuery) -> list[dict[str, Any]]:
    """The caller's own rights in the current context (never the implicit Owner role)."""
    ids = subject_identities(sim, caller.subject_type, caller.subject_value)
    here = _caller_context(caller)
    owner = context_nip(*here) in {v for t, v in ids if t == "Nip"}
    out: list[dict[str, Any]] = []
    grants = all_grants(sim)
    for g in grants:
        kind, ctx, who = g["kind"], ident(g["context"]), ident(g["authorized"])
        mine = (
            (kind in DIRECT_KINDS and ctx == here and who in ids)
            or (kind == "indirect" and who in ids and (ctx == here or ident(g.get("target")) == here))
            or (kind == "entity" and owner and who == ("Nip", context_nip(*here)))
        )
        if not mine:
            continue
        context = ctx  # the granting context (for entity and indirect grants: not the current one)
        if _unwanted(context, req.contextIdentifier):
            continue
        if not _matches_target(g, req.targetIdentifier):
            continue
        if req.permissionTypes and g["scope"] not in req.permissionTypes:
            continue
        state = effective_state(sim, g, grants)
        if req.permissionState and state != req.permissionState:
            continue
        item = {
            "id": g["id"],
            "contextIdentifier": _ident_json(context) if context and context[0] in _CONTEXT_TYPES else None,
            "authorizedIdentifier": _ident_json(who) if who and who[0] in _SUBJECT_TYPES else None,
            "targetIdentifier": _target(g),
            **_terms(g, state),
        }
        out.append(_clean(item) | _details(g))
    return out


# -- persons --------------------------------------------------------------------------------------


def persons(sim: Simulator, caller: Caller, req: m.PersonsQuery) -> list[dict[str, Any]]:
    here = _caller_context(caller)
    ids = subject_identities(sim, caller.subject_type, caller.subject_value)
    out: list[dict[str, Any]] = []
    grants = all_grants(sim)
    for g in grants:
        kind = g["kind"]
        if (
            kind not in ("person", "testdata", "subunit", "entity", "indirect")
            or g["scope"] not in PERSON_SCOPES
        ):
            continue
        ctx, grantor = ident(g["context"]), ident(g.get("grantorContext"))
        if req.queryType == "PermissionsInCurrentContext":
            if ctx != here:
                continue
        elif ident(g["author"]) not in ids or here not in (ctx, grantor) or kind == "testdata":
            continue
        state = effective_state(sim, g, grants)
        if not _persons_filter(g, req) or (req.permissionState and state != req.permissionState):
            continue
        who = ident(g["authorized"])
        item = {
            "id": g["id"],
            "authorizedIdentifier": _ident_json(who),
            "contextIdentifier": _ident_json(ctx) if ctx and ctx[0] in _CONTEXT_TYPES else None,
            "targetIdentifier": _target(g),
            "authorIdentifier": _author(g),
            **_terms(g, state),
        }
        out.append(_clean(item) | _details(g))
    return out


def _persons_filter(g: dict[str, Any], req: m.PersonsQuery) -> bool:
    if req.authorIdentifier is not None:
        author = _author(g)
        if author["type"] != req.authorIdentifier.type:
            return False
        if req.authorIdentifier.value and author.get("value") != req.authorIdentifier.value:
            return False
    if _unwanted(ident(g["authorized"]), req.authorizedIdentifier):
        return False
    if _unwanted(ident(g["context"]), req.contextIdentifier):
        return False
    if not _matches_target(g, req.targetIdentifier):
        return False
    return not (req.permissionTypes and g["scope"] not in req.permissionTypes)


# -- subunits, entities, roles --------------------------------------------------------------------


def subunits(sim: Simulator, caller: Caller, req: m.SubunitsQuery) -> list[dict[str, Any]]:
    here = _caller_context(caller)
    out: list[dict[str, Any]] = []
    for g in all_grants(sim):
        if g["kind"] != "subunit" or ident(g.get("grantorContext")) != here:
            continue
        unit = ident(g["context"])
        if _unwanted(unit, req.subunitIdentifier):
            continue
        item = {
            "id": g["id"],
            "authorizedIdentifier": g["authorized"],
            "subunitIdentifier": _ident_json(unit),
            "authorIdentifier": _author(g),
            "permissionScope": g["scope"],
            "description": g["description"],
            "subunitName": (g.get("extra") or {}).get("subunitName"),
            "startDate": g["startDate"],
        }
        details = _details(g)
        details.pop("subjectEntityDetails", None)
        out.append(_clean(item) | details)
    return out


def entities(sim: Simulator, caller: Caller, req: m.EntitiesQuery) -> list[dict[str, Any]]:
    """Invoice rights the current context's NIP received from other contexts."""
    nip = context_nip(caller.context_type, caller.context_value)
    out: list[dict[str, Any]] = []
    for g in all_grants(sim):
        if g["kind"] != "entity" or g["authorized"]["value"] != nip:
            continue
        granter = ident(g["context"])
        if _unwanted(granter, req.contextIdentifier):
            continue
        if not granter or granter[0] not in _CONTEXT_TYPES:
            continue
        out.append(
            {
                "id": g["id"],
                "contextIdentifier": _ident_json(granter),
                "permissionScope": g["scope"],
                "description": g["description"],
                "startDate": g["startDate"],
                "canDelegate": bool(g["canDelegate"]),
            }
        )
    return out


def entity_roles(sim: Simulator, caller: Caller) -> list[dict[str, Any]]:
    nip = context_nip(caller.context_type, caller.context_value)
    return roles_of(sim, nip) if nip and caller.context_type == "Nip" else []


def subordinate_roles(sim: Simulator, caller: Caller, req: m.SubordinatesQuery) -> list[dict[str, Any]]:
    if caller.context_type != "Nip":
        return []
    items = subordinates_of(sim, caller.context_value)
    if req.subordinateEntityIdentifier is not None:
        want = req.subordinateEntityIdentifier.value
        items = [i for i in items if i["subordinateEntityIdentifier"]["value"] == want]
    return items


# -- authorizations, EU entities ------------------------------------------------------------------


def authorizations(sim: Simulator, caller: Caller, req: m.AuthorizationsQuery) -> list[dict[str, Any]]:
    here = _caller_context(caller)
    out: list[dict[str, Any]] = []
    for g in all_grants(sim):
        if g["kind"] != "authorization":
            continue
        authorizing, authorized = ident(g["context"]), ident(g["authorized"])
        if req.queryType == "Granted":
            if authorizing != here:
                continue
            if _unwanted(authorized, req.authorizedIdentifier):
                continue
        else:
            if authorized != here:
                continue
            if _unwanted(authorizing, req.authorizingIdentifier):
                continue
        if req.permissionTypes and g["scope"] not in req.permissionTypes:
            continue
        author = ident(g["author"])
        item = {
            "id": g["id"],
            "authorIdentifier": _ident_json(author) if author and author[0] in _SUBJECT_TYPES else None,
            "authorizedEntityIdentifier": _ident_json(authorized),
            "authorizingEntityIdentifier": {"type": "Nip", "value": authorizing[1] if authorizing else ""},
            "authorizationScope": g["scope"],
            "description": g["description"],
            "subjectEntityDetails": (g.get("extra") or {}).get("entity"),
            "startDate": g["startDate"],
        }
        out.append(_clean(item))
    return out


def eu_entities(sim: Simulator, caller: Caller, req: m.EuEntitiesQuery) -> list[dict[str, Any]]:
    here = _caller_context(caller)
    out: list[dict[str, Any]] = []
    for g in all_grants(sim):
        if g["kind"] not in ("euAdmin", "euRep"):
            continue
        ctx = ident(g["context"])
        if caller.context_type == "NipVatUe":
            if ctx != here:
                continue
        elif g["kind"] != "euAdmin" or ident(g.get("grantorContext")) != here:
            continue
        vat_ue = ctx[1].partition("-")[2] if ctx else ""
        if req.vatUeIdentifier and vat_ue != req.vatUeIdentifier:
            continue
        if (
            req.authorizedFingerprintIdentifier
            and g["authorized"]["value"] != req.authorizedFingerprintIdentifier
        ):
            continue
        if req.permissionTypes and g["scope"] not in req.permissionTypes:
            continue
        extra = g.get("extra") or {}
        item = {
            "id": g["id"],
            "authorIdentifier": _author(g),
            "vatUeIdentifier": vat_ue,
            "euEntityName": extra.get("euEntityName") or "Podmiot unijny",
            "authorizedFingerprintIdentifier": g["authorized"]["value"],
            "permissionScope": g["scope"],
            "description": g["description"],
            "euEntityDetails": extra.get("euEntityDetails"),
            "startDate": g["startDate"],
        }
        details = _details(g)
        person = details.get("subjectPersonDetails")
        if person and person.get("subjectDetailsType") == "PersonByIdentifier":
            details.pop("subjectPersonDetails")
        out.append(_clean(item) | details)
    return out
