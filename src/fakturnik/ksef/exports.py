"""Retrieving invoices in bulk (digest §12): metadata paging, exports, incremental HWM sync.

* :func:`iter_metadata` pages ``POST /invoices/query/metadata`` and applies the 10,000-row cap rule
  (``isTruncated`` → move ``from`` to the last row's date and restart at page 0), deduplicating.
* :class:`Exporter` starts an export with a fresh AES key, polls it, downloads every part from its
  pre-signed URL, verifies encrypted and plain part hashes, decrypts, concatenates and unpacks the
  ZIP / tar.gz safely, and reads ``_metadata.json``.
* :func:`sync_window` / :class:`Exporter.sync` follow the HWM continuation rules and dedupe by KSeF
  number across windows.
"""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any, Literal

from fakturnik.errors import KsefProcessingError
from fakturnik.ksef import crypto
from fakturnik.ksef import models as m
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.sessions import Poller, PublicKeys, with_fresh_key, wrap_key

SubjectType = Literal["Subject1", "Subject2", "Subject3", "SubjectAuthorized"]
DateType = Literal["Issue", "Invoicing", "PermanentStorage"]

METADATA_FILE = "_metadata.json"
MAX_UNPACKED_SIZE = 2_000_000_000  # 10,000 invoices × ≤3 MB is ~30 GB in theory; 2 GB is our guard
MAX_MEMBER_SIZE = 4_000_000  # an invoice is ≤3 MB with attachments
EXPORT_PENDING = frozenset({100})
SPOOL_IN_MEMORY = 64 * 1024 * 1024


# --- metadata --------------------------------------------------------------------------------------


def _row_date(row: m.InvoiceMetadata, date_type: DateType) -> datetime:
    if date_type == "PermanentStorage":
        return row.permanentStorageDate
    if date_type == "Invoicing":
        return row.invoicingDate
    return datetime.combine(row.issueDate, datetime.min.time())


def iter_metadata(
    client: KsefClient,
    filters: m.InvoiceQueryFilters,
    *,
    page_size: int = 250,
    sort_order: Literal["Asc", "Desc"] = "Asc",
) -> Iterator[m.InvoiceMetadata]:
    """Every row matching ``filters``, across pages and across the 10,000 cap, each KSeF number once."""
    seen: set[str] = set()
    current = filters.model_copy(deep=True)
    offset = 0
    while True:
        page = client.query_invoice_metadata(
            current, sort_order=sort_order, page_offset=offset, page_size=page_size
        )
        for row in page.invoices:
            if row.ksefNumber not in seen:
                seen.add(row.ksefNumber)
                yield row
        if not page.hasMore:
            return
        if page.isTruncated and page.invoices:
            last = _row_date(page.invoices[-1], current.dateRange.dateType)
            if sort_order == "Asc":
                if last <= current.dateRange.from_ and offset == 0:
                    raise KsefProcessingError("Ponad 10 000 faktur z tą samą datą: zawęź filtr", 0)
                current.dateRange.from_ = last
            else:
                current.dateRange.to = last
            offset = 0
        else:
            offset += 1


# --- export packages -------------------------------------------------------------------------------


@dataclass
class ExportPackage:
    """A downloaded, verified and unpacked export."""

    reference_number: str
    invoices: dict[str, bytes]  # KSeF number -> invoice XML
    metadata: list[m.InvoiceMetadata]
    package: m.InvoicePackage

    def __repr__(self) -> str:
        return f"ExportPackage({self.reference_number!r}, {len(self.invoices)} invoices)"


def _safe_name(name: str) -> str:
    norm = posixpath.normpath(name)
    if norm.startswith(("/", "..")) or "\\" in name or "\x00" in name:
        raise KsefProcessingError(f"Niebezpieczna nazwa pliku w paczce eksportu: {name!r}", 0)
    return norm


def unpack_archive(source: bytes | IO[bytes]) -> dict[str, bytes]:
    """Members of a ZIP or tar.gz export archive (regular files only; traversal and bombs refused)."""
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    head = stream.read(4)
    stream.seek(0)
    files: dict[str, bytes] = {}
    total = 0

    def add(name: str, size: int, read: Callable[[], bytes]) -> None:
        nonlocal total
        if size > MAX_MEMBER_SIZE and name != METADATA_FILE:
            raise KsefProcessingError(f"Plik {name!r} w paczce eksportu jest za duży", 0)
        total += size
        if total > MAX_UNPACKED_SIZE:
            raise KsefProcessingError("Paczka eksportu po rozpakowaniu jest za duża", 0)
        content = read()
        if len(content) != size:
            raise KsefProcessingError(f"Rozmiar pliku {name!r} nie zgadza się z nagłówkiem", 0)
        files[_safe_name(name)] = content

    if head in (b"PK\x03\x04", b"PK\x05\x06"):
        with zipfile.ZipFile(stream) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                add(info.filename, info.file_size, lambda i=info: zf.read(i))  # type: ignore[misc]
    elif head[:2] == b"\x1f\x8b":
        with tarfile.open(fileobj=stream, mode="r:gz") as tf:
            for member in tf.getmembers():
                if not member.isfile():
                    continue
                fobj = tf.extractfile(member)
                if fobj is None:
                    continue
                add(member.name, member.size, lambda f=fobj, n=member.size: f.read(n + 1))  # type: ignore[misc]
    else:
        raise KsefProcessingError("Nieznany format paczki eksportu (oczekiwano ZIP lub tar.gz)", 0)
    return files


def read_metadata_file(files: dict[str, bytes]) -> list[m.InvoiceMetadata]:
    raw = files.get(METADATA_FILE)
    if raw is None:
        return []
    doc = json.loads(raw)
    return [m.InvoiceMetadata.model_validate(item) for item in doc.get("invoices", [])]


def decrypt_part(key: crypto.SymmetricKey, part: m.InvoicePackagePart, encrypted: bytes) -> bytes:
    """Verify an encrypted part against ``encryptedPartHash/Size``, decrypt, verify ``partHash/Size``."""
    if len(encrypted) != part.encryptedPartSize or crypto.sha256_b64(encrypted) != part.encryptedPartHash:
        raise KsefProcessingError(f"Skrót zaszyfrowanej części {part.partName} nie zgadza się", 0)
    try:
        plain = crypto.aes_cbc_decrypt(key, encrypted)
    except ValueError as exc:
        raise KsefProcessingError(f"Nie udało się odszyfrować części {part.partName}", 0) from exc
    if len(plain) != part.partSize or crypto.sha256_b64(plain) != part.partHash:
        raise KsefProcessingError(f"Skrót części {part.partName} po odszyfrowaniu nie zgadza się", 0)
    return plain


# --- HWM continuation (pure) -----------------------------------------------------------------------


def next_checkpoint(package: m.InvoicePackage, current: datetime) -> datetime:
    """Where the next PermanentStorage window starts (§12): last date if truncated, else the HWM."""
    if package.isTruncated and package.lastPermanentStorageDate is not None:
        return package.lastPermanentStorageDate
    if package.permanentStorageHwmDate is not None:
        return max(current, package.permanentStorageHwmDate)
    return current


MAX_WINDOW = timedelta(days=99)  # a date range may span at most 100 days since API 2.7.1 (3 months before)


def hwm_filters(
    subject_type: SubjectType,
    checkpoint: datetime,
    now: datetime | None = None,
    *,
    extra: Mapping[str, Any] | None = None,
) -> m.InvoiceQueryFilters:
    """PermanentStorage window from ``checkpoint``, restricted to the HWM; capped at 99 days.

    ``extra``: further ``InvoiceQueryFilters`` fields (e.g. ``{"isSelfInvoicing": True}``)."""
    at = now or datetime.now(UTC)
    to = checkpoint + MAX_WINDOW if at - checkpoint > MAX_WINDOW else None
    return m.InvoiceQueryFilters(
        subjectType=subject_type,
        dateRange=m.InvoiceQueryDateRange(
            dateType="PermanentStorage", **{"from": checkpoint}, to=to, restrictToPermanentStorageHwmDate=True
        ),
        **(extra or {}),
    )


@dataclass
class SyncResult:
    checkpoint: datetime
    invoices: dict[str, bytes] = field(default_factory=dict)
    metadata: dict[str, m.InvoiceMetadata] = field(default_factory=dict)
    exports: list[str] = field(default_factory=list)


class Exporter:
    """Exports with a fresh key each time; the key never leaves this process's memory."""

    def __init__(
        self,
        client: KsefClient,
        *,
        poller: Poller | None = None,
        public_keys: PublicKeys | None = None,
    ) -> None:
        self.client = client
        self.poller = poller or Poller(timeout=900.0)
        self.public_keys = public_keys or PublicKeys(client)

    def start(
        self,
        filters: m.InvoiceQueryFilters,
        *,
        only_metadata: bool = False,
        compression: Literal["Zip", "TarGz"] | None = None,
    ) -> tuple[str, crypto.SymmetricKey]:
        key = crypto.SymmetricKey.generate()

        def attempt(cert: m.PublicKeyCertificate) -> m.ExportInvoicesResponse:
            request = m.InvoiceExportRequest(
                encryption=wrap_key(key, cert),
                filters=filters,
                onlyMetadata=only_metadata,
                compressionType=compression,
            )
            return self.client.start_export(request)

        started = with_fresh_key(self.public_keys, attempt, "SymmetricKeyEncryption")
        return started.referenceNumber, key

    def wait(self, reference_number: str) -> m.InvoicePackage:
        status = self.poller.until(
            lambda: self.client.export_status(reference_number),
            lambda s: s.status.code not in EXPORT_PENDING,
            f"eksport {reference_number}",
        )
        if status.status.code != 200 or status.package is None:
            raise KsefProcessingError(
                f"Eksport {reference_number}: kod {status.status.code}, {status.status.description}",
                status.status.code,
                status.status.details or [],
            )
        return status.package

    def download(
        self, reference_number: str, key: crypto.SymmetricKey, package: m.InvoicePackage
    ) -> ExportPackage:
        files: dict[str, bytes] = {}
        if package.parts:
            # parts are ≤50 MiB each, the package up to 1 GB: concatenate on disk, not in memory
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as archive:
                for part in sorted(package.parts, key=lambda p: p.ordinalNumber):
                    encrypted = self.client.transport.absolute(part.method, part.url).content
                    archive.write(decrypt_part(key, part, encrypted))
                archive.seek(0)
                files = unpack_archive(archive)
        metadata = read_metadata_file(files)
        invoices: dict[str, bytes] = {}
        for name, content in files.items():
            if name == METADATA_FILE or not name.endswith(".xml"):
                continue
            invoices[posixpath.basename(name)[: -len(".xml")]] = content
        return ExportPackage(reference_number, invoices, metadata, package)

    def export(
        self,
        filters: m.InvoiceQueryFilters,
        *,
        only_metadata: bool = False,
        compression: Literal["Zip", "TarGz"] | None = None,
    ) -> ExportPackage:
        ref, key = self.start(filters, only_metadata=only_metadata, compression=compression)
        package = self.wait(ref)
        return self.download(ref, key, package)

    def sync(
        self,
        subject_type: SubjectType,
        checkpoint: datetime,
        *,
        max_exports: int = 4,
        on_package: Callable[[ExportPackage, datetime], None] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> SyncResult:
        """Incremental download since ``checkpoint`` by the HWM rules; returns the new checkpoint.

        ``on_package`` is called after each export with the package and the checkpoint that is safe
        to persist once the package's invoices are stored.
        """
        result = SyncResult(checkpoint=checkpoint)
        for _ in range(max_exports):
            filters = hwm_filters(subject_type, result.checkpoint, extra=extra)
            package = self.export(filters)
            result.exports.append(package.reference_number)
            for row in package.metadata:
                result.metadata.setdefault(row.ksefNumber, row)
            for number, xml in package.invoices.items():
                result.invoices.setdefault(number, xml)
            new_checkpoint = next_checkpoint(package.package, result.checkpoint)
            if on_package:
                on_package(package, new_checkpoint)
            advanced = new_checkpoint > result.checkpoint
            result.checkpoint = new_checkpoint
            capped = filters.dateRange.to is not None
            if not advanced or not (package.package.isTruncated or capped):
                break
        return result
