"""Online sessions done right: one session kept open for many invoices, waits, UPO (digest §5, §6, §7).

Pure helpers (key choice, request building, status classification) are separate from the
:class:`OnlineSession` that performs I/O through a :class:`~fakturnik.ksef.client.KsefClient`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, TypeVar

from pydantic import ConfigDict, Field, with_config
from pydantic.alias_generators import to_camel

from fakturnik.errors import KsefApiError, KsefProcessingError, KsefTimeoutError
from fakturnik.ksef import crypto
from fakturnik.ksef import models as m
from fakturnik.ksef.client import KsefClient, XmlDocument
from fakturnik.ksef.duplicates import check_duplicate

FA3 = m.FormCode(systemCode="FA (3)", schemaVersion="1-0E", value="FA")
FA2 = m.FormCode(systemCode="FA (2)", schemaVersion="1-0E", value="FA")

KeyUsage = Literal["KsefTokenEncryption", "SymmetricKeyEncryption"]

UNKNOWN_PUBLIC_KEY = 21470
MAX_SESSION_INVOICES = 10_000
INVOICE_PENDING = frozenset({100, 150})
SESSION_PENDING = frozenset({100, 150, 170})  # 170: online session closed, UPO being prepared

T = TypeVar("T")


# --- pure helpers ------------------------------------------------------------------------------------


def select_public_key(
    certificates: Sequence[m.PublicKeyCertificate], usage: KeyUsage, now: datetime | None = None
) -> m.PublicKeyCertificate:
    """The Ministry certificate to use: matching usage, currently valid, latest ``validFrom`` (§5)."""
    at = now or datetime.now(UTC)
    valid = [c for c in certificates if usage in c.usage and c.validFrom <= at <= c.validTo]
    if not valid:
        raise KsefProcessingError(f"Brak ważnego klucza publicznego KSeF o przeznaczeniu {usage}", 0)
    return max(valid, key=lambda c: c.validFrom)


def wrap_key(key: crypto.SymmetricKey, certificate: m.PublicKeyCertificate) -> m.EncryptionInfo:
    """``encryption`` object of a session/export: key RSA-OAEP-wrapped, IV in clear, ``publicKeyId``."""
    wrapped = crypto.rsa_oaep_encrypt(crypto.unb64(certificate.certificate), key.key)
    return m.EncryptionInfo(
        encryptedSymmetricKey=crypto.b64(wrapped),
        initializationVector=crypto.b64(key.iv),
        publicKeyId=certificate.publicKeyId,
    )


def build_send_request(
    key: crypto.SymmetricKey,
    invoice_xml: bytes,
    *,
    offline_mode: bool = False,
    hash_of_corrected_invoice: str | None = None,
) -> m.SendInvoiceRequest:
    """Encrypt one invoice for an online session and describe it with both hashes and sizes (§5)."""
    encrypted = crypto.aes_cbc_encrypt(key, invoice_xml)
    return m.SendInvoiceRequest(
        invoiceHash=crypto.sha256_b64(invoice_xml),
        invoiceSize=len(invoice_xml),
        encryptedInvoiceHash=crypto.sha256_b64(encrypted),
        encryptedInvoiceSize=len(encrypted),
        encryptedInvoiceContent=crypto.b64(encrypted),
        offlineMode=offline_mode,
        hashOfCorrectedInvoice=hash_of_corrected_invoice,
    )


def is_invoice_final(status: m.InvoiceStatusInfo | m.StatusInfo) -> bool:
    return status.code not in INVOICE_PENDING


def is_session_final(status: m.StatusInfo) -> bool:
    return status.code not in SESSION_PENDING


# --- waiting -----------------------------------------------------------------------------------------


@dataclass
class Poller:
    """Polls with a gentle back-off: ``initial`` seconds, ×``factor`` up to ``maximum``, until ``timeout``."""

    timeout: float = 300.0
    initial: float = 0.2
    factor: float = 1.5
    maximum: float = 5.0
    sleep: Callable[[float], None] = time.sleep

    def until(self, fetch: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
        deadline = time.monotonic() + self.timeout
        delay = self.initial
        while True:
            value = fetch()
            if done(value):
                return value
            if time.monotonic() + delay > deadline:
                raise KsefTimeoutError(f"Przekroczono czas oczekiwania ({self.timeout:.0f} s): {what}")
            self.sleep(delay)
            delay = min(delay * self.factor, self.maximum)


# --- public keys -------------------------------------------------------------------------------------


class PublicKeys:
    """The Ministry's encryption certificates, fetched once and refetched after a 21470."""

    def __init__(self, client: KsefClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._certs: list[m.PublicKeyCertificate] | None = None

    def get(self, usage: KeyUsage) -> m.PublicKeyCertificate:
        with self._lock:
            if self._certs is None:
                self._certs = self._client.public_key_certificates()
            return select_public_key(self._certs, usage)

    def invalidate(self) -> None:
        with self._lock:
            self._certs = None


def with_fresh_key(keys: PublicKeys, attempt: Callable[[m.PublicKeyCertificate], T], usage: KeyUsage) -> T:
    """Run ``attempt`` with the current key; on 21470 (key unknown/withdrawn) refetch and retry once."""
    try:
        return attempt(keys.get(usage))
    except KsefApiError as exc:
        if UNKNOWN_PUBLIC_KEY not in exc.codes:
            raise
        keys.invalidate()
        return attempt(keys.get(usage))


# --- online session ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentInvoice:
    """What we know right after a send: the session, KSeF's invoice reference, the invoice's own hash."""

    reference_number: str
    invoice_hash: str
    invoice_size: int
    session_reference_number: str = ""


@with_config(ConfigDict(alias_generator=to_camel, populate_by_name=True))
@dataclass
class InvoiceOutcome:
    """One invoice as a KSeF session reports it (the one projection of a session-invoice answer,
    used by the client's senders and by the engine alike). A batch's state file keeps it with its
    fields in camelCase (``BatchState.outcomes``), without the UPO link (pre-signed, short-lived)."""

    reference_number: str
    invoice_hash: str
    status_code: int
    description: str
    ksef_number: str | None = None
    invoice_number: str | None = None
    details: list[str] = field(default_factory=list)
    extensions: dict[str, str] = field(default_factory=dict)
    same_file: bool | None = None  # of a 440: the original's SHA-256 equals this file's (None: not checked)
    file_name: str | None = None  # in a batch: the file's name in the archive
    upo_url: Annotated[str | None, Field(exclude=True)] = (
        None  # KSeF's pre-signed link to its UPO (not rate-limited)
    )

    @property
    def accepted(self) -> bool:
        return self.status_code == 200 and self.ksef_number is not None

    @property
    def duplicate_of(self) -> str | None:
        """``originalKsefNumber`` of a 440: the invoice *number* is already in KSeF under that KSeF number.

        Says nothing of whether it is this file: see :attr:`already_registered`.
        """
        return self.extensions.get("originalKsefNumber") if self.status_code == 440 else None

    @property
    def already_registered(self) -> str | None:
        """The KSeF number of this very file when a 440 was proven a resend (same SHA-256), else None."""
        return self.duplicate_of if self.same_file else None

    @property
    def registered_as(self) -> str | None:
        """The KSeF number this file is registered under (accepted now, or proven earlier), if any."""
        return self.ksef_number if self.accepted else self.already_registered

    def confirm_duplicate(self, client: KsefClient) -> None:
        """For a 440: find out whether the original is this file (sets :attr:`same_file`)."""
        if self.duplicate_of is None or self.same_file is not None:
            return
        check = check_duplicate(client, self.invoice_hash, self.extensions)
        self.same_file = bool(check and check.same_file)
        if check is not None and not check.same_file:
            self.description = check.rejection(self.invoice_number)

    @classmethod
    def of(cls, item: m.SessionInvoiceStatusResponse) -> InvoiceOutcome:
        return cls(
            reference_number=item.referenceNumber,
            invoice_hash=item.invoiceHash,
            status_code=item.status.code,
            description=item.status.description,
            ksef_number=item.ksefNumber,
            invoice_number=item.invoiceNumber,
            details=list(item.status.details or []),
            extensions={k: v for k, v in (item.status.extensions or {}).items() if v is not None},
            file_name=item.invoiceFileName,
            upo_url=item.upoDownloadUrl,
        )


class OnlineSession:
    """An interactive session kept open and reused for many invoices.

    >>> with OnlineSession(client) as session:          # opens on enter, closes on exit
    ...     sent = [session.send(xml) for xml in invoices]
    ...     outcomes = [session.wait_for_invoice(s) for s in sent]

    The AES key lives only in this object's memory. ``send`` is thread-safe. When the session nears
    its limits (``max_invoices`` sent, or ``validUntil`` closer than ``renew_margin``) the next ``send``
    closes it and opens a fresh one; every :class:`SentInvoice` remembers its own session, so waits
    and UPOs keep working across renewals (``closed_sessions`` lists the earlier ones).
    """

    def __init__(
        self,
        client: KsefClient,
        *,
        form_code: m.FormCode = FA3,
        public_keys: PublicKeys | None = None,
        poller: Poller | None = None,
        max_invoices: int = MAX_SESSION_INVOICES,
        renew_margin: timedelta = timedelta(minutes=10),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.form_code = form_code
        self.public_keys = public_keys or PublicKeys(client)
        self.poller = poller or Poller()
        self.max_invoices = max_invoices
        self.renew_margin = renew_margin
        self.now = now
        self.reference_number: str | None = None
        self.valid_until: datetime | None = None
        self.closed_sessions: list[str] = []
        self._key: crypto.SymmetricKey | None = None
        self._sent_in_session = 0
        self._closed = False
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"OnlineSession(reference_number={self.reference_number!r}, closed={self._closed})"

    # lifecycle

    def open(self) -> OnlineSession:
        key = crypto.SymmetricKey.generate()

        def attempt(cert: m.PublicKeyCertificate) -> m.OpenOnlineSessionResponse:
            request = m.OpenOnlineSessionRequest(formCode=self.form_code, encryption=wrap_key(key, cert))
            return self.client.open_online_session(request)

        with self._lock:
            opened = with_fresh_key(self.public_keys, attempt, "SymmetricKeyEncryption")
            self._key = key
            self.reference_number = opened.referenceNumber
            self.valid_until = opened.validUntil
            self._sent_in_session = 0
            self._closed = False
        return self

    def close(self) -> None:
        with self._lock:
            if self.reference_number and not self._closed:
                self._closed = True
                self.client.close_online_session(self.reference_number)
            self._key = None

    def __enter__(self) -> OnlineSession:
        return self.open() if self.reference_number is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def ref(self) -> str:
        if self.reference_number is None:
            raise KsefProcessingError("Sesja interaktywna nie została otwarta", 0)
        return self.reference_number

    def _needs_renewal(self) -> bool:
        if self._sent_in_session >= self.max_invoices:
            return True
        return self.valid_until is not None and self.now() >= self.valid_until - self.renew_margin

    def _renew(self) -> None:
        old = self.ref
        self.close()
        self.closed_sessions.append(old)
        self.open()

    # sending

    def send(
        self, invoice_xml: bytes, *, offline_mode: bool = False, hash_of_corrected_invoice: str | None = None
    ) -> SentInvoice:
        with self._lock:
            if self._key is None or self._closed:
                raise KsefProcessingError("Sesja interaktywna jest zamknięta", 0)
            if self._needs_renewal():
                self._renew()
            key, ref = self._key, self.ref
            assert key is not None
            self._sent_in_session += 1
        request = build_send_request(
            key, invoice_xml, offline_mode=offline_mode, hash_of_corrected_invoice=hash_of_corrected_invoice
        )
        answer = self.client.send_invoice(ref, request)
        return SentInvoice(answer.referenceNumber, request.invoiceHash, request.invoiceSize, ref)

    # waiting

    def _refs(self, sent: SentInvoice | str) -> tuple[str, str]:
        if isinstance(sent, SentInvoice):
            return sent.session_reference_number or self.ref, sent.reference_number
        return self.ref, sent

    def invoice_status(self, sent: SentInvoice | str) -> m.SessionInvoiceStatusResponse:
        session_ref, invoice_ref = self._refs(sent)
        return self.client.session_invoice_status(session_ref, invoice_ref)

    def wait_for_invoice(self, sent: SentInvoice | str) -> InvoiceOutcome:
        final = self.poller.until(
            lambda: self.invoice_status(sent),
            lambda s: is_invoice_final(s.status),
            f"status faktury {self._refs(sent)[1]}",
        )
        return InvoiceOutcome.of(final)

    def wait_for_all(self, sent: Iterable[SentInvoice]) -> list[InvoiceOutcome]:
        return [self.wait_for_invoice(s) for s in sent]

    def find_by_hash(
        self, invoice_hash: str, session_reference_number: str | None = None
    ) -> InvoiceOutcome | None:
        """Reconcile a send whose answer was lost: the session's record of an invoice with this hash."""
        for item in self.client.iter_session_invoices(session_reference_number or self.ref):
            if item.invoiceHash == invoice_hash:
                return InvoiceOutcome.of(item)
        return None

    def wait_until_processed(self) -> m.SessionStatusResponse:
        """After :meth:`close`: wait until the session leaves 100/150/170 (UPO ready on 200)."""
        return wait_for_session(self.client, self.ref, self.poller)

    # UPO

    def invoice_upo(self, sent: SentInvoice | str) -> XmlDocument:
        session_ref, invoice_ref = self._refs(sent)
        return self.client.invoice_upo(session_ref, invoice_ref)

    def session_upo_pages(self) -> list[XmlDocument]:
        return session_upo_pages(self.client, self.ref)


def wait_for_session(client: KsefClient, reference_number: str, poller: Poller) -> m.SessionStatusResponse:
    return poller.until(
        lambda: client.session_status(reference_number),
        lambda s: is_session_final(s.status),
        f"status sesji {reference_number}",
    )


def session_upo_pages(client: KsefClient, reference_number: str) -> list[XmlDocument]:
    """Every page of a processed session's UPO, through the API (not the pre-signed links)."""
    status = client.session_status(reference_number)
    pages = status.upo.pages if status.upo else []
    return [client.session_upo(reference_number, p.referenceNumber) for p in pages]


def send_all(
    client: KsefClient,
    invoices: Iterable[bytes],
    *,
    form_code: m.FormCode = FA3,
    poller: Poller | None = None,
    on_sent: Callable[[SentInvoice], None] | None = None,
) -> tuple[str, list[InvoiceOutcome]]:
    """Send invoices through one online session, close it and return ``(session ref, outcomes)``."""
    session = OnlineSession(client, form_code=form_code, poller=poller)
    with session:
        sent = []
        for xml in invoices:
            s = session.send(xml)
            sent.append(s)
            if on_sent:
                on_sent(s)
        outcomes = session.wait_for_all(sent)
    for outcome in outcomes:
        outcome.confirm_duplicate(client)
    return session.ref, outcomes
