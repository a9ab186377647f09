"""The engine's narrow door to KSeF: everything the outbox needs, on top of ``fakturnik.ksef``.

One :class:`KsefGateway` per company (KSeF context). Answers are turned into small plain records so
the rest of the engine never depends on the client's models.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from fakturnik.ksef import crypto
from fakturnik.ksef import models as m
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.duplicates import DuplicateCheck, check_duplicate
from fakturnik.ksef.environments import KsefEnvironment
from fakturnik.ksef.exports import Exporter
from fakturnik.ksef.sessions import (
    FA3,
    Poller,
    PublicKeys,
    with_fresh_key,
    wrap_key,
)
from fakturnik.ksef.sessions import OnlineSession as OnlineSession  # the pool keeps these open
from fakturnik.ksef.throttle import Throttle
from fakturnik.ksef.transport import TokenSource, Transport

BATCH_PART_LIMIT = 100_000_000
LISTING_PAGE = 1000  # invoices per page of a session listing (KSeF's maximum)


@dataclass(frozen=True)
class RemoteInvoice:
    """One invoice as a KSeF session reports it."""

    reference_number: str
    invoice_hash: str
    code: int
    description: str
    ksef_number: str | None
    details: list[str]
    extensions: dict[str, str]
    file_name: str | None = None
    upo_url: str | None = None  # pre-signed, not rate-limited

    @classmethod
    def of(cls, item: m.SessionInvoiceStatusResponse) -> RemoteInvoice:
        return cls(
            reference_number=item.referenceNumber,
            invoice_hash=item.invoiceHash,
            code=item.status.code,
            description=item.status.description,
            ksef_number=item.ksefNumber,
            details=list(item.status.details or []),
            extensions={k: v for k, v in (item.status.extensions or {}).items() if v is not None},
            file_name=item.invoiceFileName,
            upo_url=item.upoDownloadUrl,
        )


@dataclass(frozen=True)
class RemoteSession:
    code: int
    description: str
    valid_until: datetime | None


@dataclass(frozen=True)
class PreparedBatch:
    """An encrypted archive ready to send; the key lives only in this object."""

    archive_size: int
    archive_hash: str
    parts: list[bytes]
    key: crypto.SymmetricKey
    names: dict[str, str]  # invoice hash → file name in the archive

    def __repr__(self) -> str:
        return f"PreparedBatch({len(self.names)} invoices, {len(self.parts)} parts)"


def prepare_batch(invoices: Sequence[tuple[str, bytes]], part_size: int = BATCH_PART_LIMIT) -> PreparedBatch:
    """ZIP ``(file name, xml)`` pairs in memory, split into parts, encrypt each part (digest §6)."""
    buffer = io.BytesIO()
    names: dict[str, str] = {}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, xml in invoices:
            zf.writestr(name, xml)
            names[crypto.sha256_b64(xml)] = name
    archive = buffer.getvalue()
    key = crypto.SymmetricKey.generate()
    chunks = [archive[i : i + part_size] for i in range(0, len(archive), part_size)] or [archive]
    parts = [crypto.aes_cbc_encrypt(key, chunk) for chunk in chunks]
    return PreparedBatch(len(archive), crypto.sha256_b64(archive), parts, key, names)


class KsefGateway:
    """KSeF as the engine sees it, for one context."""

    def __init__(
        self,
        env: KsefEnvironment,
        tokens: TokenSource | None,
        *,
        timeout: float = 30.0,
        throttle: Throttle | None = None,
        max_retries: int = 2,
    ) -> None:
        self.env = env
        self.transport = Transport(
            env,
            tokens=tokens,
            throttle=throttle,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_after=2.0,
        )
        self.client = KsefClient(self.transport)
        self.public_keys = PublicKeys(self.client)

    def __repr__(self) -> str:
        return f"KsefGateway({self.env.api_url!r})"

    def set_tokens(self, tokens: TokenSource) -> None:
        self.transport.tokens = tokens

    def close(self) -> None:
        self.client.close()

    # --- received invoices ----------------------------------------------------------------------------

    def exporter(self, *, timeout: float = 600.0) -> Exporter:
        """Encrypted exports of invoice metadata and files, with the incremental HWM sync."""
        return Exporter(self.client, public_keys=self.public_keys, poller=Poller(timeout=timeout))

    # --- availability -------------------------------------------------------------------------------

    def probe(self) -> None:
        """One cheap public call, not retried on 5xx; raises when KSeF does not answer."""
        self.transport.request("GET", "/security/public-key-certificates", token="none", idempotent=False)  # noqa: S106

    # --- online ---------------------------------------------------------------------------------------

    def open_online(self) -> OnlineSession:
        return OnlineSession(self.client, public_keys=self.public_keys).open()

    def send_online(
        self, session: OnlineSession, xml: bytes, *, offline_mode: bool, corrected_hash: str | None = None
    ) -> str:
        """POST one invoice; returns KSeF's invoice reference number.

        ``corrected_hash``: the file is a technical correction of the rejected offline file with that
        hash (sent as ``hashOfCorrectedInvoice``; online sessions only).
        """
        sent = session.send(xml, offline_mode=offline_mode, hash_of_corrected_invoice=corrected_hash)
        return sent.reference_number

    def close_session(self, reference_number: str, kind: str = "online") -> None:
        if kind == "batch":
            self.client.close_batch_session(reference_number)
        else:
            self.client.close_online_session(reference_number)

    # --- batch ----------------------------------------------------------------------------------------

    def open_batch(
        self, batch: PreparedBatch, *, offline_mode: bool
    ) -> tuple[str, list[m.PartUploadRequest]]:
        def attempt(cert: m.PublicKeyCertificate) -> m.OpenBatchSessionResponse:
            request = m.OpenBatchSessionRequest(
                formCode=FA3,
                batchFile=m.BatchFileInfo(
                    fileSize=batch.archive_size,
                    fileHash=batch.archive_hash,
                    compressionType="Zip",
                    fileParts=[
                        m.BatchFilePartInfo(ordinalNumber=i, fileSize=len(p), fileHash=crypto.sha256_b64(p))
                        for i, p in enumerate(batch.parts, start=1)
                    ],
                ),
                encryption=wrap_key(batch.key, cert),
                offlineMode=offline_mode,
            )
            return self.client.open_batch_session(request)

        opened = with_fresh_key(self.public_keys, attempt, "SymmetricKeyEncryption")
        return opened.referenceNumber, opened.partUploadRequests

    def upload_parts(self, batch: PreparedBatch, uploads: Sequence[m.PartUploadRequest]) -> None:
        for upload in uploads:
            self.client.upload_batch_part(upload, batch.parts[upload.ordinalNumber - 1])

    # --- status ---------------------------------------------------------------------------------------

    def session_status(self, reference_number: str) -> RemoteSession:
        s = self.client.session_status(reference_number)
        return RemoteSession(s.status.code, s.status.description, s.validUntil)

    def invoice_status(self, session_ref: str, invoice_ref: str) -> RemoteInvoice:
        return RemoteInvoice.of(self.client.session_invoice_status(session_ref, invoice_ref))

    def session_invoices(self, session_ref: str, *, start: str | None = None) -> Iterator[RemoteInvoice]:
        """Every invoice of the session (from the page ``start`` names, a continuation token)."""
        token = start
        while True:
            page, token = self.session_invoice_page(session_ref, token)
            yield from page
            if not token:
                return

    def session_invoice_page(
        self, session_ref: str, token: str | None = None, page_size: int = LISTING_PAGE
    ) -> tuple[list[RemoteInvoice], str | None]:
        """One page of the session's invoices and the token of the next page (None: the last one)."""
        page = self.client.session_invoices(session_ref, page_size=page_size, continuation_token=token)
        return [RemoteInvoice.of(i) for i in page.invoices], page.continuationToken

    def find_invoice(self, session_ref: str, invoice_hash: str) -> RemoteInvoice | None:
        """Reconciliation: the invoice with this SHA-256 in that session, if KSeF has it."""
        found = None
        for item in self.session_invoices(session_ref):
            # prefer a decided entry if the same file went in twice
            if item.invoice_hash == invoice_hash and (
                found is None or (found.code in (100, 150) and item.code not in (100, 150))
            ):
                found = item
        return found

    def check_duplicate(self, invoice_hash: str, extensions: dict[str, str]) -> DuplicateCheck | None:
        """A 440: is the original (``originalKsefNumber``) this very file? (SHA-256 compared)"""
        return check_duplicate(self.client, invoice_hash, extensions)

    def invoice_upo(self, session_ref: str, ksef_number: str, url: str | None = None) -> bytes:
        """The invoice's UPO: from the pre-signed link when known (unlimited), else through the API."""
        if url:
            with contextlib.suppress(Exception):  # an expired link: the API still has it
                return self.client.download_url(url).content
        return self.client.invoice_upo_by_ksef_number(session_ref, ksef_number).content
