"""Batch session processing (digest §6, §14.4): parts → archive → invoices → verdicts.

Order of checks: session key (415), each part's hash (405) and decryption (435), the reassembled
archive's size and hash against ``batchFile`` (405), decompression with guards against zip bombs and
path tricks (430), the invoice count (420), then every invoice as in an online session with
``invoicingDate`` = the session's opening time. No invoices → 440, none accepted → 445, else 200.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
import zipfile
from typing import Any

from fakturnik.base.ksef_numbers import make_reference_number
from fakturnik.ksef.crypto import aes_cbc_decrypt, sha256_b64
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.decisions import (
    check_context,
    finalize,
    record_verdict,
    session_key,
    session_limits,
)
from fakturnik.simulator.invoice_checks import MAX_PLAIN_WITH_ATTACHMENT, Verdict, judge
from fakturnik.simulator.session_store import (
    MAX_INVOICES,
    invoice_key,
    invoice_status,
    iso,
    session_status,
)

WRITE_CHUNK = 250
EXTRA_MEMBERS = 100  # directories tolerated on top of the invoice limit


class ArchiveError(Exception):
    """The archive cannot be unpacked safely (status 430)."""


class TooManyInvoices(Exception):
    """More invoices than a session may hold (status 420)."""


def _safe_name(name: str) -> str:
    normalized = posixpath.normpath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or normalized.startswith("..") or ":" in normalized.split("/")[0]:
        raise ArchiveError(f"Niedozwolona ścieżka w archiwum: {name!r}.")
    return normalized


def unpack(
    archive: bytes,
    compression: str,
    max_invoices: int = MAX_INVOICES,
    max_member: int = MAX_PLAIN_WITH_ATTACHMENT,
) -> list[tuple[str, bytes]]:
    """Invoice files of the archive as (name, bytes); oversize members are cut at the limit + 1 byte
    (the invoice check then rejects them), so a bomb never inflates beyond that."""

    def _read_capped(stream: Any) -> bytes:
        data: bytes = stream.read(max_member + 1)
        return data

    files: list[tuple[str, bytes]] = []
    total = 0
    try:
        if compression == "TarGz":
            with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
                for count, member in enumerate(tar, start=1):
                    if count > max_invoices + EXTRA_MEMBERS:
                        raise TooManyInvoices
                    if member.isdir():
                        continue
                    if not member.isfile():
                        raise ArchiveError(f"Niedozwolony typ wpisu w archiwum: {member.name!r}.")
                    name = _safe_name(member.name)
                    stream = tar.extractfile(member)
                    data = _read_capped(stream) if stream is not None else b""
                    total += len(data)
                    files.append((name, data))
        else:
            with zipfile.ZipFile(io.BytesIO(archive)) as zf:
                infos = zf.infolist()
                if len(infos) > max_invoices + EXTRA_MEMBERS:
                    raise TooManyInvoices
                for info in infos:
                    if info.is_dir():
                        continue
                    name = _safe_name(info.filename)
                    with zf.open(info) as stream:
                        data = _read_capped(stream)
                    total += len(data)
                    files.append((name, data))
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise ArchiveError(f"Nie udało się rozpakować archiwum: {exc}.") from exc
    if total > max_invoices * (max_member + 1):
        raise ArchiveError("Archiwum po rozpakowaniu przekracza dozwolony rozmiar.")
    if len(files) > max_invoices:
        raise TooManyInvoices
    return files


def _fail(sim: Simulator, session: dict[str, Any], code: int, *details: str) -> None:
    with sim.state.lock:
        session["status"] = session_status("Batch", code, list(details) or None)
        session["dateUpdated"] = iso(sim.now())
        session["key"] = None
        sim.state.put("session", session["referenceNumber"], session)
    _drop_parts(sim, session)


def _drop_parts(sim: Simulator, session: dict[str, Any]) -> None:
    for part in session["batch"]["parts"]:
        sim.state.delete_blob(f"part/{session['referenceNumber']}/{part['ordinalNumber']}")


def reassemble(sim: Simulator, session: dict[str, Any]) -> tuple[bytes | None, int, str]:
    """The plain archive, or (None, status, detail) when a part or the whole does not verify."""
    aes = session_key(session)
    if aes is None:
        return None, 415, "Nie udało się odszyfrować klucza symetrycznego."
    ref = session["referenceNumber"]
    chunks = []
    for part in session["batch"]["parts"]:
        encrypted = sim.state.get_blob(f"part/{ref}/{part['ordinalNumber']}") or b""
        if sha256_b64(encrypted) != part["fileHash"] or len(encrypted) != part["fileSize"]:
            return None, 405, f"Skrót lub rozmiar części {part['ordinalNumber']} nie zgadza się z deklaracją."
        try:
            chunks.append(aes_cbc_decrypt(aes, encrypted))
        except ValueError:
            return None, 435, f"Nie udało się odszyfrować części {part['ordinalNumber']}."
    archive = b"".join(chunks)
    declared = session["batch"]
    if len(archive) != declared["fileSize"] or sha256_b64(archive) != declared["fileHash"]:
        return None, 405, "Rozmiar lub skrót złożonego archiwum nie zgadza się z batchFile."
    return archive, 200, ""


def process_batch(sim: Simulator, ref: str) -> None:
    session = sim.state.get("session", ref)
    if session is None or session["status"]["code"] != 150:
        return
    archive, code, detail = reassemble(sim, session)
    if archive is None:
        _fail(sim, session, code, detail)
        return
    limit, max_plain, max_with_attachment = session_limits(sim, session)
    try:
        files = unpack(
            archive, session["batch"]["compressionType"], limit, max(max_plain, max_with_attachment)
        )
    except TooManyInvoices:
        _fail(sim, session, 420, f"Paczka zawiera więcej niż {limit} faktur.")
        return
    except ArchiveError as exc:
        _fail(sim, session, 430, str(exc))
        return
    if not files:
        _fail(sim, session, 440, "Nie przesłano faktur")
        return
    # a restart in the middle resumes: invoices already decided keep their verdicts (chunks are atomic)
    decided = {i["ordinalNumber"]: i["status"]["code"] for i in sim.state.all_prefixed("invoice", ref + "/")}
    ok = sum(1 for code in decided.values() if code == 200)
    failed = len(decided) - ok
    ctx = check_context(sim, session, online=False, correction=False, invoicing_date=session["dateCreated"])
    for start in range(0, len(files), WRITE_CHUNK):
        chunk = files[start : start + WRITE_CHUNK]
        verdicts: list[tuple[dict[str, Any], bytes, Verdict]] = []
        for offset, (name, plain) in enumerate(chunk):
            ordinal = start + offset + 1
            if ordinal in decided:
                continue
            inv = {
                "sessionRef": ref,
                "ordinalNumber": ordinal,
                "referenceNumber": make_reference_number("EE", sim.now().date()),
                "invoiceHash": sha256_b64(plain),
                "invoiceSize": len(plain),
                "invoiceFileName": name,
                "invoicingDate": session["dateCreated"],
                "offlineMode": bool(session.get("offlineMode")),
                "hashOfCorrectedInvoice": None,
                "status": invoice_status(150),
            }
            verdicts.append((inv, plain, judge(ctx, plain)))
        with sim.state.transaction():
            for inv, plain, verdict in verdicts:
                sim.state.put(
                    "invidx", f"ref:{inv['referenceNumber']}", {"key": invoice_key(ref, inv["ordinalNumber"])}
                )
                if record_verdict(sim, session, inv, plain, verdict):
                    ok += 1
                else:
                    failed += 1
    with sim.state.lock:
        session = sim.state.get("session", ref) or session
        session["invoiceCount"] = len(files)
        session["successfulInvoiceCount"] = ok
        session["failedInvoiceCount"] = failed
        finalize(sim, session)
    _drop_parts(sim, session)
