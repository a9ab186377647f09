"""KSeF 2.0 API: online and batch sessions, session and invoice status, UPO (digest §3.2, §3.3, §6)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from fakturnik.ksef.crypto import rsa_oaep_decrypt, sha256_b64, unb64
from fakturnik.ksef.numbers import make_reference_number
from fakturnik.simulator import downloads, grants, processing
from fakturnik.simulator.core import Simulator, sim_of
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.invoice_schemas import FormSpec, find_form
from fakturnik.simulator.security import Caller, require
from fakturnik.simulator.session_store import (
    BATCH_TTL,
    MAX_INVOICES,
    ONLINE_TTL,
    PART_UPLOAD_WINDOW,
    UPLOAD_TIMEOUT,
    close_online,
    common_status,
    expire_if_due,
    invoice_key,
    invoice_status,
    iso,
    load_session,
    parse_iso,
    session_status,
    visible_to,
)
from fakturnik.simulator.upo import build_upo


@asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    """Start the processing worker with the server: it re-queues work a previous run left undecided."""
    worker = processing.processor(app.state.sim)
    yield
    worker.stop()


router = APIRouter(lifespan=_lifespan)
router.include_router(downloads.router)

WRITE = ("InvoiceWrite", "PefInvoiceWrite", "EnforcementOperations")
BATCH_WRITE = ("InvoiceWrite", "EnforcementOperations")
READ = ("InvoiceWrite", "Introspection", "PefInvoiceWrite", "EnforcementOperations")
LIST = ("InvoiceWrite", "Introspection", "EnforcementOperations")
MAX_PARTS = 50
MAX_PART_PLAIN = 100_000_000
MAX_PART_ENCRYPTED = MAX_PART_PLAIN + 16
MAX_ENCRYPTED_INVOICE = 3_000_016


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FormCodeIn(_Model):
    systemCode: str
    schemaVersion: str
    value: str


class EncryptionIn(_Model):
    encryptedSymmetricKey: str
    initializationVector: str
    publicKeyId: str | None = None


class OpenOnlineIn(_Model):
    formCode: FormCodeIn
    encryption: EncryptionIn


class SendInvoiceIn(_Model):
    invoiceHash: str
    invoiceSize: int
    encryptedInvoiceHash: str
    encryptedInvoiceSize: int
    encryptedInvoiceContent: str
    offlineMode: bool = False
    hashOfCorrectedInvoice: str | None = None


class PartIn(_Model):
    ordinalNumber: int
    fileSize: int
    fileHash: str


class BatchFileIn(_Model):
    fileSize: int
    fileHash: str
    compressionType: Literal["Zip", "TarGz"] | None = None
    fileParts: list[PartIn]


class OpenBatchIn(_Model):
    formCode: FormCodeIn
    batchFile: BatchFileIn
    encryption: EncryptionIn
    offlineMode: bool = False


# -- helpers -------------------------------------------------------------------------------------


def _is_hash(value: str) -> bool:
    if len(value) != 44:
        return False
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def unwrap_key(sim: Simulator, enc: EncryptionIn) -> tuple[str | None, str]:
    """(b64 AES key or None when it cannot be unwrapped, b64 IV); 21470 for an unknown key id."""
    pair = sim.keys.by_usage["SymmetricKeyEncryption"]
    if enc.publicKeyId is not None and enc.publicKeyId != pair.public_key_id:
        raise ApiError(21470, f"Nieznany identyfikator klucza publicznego {enc.publicKeyId}.")
    try:
        iv = unb64(enc.initializationVector)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(21405, "initializationVector: nieprawidłowe Base64.") from exc
    if len(iv) != 16:
        raise ApiError(21405, "initializationVector: wymagane 16 bajtów.")
    try:
        key = rsa_oaep_decrypt(pair.private_key, unb64(enc.encryptedSymmetricKey))
    except (binascii.Error, ValueError):
        return None, enc.initializationVector
    if len(key) != 32:
        return None, enc.initializationVector
    return base64.b64encode(key).decode(), enc.initializationVector


def _form(sim: Simulator, fc: FormCodeIn, *, batch: bool) -> FormSpec:
    form = find_form(fc.systemCode, fc.schemaVersion, fc.value, sim.config.profile)
    if form is None or (batch and not form.batch_allowed):
        raise ApiError(
            21405,
            f"formCode: schemat {fc.systemCode} {fc.schemaVersion} {fc.value} nie jest obsługiwany"
            f"{' w sesji wsadowej' if batch else ''} na tym środowisku.",
        )
    return form


def _auth_info(sim: Simulator, caller: Caller) -> dict[str, Any]:
    auth = sim.state.get("auth", caller.auth_ref) or {}
    token_ref = caller.ksef_token_ref or auth.get("ksefTokenRef")
    doc_hash = (
        auth.get("authDocumentHash")
        or auth.get("documentHash")
        or auth.get("requestHash")
        or sha256_b64(caller.auth_ref.encode())
    )
    return {
        "authRef": caller.auth_ref,
        "ksefTokenRef": token_ref if caller.auth_method == "Token" or auth.get("method") == "Token" else None,
        "authDocumentHash": doc_hash,
    }


def _new_session(
    sim: Simulator, caller: Caller, kind: str, form: FormSpec, key: str | None, iv: str
) -> dict[str, Any]:
    now = sim.now()
    ref = make_reference_number("SO" if kind == "Online" else "SB", now.date())
    session: dict[str, Any] = {
        "referenceNumber": ref,
        "sessionType": kind,
        "contextType": caller.context_type,
        "contextValue": caller.context_value,
        "subjectType": caller.subject_type,
        "subjectValue": caller.subject_value,
        "permissions": sorted(caller.permissions),
        "authMethod": caller.auth_method,
        **_auth_info(sim, caller),
        "formCode": {
            "systemCode": form.system_code,
            "schemaVersion": form.schema_version,
            "value": form.value,
        },
        "formLogicalName": form.logical_name,
        "status": session_status(kind, 100),
        "dateCreated": iso(now),
        "dateUpdated": iso(now),
        "dateClosed": None,
        "validUntil": iso(now + (ONLINE_TTL if kind == "Online" else BATCH_TTL)),
        "key": key,
        "iv": iv,
        "invoiceCount": 0,
        "successfulInvoiceCount": 0,
        "failedInvoiceCount": 0,
        "pending": 0,
    }
    if kind == "Online" and key is None:
        session["status"] = session_status("Online", 415)
        session["dateClosed"] = iso(now)
    return session


def _continuation(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("o:"))
    except (ValueError, binascii.Error) as exc:
        raise ApiError(21418, "Nieprawidłowy token kontynuacji.") from exc
    if offset < 0:
        raise ApiError(21418, "Nieprawidłowy token kontynuacji.")
    return offset


def _next_token(offset: int, size: int, total: int) -> str | None:
    end = offset + size
    return base64.urlsafe_b64encode(f"o:{end}".encode()).decode() if end < total else None


def _visible_session(sim: Simulator, caller: Caller, ref: str) -> dict[str, Any]:
    session = load_session(sim, ref, caller.context_type, caller.context_value)
    if not visible_to(session, caller.subject_type, caller.subject_value, caller.permissions):
        raise ApiError(21173, f"Sesja {ref} nie istnieje w tym kontekście.")
    return expire_if_due(sim, session)


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
            accepted = processing.accepted_invoices(sim, session["referenceNumber"])
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


# -- online sessions -----------------------------------------------------------------------------


@router.post("/sessions/online", status_code=201)
def open_online(
    body: OpenOnlineIn, request: Request, caller: Annotated[Caller, Depends(require("onlineSession", WRITE))]
) -> dict[str, Any]:
    sim = sim_of(request)
    form = _form(sim, body.formCode, batch=False)
    key, iv = unwrap_key(sim, body.encryption)
    session = _new_session(sim, caller, "Online", form, key, iv)
    sim.state.put("session", session["referenceNumber"], session)
    return {"referenceNumber": session["referenceNumber"], "validUntil": session["validUntil"]}


@router.post("/sessions/online/{referenceNumber}/invoices", status_code=202)
def send_invoice(
    referenceNumber: str,
    body: SendInvoiceIn,
    request: Request,
    caller: Annotated[Caller, Depends(require("invoiceSend", WRITE))],
) -> dict[str, Any]:
    sim = sim_of(request)
    for name in ("invoiceHash", "encryptedInvoiceHash"):
        if not _is_hash(getattr(body, name)):
            raise ApiError(21405, f"{name}: wymagany skrót SHA-256 w Base64 (44 znaki).")
    if body.hashOfCorrectedInvoice is not None and not _is_hash(body.hashOfCorrectedInvoice):
        raise ApiError(21405, "hashOfCorrectedInvoice: wymagany skrót SHA-256 w Base64 (44 znaki).")
    if body.invoiceSize < 1 or body.encryptedInvoiceSize < 1:
        raise ApiError(21405, "invoiceSize, encryptedInvoiceSize: wartość musi być dodatnia.")
    session = expire_if_due(
        sim, load_session(sim, referenceNumber, caller.context_type, caller.context_value)
    )
    if session["sessionType"] != "Online" or session["status"]["code"] != 100:
        raise ApiError(21180, f"Sesja ma status {session['status']['code']}.")
    try:
        content = base64.b64decode(body.encryptedInvoiceContent, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(21405, "encryptedInvoiceContent: nieprawidłowe Base64.") from exc
    if len(content) != body.encryptedInvoiceSize or body.encryptedInvoiceSize > MAX_ENCRYPTED_INVOICE:
        raise ApiError(21402, f"Zadeklarowano {body.encryptedInvoiceSize} B, przesłano {len(content)} B.")
    if body.invoiceSize > MAX_ENCRYPTED_INVOICE - 16:
        raise ApiError(21402, f"Faktura ma {body.invoiceSize} B; dozwolone co najwyżej 3 MB.")
    if sha256_b64(content) != body.encryptedInvoiceHash:
        raise ApiError(21403, "Skrót zaszyfrowanej faktury nie zgadza się z przesłaną treścią.")
    now = sim.now()
    with sim.state.lock:
        session = sim.state.get("session", referenceNumber) or session
        if session["status"]["code"] != 100:
            raise ApiError(21180, f"Sesja ma status {session['status']['code']}.")
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


def max_invoices(sim: Simulator, session: dict[str, Any]) -> int:
    """The context's invoice limit per session (``/testdata/limits/context/session`` may change it)."""
    helper = getattr(grants, "context_limits", None)
    if helper is None:
        return MAX_INVOICES
    group = "onlineSession" if session["sessionType"] == "Online" else "batchSession"
    limits = helper(sim, f"{session['contextType']}:{session['contextValue']}").get(group, {})
    return int(limits.get("maxInvoices", MAX_INVOICES))


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
    request: Request,
    caller: Annotated[Caller, Depends(require("onlineSession", WRITE))],
) -> Response:
    sim = sim_of(request)
    with sim.state.lock:
        session = load_session(sim, referenceNumber, caller.context_type, caller.context_value)
        if session["sessionType"] != "Online" or session["status"]["code"] != 100:
            raise ApiError(21180, f"Sesja ma status {session['status']['code']}.")
        close_online(sim, session)
    return Response(status_code=204)


# -- batch sessions ------------------------------------------------------------------------------


@router.post("/sessions/batch", status_code=201)
def open_batch(
    body: OpenBatchIn,
    request: Request,
    caller: Annotated[Caller, Depends(require("batchSession", BATCH_WRITE))],
) -> dict[str, Any]:
    sim = sim_of(request)
    form = _form(sim, body.formCode, batch=True)
    parts = body.batchFile.fileParts
    if not 1 <= len(parts) <= MAX_PARTS:
        raise ApiError(21161, f"Paczka ma {len(parts)} części; dozwolone od 1 do {MAX_PARTS}.")
    if sorted(p.ordinalNumber for p in parts) != list(range(1, len(parts) + 1)):
        raise ApiError(21405, "fileParts: numery części muszą być kolejne od 1.")
    for part in parts:
        if part.fileSize < 1 or part.fileSize > MAX_PART_ENCRYPTED:
            raise ApiError(21157, f"Część {part.ordinalNumber} ma {part.fileSize} B; dozwolone do 100 MB.")
        if not _is_hash(part.fileHash):
            raise ApiError(21405, f"fileParts[{part.ordinalNumber}].fileHash: wymagany skrót SHA-256.")
    if not 1 <= body.batchFile.fileSize <= 5_000_000_000 or not _is_hash(body.batchFile.fileHash):
        raise ApiError(21405, "batchFile: rozmiar 1 B – 5 GB i skrót SHA-256 w Base64.")
    key, iv = unwrap_key(sim, body.encryption)
    session = _new_session(sim, caller, "Batch", form, key, iv)
    session["offlineMode"] = body.offlineMode
    session["batch"] = {
        "fileSize": body.batchFile.fileSize,
        "fileHash": body.batchFile.fileHash,
        "compressionType": body.batchFile.compressionType or "Zip",
        "parts": [
            {
                "ordinalNumber": p.ordinalNumber,
                "fileSize": p.fileSize,
                "fileHash": p.fileHash,
                "uploaded": False,
            }
            for p in sorted(parts, key=lambda p: p.ordinalNumber)
        ],
    }
    ref = session["referenceNumber"]
    sim.state.put("session", ref, session)
    base = sim.public_base(request)
    window = PART_UPLOAD_WINDOW * len(parts) + timedelta(minutes=1)
    uploads = []
    for part in session["batch"]["parts"]:
        url, _ = downloads.signed_url(
            sim, base, f"batch/{ref}/{part['ordinalNumber']}", method="PUT", ttl=window
        )
        uploads.append(
            {
                "ordinalNumber": part["ordinalNumber"],
                "method": "PUT",
                "url": url,
                "headers": {"x-ms-blob-type": "BlockBlob"},
            }
        )
    return {"referenceNumber": ref, "partUploadRequests": uploads}


def upload_deadline(session: dict[str, Any]) -> Any:
    return parse_iso(session["dateCreated"]) + PART_UPLOAD_WINDOW * len(session["batch"]["parts"])


@router.put("/storage/batch/{referenceNumber}/{ordinal}", include_in_schema=False, status_code=201)
async def upload_part(referenceNumber: str, ordinal: int, request: Request) -> Response:
    sim = sim_of(request)
    resource = f"batch/{referenceNumber}/{ordinal}"
    if not downloads.verify(
        sim, "PUT", resource, request.query_params.get("exp"), request.query_params.get("sig")
    ):
        return downloads.denied()
    data = await request.body()
    with sim.state.lock:
        session = sim.state.get("session", referenceNumber)
        if session is None or session["sessionType"] != "Batch":
            return downloads.denied("Sesja nie istnieje.")
        if session["status"]["code"] != 100 or sim.now() > upload_deadline(session):
            return downloads.denied("Czas na przesłanie części paczki upłynął albo sesja jest zamknięta.")
        parts = session["batch"]["parts"]
        if not 1 <= ordinal <= len(parts):
            return JSONResponse({"error": "InvalidPart"}, status_code=400)
        if len(data) > MAX_PART_ENCRYPTED:
            return JSONResponse({"error": "RequestBodyTooLarge"}, status_code=400)
        sim.state.put_blob(f"part/{referenceNumber}/{ordinal}", data)
        parts[ordinal - 1]["uploaded"] = True
        parts[ordinal - 1]["uploadedSize"] = len(data)
        session["dateUpdated"] = iso(sim.now())
        sim.state.put("session", referenceNumber, session)
    return Response(status_code=201)


@router.post("/sessions/batch/{referenceNumber}/close", status_code=204)
def close_batch(
    referenceNumber: str,
    request: Request,
    caller: Annotated[Caller, Depends(require("batchSession", BATCH_WRITE))],
) -> Response:
    sim = sim_of(request)
    with sim.state.lock:
        session = load_session(sim, referenceNumber, caller.context_type, caller.context_value)
        if session["sessionType"] != "Batch" or session["status"]["code"] != 100:
            raise ApiError(21180, f"Sesja ma status {session['status']['code']}.")
        now = sim.now()
        missing = [p["ordinalNumber"] for p in session["batch"]["parts"] if not p["uploaded"]]
        if missing and now > upload_deadline(session):
            session["status"] = session_status("Batch", 440, [UPLOAD_TIMEOUT])
            session["dateUpdated"] = session["dateClosed"] = iso(now)
            sim.state.put("session", referenceNumber, session)
            raise ApiError(21208, f"Nie przesłano części {missing} w wyznaczonym czasie.")
        if missing:
            raise ApiError(21205, f"Brak części pakietu: {missing}.")
        wrong = [p["ordinalNumber"] for p in session["batch"]["parts"] if p["uploadedSize"] != p["fileSize"]]
        if wrong:
            raise ApiError(21157, f"Rozmiar części {wrong} różni się od zadeklarowanego.")
        session["status"] = session_status("Batch", 150)
        session["dateUpdated"] = session["dateClosed"] = iso(now)
        sim.state.put("session", referenceNumber, session)
    processing.processor(sim).submit(("batch", referenceNumber))
    return Response(status_code=204)


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
    request: Request,
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
    x_continuation_token: Annotated[str | None, Header(alias="x-continuation-token")] = None,
) -> dict[str, Any]:
    sim = sim_of(request)
    offset = _continuation(x_continuation_token)
    found = []
    for doc in sim.state.all("session"):
        if (doc["contextType"], doc["contextValue"]) != (caller.context_type, caller.context_value):
            continue
        if doc["sessionType"] != sessionType or (
            referenceNumber and doc["referenceNumber"] != referenceNumber
        ):
            continue
        if not visible_to(doc, caller.subject_type, caller.subject_value, caller.permissions):
            continue
        doc = expire_if_due(sim, doc)
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
    page = found[offset : offset + pageSize]
    items = []
    for doc in page:
        item = {
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
        items.append(item)
    out: dict[str, Any] = {"sessions": items}
    token = _next_token(offset, pageSize, len(found))
    if token:
        out["continuationToken"] = token
    return out


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
    offset = _continuation(token)
    invoices = sim.state.all_prefixed("invoice", ref + "/")
    if failed:
        invoices = [i for i in invoices if i["status"]["code"] not in (100, 150, 200)]
    base = sim.public_base(request)
    out: dict[str, Any] = {
        "invoices": [render_invoice(sim, base, i) for i in invoices[offset : offset + size]]
    }
    next_token = _next_token(offset, size, len(invoices))
    if next_token:
        out["continuationToken"] = next_token
    return out


@router.get("/sessions/{referenceNumber}/invoices")
def session_invoices(
    referenceNumber: str,
    request: Request,
    caller: Annotated[Caller, Depends(require("sessionInvoiceList", READ))],
    pageSize: Annotated[int, Query(ge=10, le=1000)] = 10,
    x_continuation_token: Annotated[str | None, Header(alias="x-continuation-token")] = None,
) -> dict[str, Any]:
    result: dict[str, Any] = _invoice_page(
        request, caller, referenceNumber, pageSize, x_continuation_token, failed=False
    )
    return result


@router.get("/sessions/{referenceNumber}/invoices/failed")
def session_failed_invoices(
    referenceNumber: str,
    request: Request,
    caller: Annotated[Caller, Depends(require("sessionInvoiceList", READ))],
    pageSize: Annotated[int, Query(ge=10, le=1000)] = 10,
    x_continuation_token: Annotated[str | None, Header(alias="x-continuation-token")] = None,
) -> dict[str, Any]:
    result: dict[str, Any] = _invoice_page(
        request, caller, referenceNumber, pageSize, x_continuation_token, failed=True
    )
    return result


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
    request: Request,
    caller: Annotated[Caller, Depends(require("sessionMisc", READ))],
) -> Response:
    sim = sim_of(request)
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
    request: Request,
    caller: Annotated[Caller, Depends(require("sessionMisc", READ))],
) -> Response:
    sim = sim_of(request)
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
    request: Request,
    caller: Annotated[Caller, Depends(require("sessionMisc", READ))],
) -> Response:
    sim = sim_of(request)
    session = _visible_session(sim, caller, referenceNumber)
    return _xml(session_upo_page(sim, session, upoReferenceNumber))
