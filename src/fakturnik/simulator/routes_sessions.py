"""KSeF 2.0 API: online sessions; includes the batch, status and download routers (digest §3.2, §6)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from fakturnik.base.ksef_numbers import make_reference_number
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.simulator import (
    decisions,
    downloads,
    features,
    processing,
    routes_batch,
    routes_session_status,
)
from fakturnik.simulator.core import Sim, Simulator, sim_of
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.security import Caller, require
from fakturnik.simulator.session_api import (
    MAX_ENCRYPTED_INVOICE,
    WRITE,
    OpenOnlineIn,
    SendInvoiceIn,
    check_form,
    is_hash,
    new_session,
    unwrap_key,
)
from fakturnik.simulator.session_store import (
    invoice_key,
    invoice_status,
    iso,
    load_session,
    require_open,
)


@asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    """Start the processing worker with the server: it re-queues work a previous run left undecided."""
    worker = processing.processor(app.state.sim)
    yield
    worker.stop()


router = APIRouter(lifespan=_lifespan)
router.include_router(downloads.router)
router.include_router(routes_batch.router)
router.include_router(routes_session_status.router)

# -- online sessions -----------------------------------------------------------------------------


@router.post("/sessions/online", status_code=201)
def open_online(
    body: OpenOnlineIn, request: Request, caller: Annotated[Caller, Depends(require("onlineSession", WRITE))]
) -> dict[str, Any]:
    sim = sim_of(request)
    form = check_form(sim, body.formCode, batch=False)
    key, iv = unwrap_key(sim, body.encryption)
    session = new_session(sim, caller, "Online", form, key, iv)
    session["features"] = features.requested(request.headers)
    sim.state.put("session", session["referenceNumber"], session)
    return {"referenceNumber": session["referenceNumber"], "validUntil": session["validUntil"]}


@router.post("/sessions/online/{referenceNumber}/invoices", status_code=202)
def send_invoice(
    referenceNumber: str,
    body: SendInvoiceIn,
    sim: Sim,
    caller: Annotated[Caller, Depends(require("invoiceSend", WRITE))],
) -> dict[str, Any]:
    for name in ("invoiceHash", "encryptedInvoiceHash"):
        if not is_hash(getattr(body, name)):
            raise ApiError(21405, f"{name}: wymagany skrót SHA-256 w Base64 (44 znaki).")
    if body.hashOfCorrectedInvoice is not None and not is_hash(body.hashOfCorrectedInvoice):
        raise ApiError(21405, "hashOfCorrectedInvoice: wymagany skrót SHA-256 w Base64 (44 znaki).")
    if body.invoiceSize < 1 or body.encryptedInvoiceSize < 1:
        raise ApiError(21405, "invoiceSize, encryptedInvoiceSize: wartość musi być dodatnia.")
    session = processing.expire_if_due(sim, load_session(sim, referenceNumber, caller))
    require_open(session, "Online")
    try:
        content = base64.b64decode(body.encryptedInvoiceContent, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(21405, "encryptedInvoiceContent: nieprawidłowe Base64.") from exc
    if len(content) != body.encryptedInvoiceSize:
        raise ApiError(21402, f"Zadeklarowano {body.encryptedInvoiceSize} B, przesłano {len(content)} B.")
    _, max_plain, max_with_attachment = decisions.session_limits(sim, session)
    ceiling = max(max_plain, max_with_attachment, MAX_ENCRYPTED_INVOICE - 16)
    if body.invoiceSize > ceiling or body.encryptedInvoiceSize > ceiling + 16:
        raise ApiError(21402, f"Faktura ma {body.invoiceSize} B; dozwolone co najwyżej {ceiling} B.")
    if sha256_b64(content) != body.encryptedInvoiceHash:
        raise ApiError(21403, "Skrót zaszyfrowanej faktury nie zgadza się z przesłaną treścią.")
    now = sim.now()
    with sim.state.lock:
        session = require_open(sim.state.get("session", referenceNumber) or session)
        _refuse_if_paused(sim, referenceNumber, int(session["invoiceCount"]))
        limit = max_invoices(sim, session)
        if session["invoiceCount"] >= limit:
            raise ApiError(21155, f"Sesja przyjęła już {limit} faktur.")
        if body.hashOfCorrectedInvoice is not None:
            _check_technical_correction(sim, body.hashOfCorrectedInvoice)
        ordinal = session["invoiceCount"] + 1
        inv_ref = make_reference_number("EE", now.date())
        key = invoice_key(referenceNumber, ordinal)
        inv = {
            "sessionRef": referenceNumber,
            "ordinalNumber": ordinal,
            "referenceNumber": inv_ref,
            "invoiceHash": body.invoiceHash,
            "invoiceSize": body.invoiceSize,
            "invoicingDate": iso(now),
            "offlineMode": body.offlineMode,
            "hashOfCorrectedInvoice": body.hashOfCorrectedInvoice,
            "status": invoice_status(100),
        }
        with sim.state.transaction():
            sim.state.put_blob(f"enc/{key}", content)
            sim.state.put("invoice", key, inv)
            sim.state.put("invidx", f"ref:{inv_ref}", {"key": key})
            session["invoiceCount"] = ordinal
            session["pending"] = int(session.get("pending", 0)) + 1
            session["dateUpdated"] = iso(now)
            sim.state.put("session", referenceNumber, session)
    processing.processor(sim).submit(("invoice", key))
    return {"referenceNumber": inv_ref}


def _refuse_if_paused(sim: Simulator, reference_number: str, taken: int) -> None:
    """The ``sessionUnavailable`` fault: a paused session answers 21184 and takes nothing (API 2.8)."""
    faults = sim.faults
    if (
        reference_number not in faults.paused_sessions
        and faults.session_unavailable > 0
        and taken >= faults.session_unavailable_after
    ):
        faults.session_unavailable -= 1
        faults.paused_sessions.add(reference_number)
    if reference_number in faults.paused_sessions:
        raise ApiError(21184, "Sesja tymczasowo niedostępna. Otwórz nową sesję.")


def max_invoices(sim: Simulator, session: dict[str, Any]) -> int:
    """The context's invoice limit per session (``/testdata/limits/context/session`` may change it)."""
    return decisions.session_limits(sim, session)[0]


def _check_technical_correction(sim: Simulator, original_hash: str) -> None:
    original = sim.state.get("invidx", f"hash:{original_hash}")
    if original is None:
        raise ApiError(21166, "Nie znaleziono odrzuconej faktury o podanym skrócie.")
    if original["code"] in (200, 100, 150, 410):
        raise ApiError(21167, f"Faktura korygowana ma status {original['code']}.")
    if sim.state.get("invidx", f"corr:{original_hash}") is not None:
        raise ApiError(21166, "Dla tej faktury przyjęto już korektę techniczną.")


@router.post("/sessions/online/{referenceNumber}/close", status_code=204)
def close_online_session(
    referenceNumber: str,
    sim: Sim,
    caller: Annotated[Caller, Depends(require("onlineSessionClose", WRITE))],
) -> Response:
    with sim.state.lock:
        session = require_open(load_session(sim, referenceNumber, caller), "Online")
        processing.close_online(sim, session)
    return Response(status_code=204)
