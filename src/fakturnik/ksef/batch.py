"""Batch sending (digest §6): archive, split, encrypt, open, upload in parallel, close, wait, collect.

Crash safety. Everything the run needs after a crash is in ``<workdir>/batch-state.json`` and the
encrypted part files beside it; the AES key itself is never written (the state keeps only the
RSA-wrapped key exactly as sent to KSeF, which only KSeF can unwrap). A stage is recorded *before*
the request that may perform it, so :meth:`BatchSender.resume` always knows what might have happened:

* ``prepared`` / ``opening``: nothing can be registered without a close; (re)open with the same
  wrapped key and parts (an orphan session from a lost answer is cancelled by KSeF, harmlessly);
* ``opened``: upload the parts not confirmed yet (PUT to the same URL is repeatable); if the upload
  window is over, open a fresh session for the same encrypted parts;
* ``closing``: the close may or may not have landed: ask the session status; still 100 → close;
* ``closed``: poll and collect; ``done``: results are in the state file.

Invoices are never sent again blindly: results are reconciled by each invoice's SHA-256.
"""

from __future__ import annotations

import contextlib
import io
import os
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Literal, TypedDict, Unpack

from pydantic import BaseModel

from fakturnik.errors import KsefApiError, KsefProcessingError
from fakturnik.ksef import crypto
from fakturnik.ksef import models as m
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.sessions import (
    FA3,
    InvoiceOutcome,
    Poller,
    PublicKeys,
    wait_for_session,
    with_fresh_key,
    wrap_key,
)

Compression = Literal["Zip", "TarGz"]


class PackOptions(TypedDict, total=False):
    """How :meth:`BatchSender.prepare` packs invoices (its keyword arguments, defaults there)."""

    compression: Compression
    form_code: m.FormCode
    offline_mode: bool
    part_size: int


Stage = Literal["prepared", "opening", "opened", "closing", "closed", "done"]

PART_SIZE_LIMIT = 100_000_000  # 10^8 B of plain archive per part (§6)
MAX_PARTS = 50
MAX_ARCHIVE_SIZE = 5_000_000_000
MAX_INVOICES = 10_000
UPLOAD_WINDOW_PER_PART = timedelta(minutes=20)
STATE_FILE = "batch-state.json"

Progress = Callable[[str, int, int], None]  # (phase, done, total)


# --- archive and parts (pure-ish: local files only) -----------------------------------------------


class InvoiceEntry(BaseModel):
    fileName: str
    sha256: str
    size: int


def write_archive(
    invoices: Iterable[tuple[str, bytes]], path: Path | BinaryIO, compression: Compression
) -> list[InvoiceEntry]:
    """Stream ``(file name, xml)`` pairs into a ZIP or tar.gz at ``path`` (a file or an open binary
    stream); return each file's hash."""
    entries: list[InvoiceEntry] = []
    seen: set[str] = set()

    def record(name: str, xml: bytes) -> None:
        if name in seen or "/" in name or name.startswith("."):
            raise KsefProcessingError(f"Nieprawidłowa lub powtórzona nazwa pliku w paczce: {name!r}", 0)
        seen.add(name)
        entries.append(InvoiceEntry(fileName=name, sha256=crypto.sha256_b64(xml), size=len(xml)))

    if compression == "Zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for name, xml in invoices:
                record(name, xml)
                zf.writestr(name, xml)
    else:
        with contextlib.ExitStack() as stack:
            stream = stack.enter_context(path.open("wb")) if isinstance(path, Path) else path
            tf = stack.enter_context(tarfile.open(fileobj=stream, mode="w:gz", compresslevel=6))
            for name, xml in invoices:
                record(name, xml)
                info = tarfile.TarInfo(name)
                info.size = len(xml)
                info.mtime = int(datetime.now(UTC).timestamp())
                tf.addfile(info, io.BytesIO(xml))
    return entries


def part_count(archive_size: int, part_size: int) -> int:
    return max(1, -(-archive_size // part_size))


def check_limits(invoice_count: int, archive_size: int, part_size: int = PART_SIZE_LIMIT) -> None:
    """KSeF's limits of one batch (§6): 1 to 10,000 invoices, at most 5 GB in at most 50 parts."""
    if part_size < 1 or part_size > PART_SIZE_LIMIT:
        raise ValueError("part_size must be between 1 and 10^8 bytes")
    if invoice_count == 0:
        raise KsefProcessingError("Paczka nie zawiera żadnej faktury", 0)
    if invoice_count > MAX_INVOICES:
        raise KsefProcessingError(f"Paczka może zawierać najwyżej {MAX_INVOICES} faktur", 0)
    if archive_size > MAX_ARCHIVE_SIZE or part_count(archive_size, part_size) > MAX_PARTS:
        raise KsefProcessingError("Paczka przekracza 5 GB lub 50 części", 0)


@dataclass(frozen=True)
class PreparedBatch:
    """An encrypted archive held in memory, ready to send; the key lives only in this object."""

    archive_size: int
    archive_hash: str
    parts: list[bytes]
    key: crypto.SymmetricKey
    names: dict[str, str]  # invoice hash → file name in the archive

    def __repr__(self) -> str:
        return f"PreparedBatch({len(self.names)} invoices, {len(self.parts)} parts)"

    def open_request(
        self, cert: m.PublicKeyCertificate, *, offline_mode: bool = False, form_code: m.FormCode = FA3
    ) -> m.OpenBatchSessionRequest:
        """The ``POST /sessions/batch`` body, the key wrapped for KSeF's certificate ``cert``."""
        return m.OpenBatchSessionRequest(
            formCode=form_code,
            batchFile=m.BatchFileInfo(
                fileSize=self.archive_size,
                fileHash=self.archive_hash,
                compressionType="Zip",
                fileParts=[
                    m.BatchFilePartInfo(ordinalNumber=i, fileSize=len(p), fileHash=crypto.sha256_b64(p))
                    for i, p in enumerate(self.parts, start=1)
                ],
            ),
            encryption=wrap_key(self.key, cert),
            offlineMode=offline_mode,
        )


def prepare_in_memory(
    invoices: Iterable[tuple[str, bytes]], *, part_size: int = PART_SIZE_LIMIT
) -> PreparedBatch:
    """ZIP ``(file name, xml)`` pairs in memory, check KSeF's limits, split, encrypt each part (§6).

    The engine's way (its outbox is the durable record, so no state file is written); the same
    archive writer and limits as :meth:`BatchSender.prepare`.
    """
    buffer = io.BytesIO()
    entries = write_archive(invoices, buffer, "Zip")
    archive = buffer.getvalue()
    check_limits(len(entries), len(archive), part_size)
    key = crypto.SymmetricKey.generate()
    chunks = [archive[i : i + part_size] for i in range(0, len(archive), part_size)] or [archive]
    parts = [crypto.aes_cbc_encrypt(key, chunk) for chunk in chunks]
    names = {e.sha256: e.fileName for e in entries}
    return PreparedBatch(len(archive), crypto.sha256_b64(archive), parts, key, names)


class PartState(BaseModel):
    ordinalNumber: int
    file: str
    fileSize: int  # encrypted size, as declared
    fileHash: str  # encrypted hash, as declared
    uploaded: bool = False


class UploadTarget(BaseModel):
    ordinalNumber: int
    method: str
    url: str
    headers: dict[str, str]


class BatchState(BaseModel):
    """The resumable record of one batch. Contains no secret: the AES key appears only RSA-wrapped."""

    version: int = 1
    stage: Stage = "prepared"
    formCode: m.FormCode
    compression: Compression
    offlineMode: bool = False
    archiveSize: int
    archiveHash: str
    encryption: m.EncryptionInfo
    parts: list[PartState]
    invoices: list[InvoiceEntry]
    sessionReferenceNumber: str | None = None
    openedAt: datetime | None = None
    uploadTargets: list[UploadTarget] = []
    sessionStatusCode: int | None = None
    sessionStatusDescription: str | None = None
    outcomes: list[InvoiceOutcome] = []  # file_name: the file in the archive
    abandonedSessions: list[str] = []

    def open_request(self) -> m.OpenBatchSessionRequest:
        return m.OpenBatchSessionRequest(
            formCode=self.formCode,
            batchFile=m.BatchFileInfo(
                fileSize=self.archiveSize,
                fileHash=self.archiveHash,
                compressionType=self.compression,
                fileParts=[
                    m.BatchFilePartInfo(
                        ordinalNumber=p.ordinalNumber, fileSize=p.fileSize, fileHash=p.fileHash
                    )
                    for p in self.parts
                ],
            ),
            encryption=self.encryption,
            offlineMode=self.offlineMode,
        )


@dataclass
class BatchResult:
    """Per-invoice outcome of a finished batch, keyed by file name (and reachable by SHA-256)."""

    session_reference_number: str
    status_code: int
    status_description: str
    outcomes: dict[str, InvoiceOutcome] = field(default_factory=dict)
    not_registered: list[str] = field(default_factory=list)  # file names without a KSeF number

    def by_hash(self) -> dict[str, InvoiceOutcome]:
        return {o.invoice_hash: o for o in self.outcomes.values()}

    @property
    def ksef_numbers(self) -> dict[str, str]:
        return {name: o.ksef_number for name, o in self.outcomes.items() if o.ksef_number}


# --- state file ------------------------------------------------------------------------------------


class StateFile:
    """Atomic, 0600 JSON persistence of :class:`BatchState`, safe to call from upload threads."""

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / STATE_FILE
        self._lock = threading.Lock()

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> BatchState:
        return BatchState.model_validate_json(self.path.read_bytes())

    def save(self, state: BatchState) -> None:
        with self._lock:
            tmp = self.path.with_suffix(".tmp")
            data = state.model_dump_json(indent=1, by_alias=True).encode("utf-8")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            tmp.replace(self.path)


# --- the sender ------------------------------------------------------------------------------------


class BatchSender:
    """Send up to 10,000 invoices through one batch session; resumable from ``workdir``."""

    def __init__(
        self,
        client: KsefClient,
        workdir: Path,
        *,
        upload_threads: int = 4,
        poller: Poller | None = None,
        public_keys: PublicKeys | None = None,
        progress: Progress | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.workdir = workdir
        self.upload_threads = upload_threads
        self.poller = poller or Poller(timeout=3600.0, maximum=2.0)
        self.public_keys = public_keys or PublicKeys(client)
        self.progress = progress or (lambda phase, done, total: None)
        self.now = now
        self.store = StateFile(workdir)
        self._key: crypto.SymmetricKey | None = None

    def __repr__(self) -> str:
        return f"BatchSender(workdir={str(self.workdir)!r})"

    # preparation

    def prepare(
        self,
        invoices: Iterable[tuple[str, bytes]],
        *,
        compression: Compression = "Zip",
        form_code: m.FormCode = FA3,
        offline_mode: bool = False,
        part_size: int = PART_SIZE_LIMIT,
    ) -> BatchState:
        """Archive, hash, split and encrypt into ``workdir``; record the state (stage ``prepared``)."""
        if part_size < 1 or part_size > PART_SIZE_LIMIT:
            raise ValueError("part_size must be between 1 and 10^8 bytes")
        if self.store.exists():
            raise KsefProcessingError(f"Katalog {self.workdir} zawiera już paczkę: użyj resume()", 0)
        self.workdir.mkdir(parents=True, exist_ok=True)
        archive = self.workdir / ("invoices.zip" if compression == "Zip" else "invoices.tar.gz")
        entries = write_archive(invoices, archive, compression)
        size = archive.stat().st_size
        try:
            check_limits(len(entries), size, part_size)
        except KsefProcessingError:
            archive.unlink()
            raise
        key = crypto.SymmetricKey.generate()
        parts, archive_hash = self._encrypt_parts(archive, key, part_size)
        archive.unlink()
        cert = self.public_keys.get("SymmetricKeyEncryption")
        state = BatchState(
            formCode=form_code,
            compression=compression,
            offlineMode=offline_mode,
            archiveSize=size,
            archiveHash=archive_hash,
            encryption=wrap_key(key, cert),
            parts=parts,
            invoices=entries,
        )
        self._key = key  # memory only: lets this run re-wrap after a 21470 key rotation
        self.store.save(state)
        return state

    def _encrypt_parts(
        self, archive: Path, key: crypto.SymmetricKey, part_size: int
    ) -> tuple[list[PartState], str]:
        import hashlib

        whole = hashlib.sha256()
        parts: list[PartState] = []
        total = part_count(archive.stat().st_size, part_size)
        with archive.open("rb") as f:
            for ordinal in range(1, total + 1):
                chunk = f.read(part_size)
                whole.update(chunk)
                encrypted = crypto.aes_cbc_encrypt(key, chunk)
                name = f"part-{ordinal:03d}.aes"
                (self.workdir / name).write_bytes(encrypted)
                parts.append(
                    PartState(
                        ordinalNumber=ordinal,
                        file=name,
                        fileSize=len(encrypted),
                        fileHash=crypto.sha256_b64(encrypted),
                    )
                )
                self.progress("encrypt", ordinal, total)
        return parts, crypto.b64(whole.digest())

    # the run

    def send(self, invoices: Iterable[tuple[str, bytes]], **options: Unpack[PackOptions]) -> BatchResult:
        """Prepare (with the options of :meth:`prepare`) and run in one go (the usual call)."""
        self.prepare(invoices, **options)
        return self.resume()

    def resume(self) -> BatchResult:
        """Continue from whatever stage the state file records, until the per-invoice results."""
        state = self.store.load()
        while state.stage != "done":
            step = {
                "prepared": self._open,
                "opening": self._open,
                "opened": self._upload,
                "closing": self._close,
                "closed": self._collect,
            }[state.stage]
            state = step(state)
        return self._result(state)

    def _save(self, state: BatchState, stage: Stage) -> BatchState:
        state.stage = stage
        self.store.save(state)
        return state

    def _open(self, state: BatchState) -> BatchState:
        self._save(state, "opening")

        def attempt(cert: m.PublicKeyCertificate) -> m.OpenBatchSessionResponse:
            if self._key is not None and cert.publicKeyId != state.encryption.publicKeyId:
                state.encryption = wrap_key(self._key, cert)
                self.store.save(state)
            return self.client.open_batch_session(state.open_request())

        if self._key is not None:
            opened = with_fresh_key(self.public_keys, attempt, "SymmetricKeyEncryption")
        else:
            opened = self.client.open_batch_session(state.open_request())
        if state.sessionReferenceNumber:
            state.abandonedSessions.append(state.sessionReferenceNumber)
        state.sessionReferenceNumber = opened.referenceNumber
        state.openedAt = self.now()
        state.uploadTargets = [
            UploadTarget(ordinalNumber=u.ordinalNumber, method=u.method, url=u.url, headers=dict(u.headers))
            for u in opened.partUploadRequests
        ]
        for p in state.parts:
            p.uploaded = False
        return self._save(state, "opened")

    def _upload_window_over(self, state: BatchState) -> bool:
        if state.openedAt is None:
            return True
        return self.now() > state.openedAt + UPLOAD_WINDOW_PER_PART * len(state.parts)

    def _upload(self, state: BatchState) -> BatchState:
        if self._upload_window_over(state) and not all(p.uploaded for p in state.parts):
            return self._save(state, "prepared")  # a fresh session for the same parts
        targets = {t.ordinalNumber: t for t in state.uploadTargets}
        pending = [p for p in state.parts if not p.uploaded]
        done = len(state.parts) - len(pending)
        lock = threading.Lock()

        def upload(part: PartState) -> None:
            nonlocal done
            t = targets[part.ordinalNumber]
            content = (self.workdir / part.file).read_bytes()
            if crypto.sha256_b64(content) != part.fileHash:
                raise KsefProcessingError(f"Plik części {part.file} został zmieniony", 0)
            self.client.upload_batch_part(
                m.PartUploadRequest(
                    ordinalNumber=t.ordinalNumber, method=t.method, url=t.url, headers=t.headers
                ),
                content,
            )
            with lock:
                part.uploaded = True
                done += 1
                self.store.save(state)
                self.progress("upload", done, len(state.parts))

        with ThreadPoolExecutor(max_workers=max(1, self.upload_threads)) as pool:
            for future in [pool.submit(upload, p) for p in pending]:
                future.result()
        return self._save(state, "closing")

    def _close(self, state: BatchState) -> BatchState:
        ref = state.sessionReferenceNumber
        assert ref is not None
        try:
            self.client.close_batch_session(ref)
        except KsefApiError:
            # A close whose answer was lost and is now repeated: KSeF says the session is not open
            # any more (21180). Anything else real shows in the status below.
            status = self.client.session_status(ref)
            if status.status.code == 100:
                raise
        return self._save(state, "closed")

    def _collect(self, state: BatchState) -> BatchState:
        ref = state.sessionReferenceNumber
        assert ref is not None
        self.progress("process", 0, len(state.invoices))
        final = wait_for_session(self.client, ref, self.poller)
        state.sessionStatusCode = final.status.code
        state.sessionStatusDescription = final.status.description
        by_hash = {e.sha256: e for e in state.invoices}
        by_name = {e.fileName: e for e in state.invoices}
        outcomes: dict[str, InvoiceOutcome] = {}
        for item in self.client.iter_session_invoices(ref):
            entry = by_name.get(item.invoiceFileName or "") or by_hash.get(item.invoiceHash)
            if entry is not None:
                outcomes[entry.fileName] = InvoiceOutcome.of(item)
        for outcome in outcomes.values():  # a reused number is a rejection unless the original is this file
            outcome.confirm_duplicate(self.client)
        state.outcomes = [replace(outcome, file_name=name) for name, outcome in outcomes.items()]
        self.progress("process", len(outcomes), len(state.invoices))
        for p in state.parts:
            (self.workdir / p.file).unlink(missing_ok=True)
        return self._save(state, "done")

    @staticmethod
    def _result(state: BatchState) -> BatchResult:
        outcomes = {o.file_name or "": o for o in state.outcomes}
        missing = [
            e.fileName
            for e in state.invoices
            if e.fileName not in outcomes or not outcomes[e.fileName].registered_as
        ]
        return BatchResult(
            session_reference_number=state.sessionReferenceNumber or "",
            status_code=state.sessionStatusCode or 0,
            status_description=state.sessionStatusDescription or "",
            outcomes=outcomes,
            not_registered=missing,
        )


def read_state(workdir: Path) -> BatchState:
    """The state of a batch directory (for ``status`` views and tests)."""
    return StateFile(workdir).load()


def state_summary(state: BatchState) -> dict[str, object]:
    return {
        "stage": state.stage,
        "sessionReferenceNumber": state.sessionReferenceNumber,
        "sessionStatusCode": state.sessionStatusCode,
        "parts": len(state.parts),
        "uploaded": sum(p.uploaded for p in state.parts),
        "invoices": len(state.invoices),
    }
