"""KSeF 2.0 API: batch sessions and the pre-signed part uploads (digest §3.2, §6, §14.4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from fakturnik.simulator import downloads, features, processing
from fakturnik.simulator.core import Sim, sim_of
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.security import Caller, require
from fakturnik.simulator.session_api import (
    BATCH_WRITE,
    MAX_PART_ENCRYPTED,
    MAX_PARTS,
    OpenBatchIn,
    check_form,
    is_hash,
    new_session,
    unwrap_key,
)
from fakturnik.simulator.session_store import (
    PART_UPLOAD_WINDOW,
    UPLOAD_TIMEOUT,
    iso,
    load_session,
    parse_iso,
    require_open,
    session_status,
)

router = APIRouter()


@router.post("/sessions/batch", status_code=201)
def open_batch(
    body: OpenBatchIn,
    request: Request,
    caller: Annotated[Caller, Depends(require("batchSession", BATCH_WRITE))],
) -> dict[str, Any]:
    sim = sim_of(request)
    form = check_form(sim, body.formCode, batch=True)
    parts = body.batchFile.fileParts
    if not 1 <= len(parts) <= MAX_PARTS:
        raise ApiError(21161, f"Paczka ma {len(parts)} części; dozwolone od 1 do {MAX_PARTS}.")
    if sorted(p.ordinalNumber for p in parts) != list(range(1, len(parts) + 1)):
        raise ApiError(21405, "fileParts: numery części muszą być kolejne od 1.")
    for part in parts:
        if part.fileSize < 1 or part.fileSize > MAX_PART_ENCRYPTED:
            raise ApiError(21157, f"Część {part.ordinalNumber} ma {part.fileSize} B; dozwolone do 100 MB.")
        if not is_hash(part.fileHash):
            raise ApiError(21405, f"fileParts[{part.ordinalNumber}].fileHash: wymagany skrót SHA-256.")
    if not 1 <= body.batchFile.fileSize <= 5_000_000_000 or not is_hash(body.batchFile.fileHash):
        raise ApiError(21405, "batchFile: rozmiar 1 B – 5 GB i skrót SHA-256 w Base64.")
    key, iv = unwrap_key(sim, body.encryption)
    session = new_session(sim, caller, "Batch", form, key, iv)
    session["features"] = features.requested(request.headers)
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
    sim: Sim,
    caller: Annotated[Caller, Depends(require("batchSessionClose", BATCH_WRITE))],
) -> Response:
    with sim.state.lock:
        session = require_open(load_session(sim, referenceNumber, caller), "Batch")
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
