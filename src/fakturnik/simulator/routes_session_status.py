"""KSeF 2.0 API: session status, listings and UPO (digest §3.3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from fakturnik.ksef.crypto import sha256_b64
from fakturnik.simulator import decisions, downloads, paging, processing
from fakturnik.simulator.core import Sim, Simulator, sim_of
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.paging import Continuation
from fakturnik.simulator.security import Caller, require
from fakturnik.simulator.session_api import LIST, READ
from fakturnik.simulator.session_store import (
    common_status,
    invoice_key,
    iso,
    load_session,
    parse_iso,
    visible_to,
)
from fakturnik.simulator.upo import build_upo

router = APIRouter()


def _visible_session(sim: Simulator, caller: Caller, ref: str) -> dict[str, Any]:
    session = load_session(sim, ref, caller)
    if not visible_to(session, caller.subject_type, caller.subject_value, caller.permissions):
        raise ApiError(21173, f"Sesja {ref} nie istnieje w tym kontekście.")
    return processing.expire_if_due(sim, session)


def render_invoice(sim: Simulator, base: str, inv: dict[str, Any]) -> dict[str, Any]:
    """A stored invoice as ``SessionInvoiceStatusResponse``."""
    out: dict[str, Any] = {
        "ordinalNumber": inv["ordinalNumber"],
        "referenceNumber": inv["referenceNumber"],
        "invoiceHash": inv["invoiceHash"],
        "invoicingDate": inv["invoicingDate"],
        "status": inv["status"],
    }
    if inv.get("invoiceNumber"):
        out["invoiceNumber"] = inv["invoiceNumber"][:256]
    if inv.get("invoiceFileName"):
        out["invoiceFileName"] = inv["invoiceFileName"][:128]
    if inv.get("ksefNumber"):
        out["ksefNumber"] = inv["ksefNumber"]
        out["acquisitionDate"] = inv["acquisitionDate"]
        out["invoicingMode"] = inv["invoicingMode"]
        if parse_iso(inv["permanentStorageDate"]) <= sim.now():
            out["permanentStorageDate"] = inv["permanentStorageDate"]
        url, expires = downloads.signed_url(
            sim, base, f"upo-invoice/{inv['sessionRef']}/{inv['ordinalNumber']}"
        )
        out["upoDownloadUrl"] = url
        out["upoDownloadUrlExpirationDate"] = iso(expires)
    return out


def _xml(content: bytes) -> Response:
    return Response(content, media_type="application/xml", headers={"x-ms-meta-hash": sha256_b64(content)})


def invoice_upo(sim: Simulator, session: dict[str, Any], inv: dict[str, Any] | None) -> bytes:
    if inv is None or inv["status"]["code"] != 200:
        raise ApiError(21178, "Nie znaleziono UPO dla podanych kryteriów.")
    return build_upo(session, [inv])


def session_upo_page(sim: Simulator, session: dict[str, Any], upo_ref: str) -> bytes:
    pages = session.get("upoPages") or []
    for number, page in enumerate(pages, start=1):
        if page["referenceNumber"] == upo_ref:
            accepted = decisions.accepted_invoices(sim, session["referenceNumber"])
            chunk = accepted[page["start"] : page["end"]]
            return build_upo(session, chunk, page=(number, len(pages), page["start"] + 1, len(accepted)))
    raise ApiError(21178, "Nie znaleziono UPO dla podanych kryteriów.")


def _resolve_invoice_upo(sim: Simulator, resource: str) -> tuple[bytes, str] | None:
    _, ref, ordinal = resource.split("/", 2)
    session = sim.state.get("session", ref)
    inv = sim.state.get("invoice", invoice_key(ref, int(ordinal))) if ordinal.isdigit() else None
    if session is None or inv is None or inv["status"]["code"] != 200:
        return None
    return build_upo(session, [inv]), "application/xml"


def _resolve_session_upo(sim: Simulator, resource: str) -> tuple[bytes, str] | None:
    _, ref, upo_ref = resource.split("/", 2)
    session = sim.state.get("session", ref)
    if session is None:
        return None
    try:
        return session_upo_page(sim, session, upo_ref), "application/xml"
    except ApiError:
        return None


downloads.RESOLVERS["upo-invoice"] = _resolve_invoice_upo
downloads.RESOLVERS["upo-session"] = _resolve_session_upo


# -- status, listings, UPO -----------------------------------------------------------------------


def _in_range(value: str | None, lo: str | None, hi: str | None) -> bool:
    if lo is None and hi is None:
        return True
    if value is None:
        return False
    moment = parse_iso(value)
    if lo is not None and moment < _param_time(lo):
        return False
    return not (hi is not None and moment > _param_time(hi))


def _param_time(text: str) -> Any:
    from fakturnik.simulator.metadata import parse_query_time

    try:
        return parse_query_time(text)
    except ValueError as exc:
        raise ApiError(21405, f"Nieprawidłowa data {text!r}.") from exc


@router.get("/sessions")
def list_sessions(
    sim: Sim,
    caller: Annotated[Caller, Depends(require("sessionList", LIST))],
    sessionType: Literal["Online", "Batch"],
    pageSize: Annotated[int, Query(ge=10, le=1000)] = 10,
    referenceNumber: str | None = None,
    dateCreatedFrom: str | None = None,
    dateCreatedTo: str | None = None,
    dateClosedFrom: str | None = None,
    dateClosedTo: str | None = None,
    dateModifiedFrom: str | None = None,
    dateModifiedTo: str | None = None,
    statuses: Annotated[
        list[Literal["InProgress", "Succeeded", "Failed", "Cancelled"]] | None, Query()
    ] = None,
    x_continuation_token: Continuation = None,
) -> dict[str, Any]:
    found = []
    for doc in sim.state.all("session"):
        if not caller.made_here(doc):
            continue
        if doc["sessionType"] != sessionType or (
            referenceNumber and doc["referenceNumber"] != referenceNumber
        ):
            continue
        if not visible_to(doc, caller.subject_type, caller.subject_value, caller.permissions):
            continue
        doc = processing.expire_if_due(sim, doc)
        if statuses and common_status(doc["status"]["code"]) not in statuses:
            continue
        if not (
            _in_range(doc["dateCreated"], dateCreatedFrom, dateCreatedTo)
            and _in_range(doc.get("dateClosed"), dateClosedFrom, dateClosedTo)
            and _in_range(doc["dateUpdated"], dateModifiedFrom, dateModifiedTo)
        ):
            continue
        found.append(doc)
    found.sort(key=lambda d: d["dateCreated"], reverse=True)
    return paging.page("sessions", found, pageSize, x_continuation_token, _session_item)


def _session_item(doc: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "referenceNumber": doc["referenceNumber"],
        "status": doc["status"],
        "dateCreated": doc["dateCreated"],
        "dateUpdated": doc["dateUpdated"],
        "totalInvoiceCount": doc["invoiceCount"],
        "successfulInvoiceCount": doc["successfulInvoiceCount"],
        "failedInvoiceCount": doc["failedInvoiceCount"],
    }
    if doc["sessionType"] == "Online":
        item["validUntil"] = doc["validUntil"]
    return item


@router.get("/sessions/{referenceNumber}")
def session_status_view(
    referenceNumber: str, request: Request, caller: Annotated[Caller, Depends(require("sessionMisc", READ))]
) -> dict[str, Any]:
    sim = sim_of(request)
    session = _visible_session(sim, caller, referenceNumber)
    out: dict[str, Any] = {
        "status": session["status"],
        "dateCreated": session["dateCreated"],
        "dateUpdated": session["dateUpdated"],
        "invoiceCount": session["invoiceCount"],
        "successfulInvoiceCount": session["successfulInvoiceCount"],
        "failedInvoiceCount": session["failedInvoiceCount"],
    }
    if session["sessionType"] == "Online":
        out["validUntil"] = session["validUntil"]
    if session.get("upoPages"):
        base = sim.public_base(request)
        pages = []
        for page in session["upoPages"]:
            url, expires = downloads.signed_url(
                sim, base, f"upo-session/{referenceNumber}/{page['referenceNumber']}"
            )
            pages.append(
                {
                    "referenceNumber": page["referenceNumber"],
                    "downloadUrl": url,
                    "downloadUrlExpirationDate": iso(expires),
                }
            )
        out["upo"] = {"pages": pages}
    return out


def _invoice_page(
    request: Request, caller: Caller, ref: str, size: int, token: str | None, failed: bool
) -> Any:
    sim = sim_of(request)
    _visible_session(sim, caller, ref)
    invoices = sim.state.all_prefixed("invoice", ref + "/")
    if failed:
        invoices = [i for i in invoices if i["status"]["code"] not in (100, 150, 200)]
    base = sim.public_base(request)
    return paging.page("invoices", invoices, size, token, lambda i: render_invoice(sim, base, i))


def _invoice_list_route(name: str, failed: bool) -> Callable[..., dict[str, Any]]:
    """``GET /sessions/{ref}/invoices`` (every invoice) or ``…/invoices/failed`` (the refused ones)."""

    def route(
        referenceNumber: str,
        request: Request,
        caller: Annotated[Caller, Depends(require("sessionInvoiceList", READ))],
        pageSize: Annotated[int, Query(ge=10, le=1000)] = 10,
        x_continuation_token: Continuation = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = _invoice_page(
            request, caller, referenceNumber, pageSize, x_continuation_token, failed=failed
        )
        return result

    route.__name__ = route.__qualname__ = name  # the operation's name in the OpenAPI document
    return route


session_invoices = router.get("/sessions/{referenceNumber}/invoices")(
    _invoice_list_route("session_invoices", failed=False)
)
session_failed_invoices = router.get("/sessions/{referenceNumber}/invoices/failed")(
    _invoice_list_route("session_failed_invoices", failed=True)
)


def _session_invoice(sim: Simulator, ref: str, inv_ref: str) -> dict[str, Any]:
    idx = sim.state.get("invidx", f"ref:{inv_ref}")
    inv = sim.state.get("invoice", idx["key"]) if idx else None
    if inv is None or inv["sessionRef"] != ref:
        raise ApiError(21164, f"Faktura {inv_ref} nie istnieje w sesji {ref}.")
    return inv


@router.get("/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo")
def invoice_upo_by_ksef(
    referenceNumber: str,
    ksefNumber: str,
    sim: Sim,
    caller: Annotated[Caller, Depends(require("sessionMisc", READ))],
) -> Response:
    session = _visible_session(sim, caller, referenceNumber)
    idx = sim.state.get("invidx", f"ksef:{ksefNumber}")
    inv = sim.state.get("invoice", idx["key"]) if idx else None
    if inv is not None and inv["sessionRef"] != referenceNumber:
        inv = None
    return _xml(invoice_upo(sim, session, inv))


@router.get("/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo")
def invoice_upo_by_ref(
    referenceNumber: str,
    invoiceReferenceNumber: str,
    sim: Sim,
    caller: Annotated[Caller, Depends(require("sessionMisc", READ))],
) -> Response:
    session = _visible_session(sim, caller, referenceNumber)
    try:
        inv: dict[str, Any] | None = _session_invoice(sim, referenceNumber, invoiceReferenceNumber)
    except ApiError:
        inv = None
    return _xml(invoice_upo(sim, session, inv))


@router.get("/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}")
def session_invoice(
    referenceNumber: str,
    invoiceReferenceNumber: str,
    request: Request,
    caller: Annotated[Caller, Depends(require("invoiceStatus", READ))],
) -> dict[str, Any]:
    sim = sim_of(request)
    _visible_session(sim, caller, referenceNumber)
    inv = _session_invoice(sim, referenceNumber, invoiceReferenceNumber)
    return render_invoice(sim, sim.public_base(request), inv)


@router.get("/sessions/{referenceNumber}/upo/{upoReferenceNumber}")
def session_upo(
    referenceNumber: str,
    upoReferenceNumber: str,
    sim: Sim,
    caller: Annotated[Caller, Depends(require("sessionMisc", READ))],
) -> Response:
    session = _visible_session(sim, caller, referenceNumber)
    return _xml(session_upo_page(sim, session, upoReferenceNumber))
