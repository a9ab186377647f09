"""KSeF 2.0 API: KSeF tokens (digest §3.6).

``ksef_token`` documents (key: EC reference number) never hold the token itself, only its SHA-256::

    {"referenceNumber", "secretSha256", "authorIdentifier": {type, value},
     "contextIdentifier": {type, value}, "description", "requestedPermissions", "dateCreated",
     "lastUseDate", "status" (Pending | Active | Revoking | Revoked | Failed), "statusDetails"}

A new token is ``Active`` at once (KSeF activates within moments; clients poll for ``Active``).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from fakturnik.base.ksef_numbers import make_reference_number
from fakturnik.ksef.crypto import sha256
from fakturnik.simulator.core import Sim, Simulator
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.paging import Continuation, page
from fakturnik.simulator.security import Caller, require

router = APIRouter()

TokenPermission = Literal[
    "InvoiceRead",
    "InvoiceWrite",
    "CredentialsRead",
    "CredentialsManage",
    "SubunitManage",
    "EnforcementOperations",
    "Introspection",
    "CollectiveIdentifierManage",  # 2.7.0
]
TokenStatus = Literal["Pending", "Active", "Revoking", "Revoked", "Failed"]
AuthorType = Literal["Nip", "Pesel", "Fingerprint"]
TOKEN_CONTEXTS = ("Nip", "InternalId")


class GenerateTokenRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    permissions: list[TokenPermission]
    description: str = Field(min_length=5, max_length=256)


def _token_text(ref: str, context_type: str, context_value: str) -> str:
    label = "nip" if context_type == "Nip" else "internalId"
    return f"{ref}|{label}-{context_value}|{secrets.token_hex(32)}"


def _item(doc: dict[str, Any]) -> dict[str, Any]:
    item = {
        k: doc[k]
        for k in (
            "referenceNumber",
            "authorIdentifier",
            "contextIdentifier",
            "description",
            "requestedPermissions",
            "dateCreated",
            "status",
        )
    }
    if doc.get("lastUseDate"):
        item["lastUseDate"] = doc["lastUseDate"]
    item["statusDetails"] = list(doc.get("statusDetails") or [])
    return item


@router.post("/tokens", status_code=202)
def create_token(
    body: GenerateTokenRequest, sim: Sim, caller: Annotated[Caller, Depends(require("other"))]
) -> dict[str, str]:
    if caller.context_type not in TOKEN_CONTEXTS:
        raise ApiError(
            26002, f"Bieżący typ kontekstu: {caller.context_type}; dozwolone: {', '.join(TOKEN_CONTEXTS)}."
        )
    missing = sorted(set(body.permissions) - caller.permissions)
    if missing:
        raise ApiError(26001, f"Brakujące uprawnienia: {', '.join(missing)}.")
    now = sim.now()
    ref = make_reference_number("EC", now.date())
    token = _token_text(ref, caller.context_type, caller.context_value)
    sim.state.put(
        "ksef_token",
        ref,
        {
            "referenceNumber": ref,
            "secretSha256": sha256(token.encode()).hex(),
            "authorIdentifier": {"type": caller.subject_type, "value": caller.subject_value},
            "contextIdentifier": {"type": caller.context_type, "value": caller.context_value},
            "description": body.description,
            "requestedPermissions": sorted(set(body.permissions)),
            "dateCreated": now.isoformat(),
            "lastUseDate": None,
            "status": "Active",
            "statusDetails": [],
        },
    )
    return {"referenceNumber": ref, "token": token}


def visible_tokens(sim: Simulator, caller: Caller) -> list[dict[str, Any]]:
    """Tokens of the caller's context it may see: all with Credentials*, else its own (§3.6)."""
    ctx = {"type": caller.context_type, "value": caller.context_value}
    docs = [d for d in sim.state.all("ksef_token") if d["contextIdentifier"] == ctx]
    if caller.permissions & {"CredentialsManage", "CredentialsRead"}:
        return docs
    if caller.auth_method == "Token":
        return [d for d in docs if d["referenceNumber"] == caller.ksef_token_ref]
    me = {"type": caller.subject_type, "value": caller.subject_value}
    return [d for d in docs if d["authorIdentifier"] == me]


@router.get("/tokens")
def list_tokens(
    sim: Sim,
    caller: Annotated[Caller, Depends(require("other"))],
    status: Annotated[list[TokenStatus] | None, Query()] = None,
    description: Annotated[str | None, Query(min_length=3)] = None,
    author_identifier: Annotated[str | None, Query(min_length=3, alias="authorIdentifier")] = None,
    author_identifier_type: Annotated[AuthorType | None, Query(alias="authorIdentifierType")] = None,
    page_size: Annotated[int, Query(ge=10, le=100, alias="pageSize")] = 10,
    continuation: Continuation = None,
) -> dict[str, Any]:
    docs = visible_tokens(sim, caller)
    if status:
        docs = [d for d in docs if d["status"] in status]
    if description:
        docs = [d for d in docs if description.lower() in d["description"].lower()]
    if author_identifier:
        docs = [d for d in docs if author_identifier.lower() in d["authorIdentifier"]["value"].lower()]
    if author_identifier_type:
        docs = [d for d in docs if d["authorIdentifier"]["type"] == author_identifier_type]
    docs.sort(key=lambda d: d["dateCreated"], reverse=True)
    return page("tokens", docs, page_size, continuation, _item)


def _visible(sim: Simulator, caller: Caller, ref: str) -> dict[str, Any]:
    for d in visible_tokens(sim, caller):
        if d["referenceNumber"] == ref:
            return d
    raise ApiError(21405, f"Token o numerze referencyjnym {ref} nie istnieje.")


@router.get("/tokens/{referenceNumber}")
def get_token(
    sim: Sim,
    caller: Annotated[Caller, Depends(require("other"))],
    reference_number: Annotated[str, Path(alias="referenceNumber", min_length=36, max_length=36)],
) -> dict[str, Any]:
    return _item(_visible(sim, caller, reference_number))


@router.delete("/tokens/{referenceNumber}", status_code=204)
def revoke_token(
    sim: Sim,
    caller: Annotated[Caller, Depends(require("other"))],
    reference_number: Annotated[str, Path(alias="referenceNumber", min_length=36, max_length=36)],
) -> Response:
    with sim.state.lock:
        if "CredentialsManage" in caller.permissions:
            doc = sim.state.get("ksef_token", reference_number)
            ctx = {"type": caller.context_type, "value": caller.context_value}
            if doc is None or doc["contextIdentifier"] != ctx:
                raise ApiError(21405, f"Token o numerze referencyjnym {reference_number} nie istnieje.")
        else:
            doc = _visible(sim, caller, reference_number)
        doc["status"] = "Revoked"
        sim.state.put("ksef_token", reference_number, doc)
    return Response(status_code=204)
