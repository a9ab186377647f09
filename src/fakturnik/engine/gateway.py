"""The engine's narrow door to KSeF: everything the outbox needs, on top of ``fakturnik.ksef``.

One :class:`KsefGateway` per company (KSeF context). Answers are plain records so the rest of the
engine never depends on the client's models: a session invoice is the client's own
:class:`~fakturnik.ksef.sessions.InvoiceOutcome` (one projection for the client and the engine), a
batch is prepared by :func:`fakturnik.ksef.batch.prepare_in_memory` (KSeF's limits checked there).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from fakturnik.ksef import models as m
from fakturnik.ksef.batch import PreparedBatch as PreparedBatch
from fakturnik.ksef.batch import prepare_in_memory as prepare_in_memory
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.duplicates import DuplicateCheck, check_duplicate
from fakturnik.ksef.environments import KsefEnvironment
from fakturnik.ksef.exports import Exporter
from fakturnik.ksef.sessions import InvoiceOutcome as InvoiceOutcome
from fakturnik.ksef.sessions import OnlineSession as OnlineSession  # the pool keeps these open
from fakturnik.ksef.sessions import Poller, PublicKeys, with_fresh_key
from fakturnik.ksef.throttle import Throttle
from fakturnik.ksef.transport import TokenSource, Transport

LISTING_PAGE = 1000  # invoices per page of a session listing (KSeF's maximum)


@dataclass(frozen=True)
class RemoteSession:
    code: int
    description: str
    valid_until: datetime | None
    upo_pages: tuple[tuple[str, str], ...] = ()  # the session UPO: (page reference, pre-signed link)


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
            return self.client.open_batch_session(batch.open_request(cert, offline_mode=offline_mode))

        opened = with_fresh_key(self.public_keys, attempt, "SymmetricKeyEncryption")
        return opened.referenceNumber, opened.partUploadRequests

    def upload_parts(self, batch: PreparedBatch, uploads: Sequence[m.PartUploadRequest]) -> None:
        for upload in uploads:
            self.client.upload_batch_part(upload, batch.parts[upload.ordinalNumber - 1])

    # --- status ---------------------------------------------------------------------------------------

    def session_status(self, reference_number: str) -> RemoteSession:
        s = self.client.session_status(reference_number)
        pages = tuple((p.referenceNumber, p.downloadUrl) for p in (s.upo.pages if s.upo else []))
        return RemoteSession(s.status.code, s.status.description, s.validUntil, pages)

    def invoice_status(self, session_ref: str, invoice_ref: str) -> InvoiceOutcome:
        return InvoiceOutcome.of(self.client.session_invoice_status(session_ref, invoice_ref))

    def session_invoices(self, session_ref: str, *, start: str | None = None) -> Iterator[InvoiceOutcome]:
        """Every invoice of the session (from the page ``start`` names, a continuation token)."""
        token = start
        while True:
            page, token = self.session_invoice_page(session_ref, token)
            yield from page
            if not token:
                return

    def session_invoice_page(
        self, session_ref: str, token: str | None = None, page_size: int = LISTING_PAGE
    ) -> tuple[list[InvoiceOutcome], str | None]:
        """One page of the session's invoices and the token of the next page (None: the last one)."""
        page = self.client.session_invoices(session_ref, page_size=page_size, continuation_token=token)
        return [InvoiceOutcome.of(i) for i in page.invoices], page.continuationToken

    def check_duplicate(self, invoice_hash: str, extensions: dict[str, str]) -> DuplicateCheck | None:
        """A 440: is the original (``originalKsefNumber``) this very file? (SHA-256 compared)"""
        return check_duplicate(self.client, invoice_hash, extensions)

    def session_upo(self, session_ref: str, page_ref: str, url: str | None = None) -> bytes:
        """One page of the session's UPO: from the pre-signed link when known, else through the API."""
        if url:
            with contextlib.suppress(Exception):  # an expired link: the API still has it
                return self.client.download_url(url).content
        return self.client.session_upo(session_ref, page_ref).content

    def invoice_upo(self, session_ref: str, ksef_number: str, url: str | None = None) -> bytes:
        """The invoice's UPO: from the pre-signed link when known (unlimited), else through the API."""
        if url:
            with contextlib.suppress(Exception):  # an expired link: the API still has it
                return self.client.download_url(url).content
        return self.client.invoice_upo_by_ksef_number(session_ref, ksef_number).content
