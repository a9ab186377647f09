"""Invoice exports (digest §12): an encrypted, split archive of ``{ksefNumber}.xml`` + ``_metadata.json``.

The worker builds the package: invoices selected like a metadata query (ascending by the date type),
capped at 10,000 invoices or 1 GB, packed as Zip or TarGz, split binary into parts of at most
50 MiB, each part AES-256-CBC encrypted with the client's key and IV. Parts are served through
pre-signed links.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from datetime import timedelta
from typing import Any

from fakturnik.ksef.crypto import aes_cbc_encrypt, sha256_b64
from fakturnik.simulator import downloads, metadata
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.decisions import session_key
from fakturnik.simulator.session_store import iso, parse_iso

PART_SIZE = 50 * 1024 * 1024
MAX_INVOICES = 10_000
MAX_BYTES = 1_000_000_000
MAX_RUNNING = 10
PACKAGE_TTL = timedelta(days=7)
STATUS_RETENTION = timedelta(days=7)

EXPORT_STATUS = {
    100: "Eksport faktur w toku",
    200: "Eksport faktur zakończony sukcesem",
    210: "Eksport faktur wygasł i nie jest już dostępny do pobrania",
    415: "Błąd odszyfrowania dostarczonego klucza",
    420: "Zakres filtrowania wykracza poza dostępny zakres danych",
    500: "Nieznany błąd (500)",
}


def export_status(code: int, details: list[str] | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"code": code, "description": EXPORT_STATUS.get(code, "Nieznany błąd")}
    if details:
        status["details"] = details
    return status


def pack(files: list[tuple[str, bytes]], compression: str) -> bytes:
    buffer = io.BytesIO()
    if compression == "TarGz":
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for name, data in files:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    else:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files:
                archive.writestr(name, data)
    return buffer.getvalue()


def process_export(sim: Simulator, ref: str) -> None:
    export = sim.state.get("export", ref)
    if export is None or export["status"]["code"] != 100:
        return
    aes = session_key(export)
    now = sim.now()
    if aes is None:
        _finish(sim, export, export_status(415))
        return
    filters = export["filters"]
    window = metadata.date_window(filters["dateRange"], parse_iso(export["dateCreated"]))
    with sim.state.lock:
        now = sim.now()
        mark = metadata.hwm(now)
        invoices = sim.state.all("invoice")
    is_storage = window.date_type == "PermanentStorage"
    if is_storage and window.restrict_to_hwm:
        if window.start > mark:
            _finish(sim, export, export_status(420, ["Parametr dateRange.from jest późniejszy niż HWM."]))
            return
        window = metadata.DateWindow(window.date_type, window.start, min(window.end, mark), True)
    rows = metadata.select(invoices, filters, window, export["contextValue"], now=now)
    chosen: list[dict[str, Any]] = []
    files: list[tuple[str, bytes]] = []
    total = 0
    truncated = False
    for inv in rows:
        xml = b"" if export["onlyMetadata"] else (sim.state.get_blob(f"xml/{inv['ksefNumber']}") or b"")
        if len(chosen) >= MAX_INVOICES or total + len(xml) > MAX_BYTES:
            truncated = True
            break
        chosen.append(inv)
        total += len(xml)
        if not export["onlyMetadata"]:
            files.append((f"{inv['ksefNumber']}.xml", xml))
    meta = json.dumps({"invoices": [metadata.render(i) for i in chosen]}, ensure_ascii=False).encode()
    files.append(("_metadata.json", meta))
    archive = pack(files, export["compressionType"])
    suffix = "tar.gz" if export["compressionType"] == "TarGz" else "zip"
    parts = []
    for index, start in enumerate(range(0, len(archive), PART_SIZE), start=1):
        plain = archive[start : start + PART_SIZE]
        encrypted = aes_cbc_encrypt(aes, plain)
        name = f"{ref}-{index:03d}.{suffix}.aes"
        sim.state.put_blob(f"export/{ref}/{name}", encrypted)
        parts.append(
            {
                "ordinalNumber": index,
                "partName": name,
                "partSize": len(plain),
                "partHash": sha256_b64(plain),
                "encryptedPartSize": len(encrypted),
                "encryptedPartHash": sha256_b64(encrypted),
            }
        )
    package: dict[str, Any] = {
        "invoiceCount": len(chosen),
        "size": len(archive),
        "parts": parts,
        "isTruncated": truncated,
    }
    if truncated and chosen:
        last = chosen[-1]
        if window.date_type == "Issue":
            package["lastIssueDate"] = last["facts"]["issueDate"]
        elif window.date_type == "Invoicing":
            package["lastInvoicingDate"] = last["invoicingDate"]
        else:
            package["lastPermanentStorageDate"] = last["permanentStorageDate"]
    if is_storage:
        package["permanentStorageHwmDate"] = iso(min(window.end, mark))
    export["package"] = package
    export["completedDate"] = iso(sim.now())
    export["packageExpirationDate"] = iso(sim.now() + PACKAGE_TTL)
    _finish(sim, export, export_status(200))


def _finish(sim: Simulator, export: dict[str, Any], status: dict[str, Any]) -> None:
    export["status"] = status
    export["key"] = None  # the client's key is not needed any more
    export.setdefault("completedDate", iso(sim.now()))
    sim.state.put("export", export["referenceNumber"], export)


def render_status(sim: Simulator, base: str, export: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"status": export["status"]}
    if export["status"]["code"] == 100:
        return out
    out["completedDate"] = export.get("completedDate")
    package = export.get("package")
    if package is None:
        return out
    expires_at = parse_iso(export["packageExpirationDate"])
    out["packageExpirationDate"] = export["packageExpirationDate"]
    if sim.now() > expires_at:
        out["status"] = export_status(210)
        return out
    ttl = min(downloads.DOWNLOAD_TTL, expires_at - sim.now())
    parts = []
    for part in package["parts"]:
        url, expires = downloads.signed_url(
            sim, base, f"export/{export['referenceNumber']}/{part['partName']}", ttl=ttl
        )
        parts.append({**part, "method": "GET", "url": url, "expirationDate": iso(expires)})
    out["package"] = {**package, "parts": parts}
    return out


def _resolve_part(sim: Simulator, resource: str) -> tuple[bytes, str] | None:
    _, ref, name = resource.split("/", 2)
    data = sim.state.get_blob(f"export/{ref}/{name}")
    return (data, "application/octet-stream") if data is not None else None


downloads.RESOLVERS["export"] = _resolve_part
