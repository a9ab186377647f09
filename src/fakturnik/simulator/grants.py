"""Who may do what in which context: the simulator's permission model (digest §11).

Every granted permission is one ``permission`` document (one scope each, like KSeF's permission ids)::

    {"id", "kind", "context": {type, value}, "grantorContext": {type, value} | None,
     "authorized": {type, value}, "author": {type, value}, "target": {type, value?} | None,
     "scope", "canDelegate", "description", "startDate", "state", "groupId", "extra": {...}}

``kind`` is one of ``person`` (persons/grants), ``testdata`` (``/testdata/permissions``, author
System), ``entity`` (entities/grants: ``context`` is the granting client, ``authorized`` the NIP of
the entity receiving invoice rights), ``indirect`` (``context`` is the intermediary, ``target`` the
client or AllPartners), ``subunit`` (``context`` is the subunit, ``grantorContext`` the parent),
``euAdmin`` / ``euRep`` (``context`` a NipVatUe) and ``authorization`` (SelfInvoicing, RRInvoicing,
TaxRepresentative, PefInvoicing; ``authorized`` a NIP or PeppolId).

Other simulator modules call these helpers (they are the public surface of this module):

- :func:`permissions_for` at login and in ``mint_session``: the rights frozen into a token;
- :func:`may_issue_for`: may the caller's context issue an invoice whose Podmiot1 has this NIP;
- :func:`is_context_blocked` (auth 480), :func:`is_subject_deceased` (auth 470);
- :func:`context_limits` / :func:`subject_limits`: effective session and certificate limits;
- :func:`attachment_allowed`: the context's consent to invoices with attachments;
- :func:`register_peppol_provider`: a Peppol provider's first login registers it.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol, get_args

from fakturnik.simulator.core import Simulator
from fakturnik.simulator.permission_models import PersonPermission
from fakturnik.simulator.security import Caller

OWNER_PERMISSIONS = frozenset(get_args(PersonPermission))  # the owner holds every person permission
EU_ADMIN_PERMISSIONS = ("VatUeManage", "InvoiceWrite", "InvoiceRead", "Introspection")
DIRECT_KINDS = frozenset({"person", "testdata", "subunit", "euAdmin", "euRep"})
ISSUING_AUTHORIZATIONS = frozenset({"SelfInvoicing", "RRInvoicing", "TaxRepresentative", "PefInvoicing"})
TAX_REPRESENTATIVE_ROLE = 3  # PodmiotUpowazniony/RolaPU of a tax representative

DEFAULT_SESSION_LIMITS: dict[str, dict[str, int]] = {
    "onlineSession": {"maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3, "maxInvoices": 10000},
    "batchSession": {"maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3, "maxInvoices": 10000},
}
DEFAULT_SUBJECT_LIMITS: dict[str, dict[str, int]] = {
    "enrollment": {"maxEnrollments": 300},
    "certificate": {"maxCertificates": 100},
}
# Quotas of a PESEL or fingerprint subject (digest §3.7: enrollments/active 12/6; NIP 300/100).
PERSON_SUBJECT_LIMITS: dict[str, dict[str, int]] = {
    "enrollment": {"maxEnrollments": 12},
    "certificate": {"maxCertificates": 6},
}

Ident = tuple[str, str]


class Identifier(Protocol):
    """An identifier of a request body (``{"type": ..., "value": ...}``)."""

    @property
    def type(self) -> str: ...
    @property
    def value(self) -> str: ...


# -- identifiers ----------------------------------------------------------------------------------


def ident(doc: dict[str, Any] | None) -> Ident | None:
    if not doc:
        return None
    return (str(doc.get("type", "")), str(doc.get("value", "") or ""))


def context_nip(context_type: str, context_value: str) -> str | None:
    """The NIP inside a context identifier (Nip, InternalId ``NIP-xxxxx``, NipVatUe ``NIP-VATUE``)."""
    if context_type in ("Nip", "InternalId", "NipVatUe") and len(context_value) >= 10:
        return context_value[:10]
    return None


def subject_identities(sim: Simulator, subject_type: str, subject_value: str) -> set[Ident]:
    """The subject's identifier plus those a test person links to it (PESEL ↔ NIP)."""
    ids: set[Ident] = {(subject_type, subject_value)}
    for person in sim.state.all("person"):
        if (subject_type, subject_value) in (("Nip", person["nip"]), ("Pesel", person["pesel"])):
            ids |= {("Nip", person["nip"]), ("Pesel", person["pesel"])}
    return ids


def is_subject_deceased(sim: Simulator, subject_type: str, subject_value: str) -> bool:
    """True for a test person created with ``isDeceased`` (auth ends with 470)."""
    for person in sim.state.all("person"):
        if (subject_type, subject_value) in (("Nip", person["nip"]), ("Pesel", person["pesel"])):
            return bool(person.get("isDeceased"))
    return False


# -- grants in the store --------------------------------------------------------------------------


def new_grant(
    *,
    kind: str,
    context: Ident,
    authorized: Ident,
    author: Ident,
    scope: str,
    description: str,
    now: datetime,
    can_delegate: bool = False,
    target: dict[str, Any] | None = None,
    grantor_context: Ident | None = None,
    group_id: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A permission document (not stored yet)."""
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "context": {"type": context[0], "value": context[1]},
        "grantorContext": {"type": grantor_context[0], "value": grantor_context[1]}
        if grantor_context
        else None,
        "authorized": {"type": authorized[0], "value": authorized[1]},
        "author": {"type": author[0], "value": author[1]},
        "target": target,
        "scope": scope,
        "canDelegate": can_delegate,
        "description": description,
        "startDate": now.isoformat(),
        "state": "Active",
        "groupId": group_id,
        "extra": extra or {},
    }


# Every login reads all grants: keep the parsed documents per simulator, tagged with a version that
# every write bumps (a reader racing a writer stores an old version, so the next call reloads).
# Only this module writes ``permission`` documents (store_grants, delete_grant, delete_grants).
_cache: weakref.WeakKeyDictionary[Simulator, tuple[int, list[dict[str, Any]]]] = weakref.WeakKeyDictionary()
_versions: weakref.WeakKeyDictionary[Simulator, int] = weakref.WeakKeyDictionary()


def all_grants(sim: Simulator) -> list[dict[str, Any]]:
    """Every stored grant (treat the documents as read-only)."""
    settle_operations(sim)
    version = _versions.get(sim, 0)
    cached = _cache.get(sim)
    if cached is not None and cached[0] == version:
        return cached[1]
    grants = sim.state.all("permission")
    _cache[sim] = (version, grants)
    return grants


def _changed(sim: Simulator) -> None:
    with sim.state.lock:
        _versions[sim] = _versions.get(sim, 0) + 1


def store_grants(sim: Simulator, grants: Iterable[dict[str, Any]]) -> None:
    """Store grants, skipping exact duplicates (same kind, context, subject, target and scope)."""
    existing = {_grant_signature(g) for g in sim.state.all("permission")}
    for grant in grants:
        sig = _grant_signature(grant)
        if sig in existing:
            continue
        existing.add(sig)
        sim.state.put("permission", grant["id"], grant)
    _changed(sim)


def delete_grants(sim: Simulator, doomed: Callable[[dict[str, Any]], bool]) -> int:
    """Delete every grant ``doomed`` selects; the number deleted."""
    n = 0
    for grant in sim.state.all("permission"):
        if doomed(grant):
            n += sim.state.delete("permission", grant["id"])
    _changed(sim)
    return n


def _grant_signature(g: dict[str, Any]) -> tuple[Any, ...]:
    target = g.get("target") or {}
    return (
        g["kind"],
        ident(g["context"]),
        ident(g["authorized"]),
        (target.get("type"), target.get("value")),
        g["scope"],
    )


def delete_grant(sim: Simulator, grant: dict[str, Any]) -> None:
    """Remove a grant (an EU administrator grant is removed with its whole group)."""
    group = grant.get("groupId")
    if group:
        for other in sim.state.all("permission"):
            if other.get("groupId") == group:
                sim.state.delete("permission", other["id"])
    sim.state.delete("permission", grant["id"])
    _changed(sim)


# -- asynchronous permission operations -----------------------------------------------------------

OPERATION_DESCRIPTIONS: dict[int, str] = {
    100: "Operacja przyjęta do realizacji.",
    200: "Operacja zakończona sukcesem.",
    400: "Operacja zakończona niepowodzeniem.",
    410: "Podane identyfikatory są niezgodne lub pozostają w niewłaściwej relacji.",
    420: "Użyte poświadczenia nie mają uprawnień do wykonania tej operacji.",
    430: "Kontekst identyfikatora nie odpowiada wymaganej roli lub uprawnieniom.",
    440: "Operacja niedozwolona dla wskazanych powiązań identyfikatorów.",
    450: "Operacja niedozwolona dla wskazanego identyfikatora lub jego typu.",
    500: "Nieznany błąd.",
    550: "Operacja została anulowana przez system.",
}


class GrantRefused(Exception):
    """A prerequisite failed: the operation ends with this asynchronous status code."""

    def __init__(self, code: int, detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


def submit_operation(
    sim: Simulator,
    caller: Caller,
    *,
    add: list[dict[str, Any]] | None = None,
    delete: list[str] | None = None,
    failure: GrantRefused | None = None,
) -> str:
    """Record a grant/revoke operation; it takes effect after the configured processing delay."""
    from fakturnik.base.ksef_numbers import make_reference_number

    now = sim.now()
    ref = make_reference_number("EG", now.date())
    due = now.timestamp() + max(0.0, sim.config.processing_delay)
    op = {
        "referenceNumber": ref,
        "contextKey": caller.context_key,
        "created": now.isoformat(),
        "due": due,
        "code": failure.code if failure else 200,
        "details": [failure.detail] if failure else [],
        "add": add or [],
        "delete": delete or [],
        "applied": False,
    }
    sim.state.put("permission_op", ref, op)
    sim.state.put("permission_pending", ref, {"ref": ref, "due": due})
    settle_operations(sim)
    return ref


def settle_operations(sim: Simulator) -> None:
    """Apply every pending operation whose processing time has come."""
    now = sim.now().timestamp()
    for pending in sim.state.all("permission_pending"):
        if pending["due"] > now:
            continue
        with sim.state.transaction():
            op = sim.state.get("permission_op", pending["ref"])
            if op is not None and not op["applied"]:
                if op["code"] == 200:
                    store_grants(sim, op["add"])
                    for grant_id in op["delete"]:
                        doc = sim.state.get("permission", grant_id)
                        if doc is not None:
                            delete_grant(sim, doc)
                op["applied"] = True
                op["add"] = []
                sim.state.put("permission_op", op["referenceNumber"], op)
            sim.state.delete("permission_pending", pending["ref"])


def operation_status(sim: Simulator, ref: str) -> dict[str, Any] | None:
    """``{"code", "description", "details"?}`` of an operation, or None when unknown."""
    settle_operations(sim)
    op = sim.state.get("permission_op", ref)
    if op is None:
        return None
    code = op["code"] if op["applied"] else 100
    status: dict[str, Any] = {"code": code, "description": OPERATION_DESCRIPTIONS.get(code, "Błąd.")}
    if op["applied"] and op["details"]:
        status["details"] = op["details"]
    return status


# -- roles of test subjects -----------------------------------------------------------------------

_MAIN_ROLE = {
    "EnforcementAuthority": "EnforcementAuthority",
    "VatGroup": "VatGroupUnit",
    "JST": "LocalGovernmentUnit",
}
_SUB_ROLE = {"VatGroup": "VatGroupSubUnit", "JST": "LocalGovernmentSubUnit"}


def roles_of(sim: Simulator, nip: str) -> list[dict[str, Any]]:
    """Context roles of a NIP: ``{"role", "description", "startDate", "parentEntityIdentifier"?}``."""
    roles: list[dict[str, Any]] = []
    for subject in sim.state.all("subject"):
        if subject["subjectNip"] == nip and subject["subjectType"] in _MAIN_ROLE:
            roles.append(
                {
                    "role": _MAIN_ROLE[subject["subjectType"]],
                    "description": subject["description"],
                    "startDate": subject["createdDate"],
                }
            )
        for sub in subject.get("subunits") or []:
            if sub["subjectNip"] == nip and subject["subjectType"] in _SUB_ROLE:
                roles.append(
                    {
                        "role": _SUB_ROLE[subject["subjectType"]],
                        "description": sub["description"],
                        "startDate": subject["createdDate"],
                        "parentEntityIdentifier": {"type": "Nip", "value": subject["subjectNip"]},
                    }
                )
    person = sim.state.get("person", nip)
    if person is not None and person.get("isBailiff"):
        roles.append(
            {"role": "CourtBailiff", "description": person["description"], "startDate": person["createdDate"]}
        )
    return roles


def subordinates_of(sim: Simulator, nip: str) -> list[dict[str, Any]]:
    """Subordinate entities of a VAT group or JST: ``{"subordinateEntityIdentifier", "role", ...}``."""
    out: list[dict[str, Any]] = []
    subject = sim.state.get("subject", nip)
    if subject is None or subject["subjectType"] not in _SUB_ROLE:
        return out
    for sub in subject.get("subunits") or []:
        out.append(
            {
                "subordinateEntityIdentifier": {"type": "Nip", "value": sub["subjectNip"]},
                "role": _SUB_ROLE[subject["subjectType"]],
                "description": sub["description"],
                "startDate": subject["createdDate"],
            }
        )
    return out


def parents_of(sim: Simulator, nip: str) -> list[str]:
    """NIPs of the VAT groups / JSTs this NIP is a member of."""
    return [
        s["subjectNip"]
        for s in sim.state.all("subject")
        if any(sub["subjectNip"] == nip for sub in s.get("subunits") or [])
    ]


# -- the permission model -------------------------------------------------------------------------


def permissions_for(
    sim: Simulator, context_type: str, context_value: str, subject_type: str, subject_value: str
) -> set[str]:
    """The permissions a subject holds in a context right now (empty set: no rights, auth 415).

    - Owner: the subject's NIP (or the NIP of the test person its PESEL belongs to) is the context
      NIP, or the NIP part of an InternalId context;
    - direct grants in this context (persons, test data, subunit and EU administrators, EU
      representatives);
    - entity grants: the context gave invoice rights to a NIP the subject owns (an accounting
      office's owner logs into the client's context);
    - indirect grants: an intermediary gave the subject rights for this client (or all partners),
      valid while the client's grant to the intermediary is delegable;
    - a Peppol provider (PeppolId context) holds PefInvoiceWrite.
    """
    ids = subject_identities(sim, subject_type, subject_value)
    owned = {value for kind, value in ids if kind == "Nip"}
    context = (context_type, context_value)
    perms: set[str] = set()
    if context_type in ("Nip", "InternalId") and context_value[:10] in owned:
        perms |= OWNER_PERMISSIONS
    if context_type == "PeppolId":
        perms.add("PefInvoiceWrite")
    grants = all_grants(sim)
    for g in grants:
        kind = g["kind"]
        if (
            (kind in DIRECT_KINDS and ident(g["context"]) == context and ident(g["authorized"]) in ids)
            or (kind == "entity" and ident(g["context"]) == context and g["authorized"]["value"] in owned)
            or (
                kind == "indirect" and ident(g["authorized"]) in ids and _indirect_applies(g, context, grants)
            )
        ):
            perms.add(g["scope"])
    return perms


def _indirect_applies(grant: dict[str, Any], context: Ident, grants: list[dict[str, Any]]) -> bool:
    target = grant.get("target") or {"type": "AllPartners"}
    if target["type"] != "AllPartners" and (target["type"], target.get("value")) != context:
        return False
    intermediary = grant["context"]["value"]
    return any(
        g["kind"] == "entity"
        and ident(g["context"]) == context
        and g["authorized"]["value"] == intermediary
        and g["scope"] == grant["scope"]
        and g["canDelegate"]
        for g in grants
    )


def may_issue_for(
    sim: Simulator, caller: Caller, seller_nip: str, invoice: dict[str, Any] | None = None
) -> bool:
    """May the caller's context send an invoice whose seller (Podmiot1) has ``seller_nip``?

    True when the caller holds InvoiceWrite (or PefInvoiceWrite) and the context is the seller
    (Nip, an InternalId or NipVatUe under that NIP), a member of the seller's VAT group / JST, or
    holds a SelfInvoicing / RRInvoicing / TaxRepresentative / PefInvoicing authorization from it.

    ``invoice`` (the invoice's facts, ``Facts.as_json()``): an authorization counts only for an
    invoice whose data show the relation it is for — KSeF verifies "the relation between the
    subject and the data on the invoices" (ksef-docs, uprawnienia podmiotowe): SelfInvoicing when
    the context is the invoice's buyer (Podmiot2 NIP), TaxRepresentative when it is the invoice's
    PodmiotUpowazniony with RolaPU 3. Authorizations are read when the invoice is processed, so a
    grant or revoke applies to the next invoice, even within an open session.
    """
    if not ({"InvoiceWrite", "PefInvoiceWrite"} & caller.permissions):
        return False
    if context_nip(caller.context_type, caller.context_value) == seller_nip:
        return True
    if caller.context_type == "Nip" and seller_nip in parents_of(sim, caller.context_value):
        return True
    me = (caller.context_type, caller.context_value)
    return any(
        g["kind"] == "authorization"
        and g["scope"] in ISSUING_AUTHORIZATIONS
        and g["context"]["value"] == seller_nip
        and ident(g["authorized"]) == me
        and (invoice is None or _shows_relation(g["scope"], caller.context_value, invoice))
        for g in all_grants(sim)
    )


def _shows_relation(scope: str, nip: str, invoice: dict[str, Any]) -> bool:
    """Does the invoice name ``nip`` in the role the authorization ``scope`` is for?"""
    if scope == "SelfInvoicing":
        buyer = (invoice.get("buyer") or {}).get("identifier") or {}
        return buyer.get("type") == "Nip" and buyer.get("value") == nip
    if scope == "TaxRepresentative":
        authorized = invoice.get("authorized") or {}
        return authorized.get("nip") == nip and authorized.get("role") == TAX_REPRESENTATIVE_ROLE
    return True  # RR invoices and Peppol: the form itself is the relation


# -- test-data switches read by other modules -----------------------------------------------------


def is_context_blocked(sim: Simulator, context_value: str, context_type: str | None = None) -> bool:
    """True when ``/testdata/context/block`` blocked this context (authentication ends with 480)."""
    if context_type is not None:
        return sim.state.get("blocked_context", f"{context_type}:{context_value}") is not None
    return any(doc["value"] == context_value for doc in sim.state.all("blocked_context"))


def attachment_allowed(sim: Simulator, nip: str) -> bool:
    """The NIP's consent to invoices with attachments (``/testdata/attachment``)."""
    doc = sim.state.get("attachment", nip)
    if not doc:
        return False
    if doc.get("revokedDate"):
        return datetime.fromisoformat(doc["revokedDate"]) > sim.now()
    return bool(doc.get("isAttachmentAllowed"))


def context_limits(sim: Simulator, context_key: str) -> dict[str, dict[str, int]]:
    """Effective session limits of a context (``Type:value``), as ``GET /limits/context`` shows them."""
    doc = sim.state.get("limits", f"context:{context_key}")
    return {k: dict(v) for k, v in (doc or DEFAULT_SESSION_LIMITS).items() if k in DEFAULT_SESSION_LIMITS}


def subject_limits(sim: Simulator, subject_key: str) -> dict[str, dict[str, int]]:
    """Effective certificate limits of a subject (``Type:value``), as ``GET /limits/subject``."""
    doc = sim.state.get("limits", f"subject:{subject_key}") or {}
    subject_type = subject_key.partition(":")[0]
    defaults = DEFAULT_SUBJECT_LIMITS if subject_type == "Nip" else PERSON_SUBJECT_LIMITS
    out = {k: dict(v) for k, v in defaults.items()}
    for key in out:
        for field, value in (doc.get(key) or {}).items():
            if value is not None:
                out[key][field] = int(value)
    return out


def register_peppol_provider(sim: Simulator, peppol_id: str, name: str) -> None:
    """Peppol providers self-register on their first login (context PeppolId)."""
    if sim.state.get("peppol_provider", peppol_id) is None:
        sim.state.put(
            "peppol_provider",
            peppol_id,
            {"id": peppol_id, "name": name[:256], "dateCreated": sim.now().isoformat()},
        )
