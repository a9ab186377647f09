"""Issuing: the invoice, its number and its outbox entry are written in ONE transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fakturnik.base.warsaw import warsaw_today
from fakturnik.engine import fields, on_behalf
from fakturnik.engine.business_days import offline_deadline
from fakturnik.engine.context import EngineContext
from fakturnik.engine.issuers import issuer_credential_id
from fakturnik.errors import (
    DuplicateNumberError,
    EngineError,
    InvoiceValidationError,
    Problem,
)
from fakturnik.fa3.authority import Strictness
from fakturnik.fa3.document import Document, read_document
from fakturnik.fa3.rules import Env
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.store import repo, states
from fakturnik.store.models import Invoice


@dataclass(frozen=True)
class Issued:
    invoice_id: int
    number: str
    sha256: str
    status: str
    offline_kind: str | None
    offline_deadline: date | None
    warnings: tuple[Problem, ...] = ()  # what validation noted without refusing (e.g. a NIP checksum on test)


def validation_env(environment: str) -> Env:
    """The rule set an invoice for a company's KSeF environment is checked with.

    Production (and a custom address, which may be one) is strict: a bad NIP checksum is an error, as
    KSeF makes it there; the Ministry's test and demo environments and the local simulator only warn.
    """
    if environment in ("test", "local"):
        return "test"
    if environment == "demo":
        return "demo"
    return "prod"


def json_to_xml(data: bytes) -> bytes:
    """An FA(3) invoice in its JSON form (a draft: amounts computed) → XML, through ``fakturnik.fa3``."""
    from fakturnik.fa3.jsonform import xml_from_draft

    return xml_from_draft(data)


def issue(
    ctx: EngineContext,
    *,
    company_nip: str,
    xml: bytes,
    urgent: bool = False,
    auto_number: bool | None = None,
    actor: str = "engine",
    check: bool = True,
    strictness: Strictness = "all",
    issuer_user_id: int | None = None,
) -> Issued:
    """Store the invoice and queue it for KSeF.

    ``auto_number``: take the next number of the seller's series for the invoice kind (default: only
    when the document's ``P_2`` is empty or ``AUTO``). The number is handed out inside this
    transaction, so it is consumed exactly when the invoice is stored. While KSeF is unavailable the
    invoice is issued in offline mode with its deadline for sending.

    The final document (number filled in) is validated as KSeF would — bytes, the FA(3) XSD and the
    business rules, NIP checksums strict for the production environment (:func:`validation_env`) —
    and an invalid one raises :class:`InvoiceValidationError` with every problem, before anything is
    stored or a number consumed. ``check=False`` skips that (only for tests of KSeF's own refusals).

    ``strictness`` (the company's setting): ``"all"`` (default) refuses every error; ``"ksef"`` refuses
    only what KSeF would reject, and returns the rest (VAT-act content, amounts) as warnings.

    ``issuer_user_id``: the user who issues it; with her own KSeF certificate in the company the
    invoice is sent with it (:func:`fakturnik.engine.issuers.issuer_credential_id`).

    A number already in the company's series raises :class:`DuplicateNumberError` (Polish).
    """
    order = _Order(company_nip, urgent, auto_number, actor, check, strictness, issuer_user_id)
    document = read_document(xml)  # the one parse of these bytes
    try:
        with ctx.db.transaction() as s:
            return _issue(s, document, order)
    except IntegrityError as exc:  # another process stored the same number a moment ago
        if _number_clash(exc):
            raise DuplicateNumberError(document.summary.number) from None
        raise


def _number_clash(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "uq_invoices_number" in text or "invoices.number" in text


@dataclass(frozen=True)
class _Order:
    """What to do with each document: for which company, how urgent, numbered how, by whom, checked."""

    company_nip: str
    urgent: bool
    auto_number: bool | None
    actor: str
    check: bool
    strictness: Strictness = "all"
    issuer_user_id: int | None = None  # the issuing user (her own certificate sends it, if she has one)


def _issue(s: Session, document: Document, order: _Order) -> Issued:
    found = document.summary
    company = repo.company_by_nip(s, order.company_nip)
    behalf = None  # an invoice of another seller: only self-billing or as its tax representative
    if found.seller_nip and found.seller_nip != company.nip and company.context_type == "Nip":
        behalf = on_behalf.issued_for(document.root, found.seller_nip, company.nip)
        if behalf is None:
            raise EngineError(on_behalf.foreign_seller_refusal(found.seller_nip, company.nip))
    numbering = (
        order.auto_number if order.auto_number is not None else found.number in ("", fields.AUTO_NUMBER)
    )
    number = found.number
    if numbering:
        year = (found.issue_date or warsaw_today()).year
        if behalf is None:
            number = repo.next_number(s, company.nip, found.kind, year)
        else:  # the series the company keeps for that seller
            number = repo.allocate_numbers(
                s,
                seller_nip=behalf.series_key,
                kind=found.kind,
                year=year,
                month=1,
                pattern=behalf.pattern(repo.default_pattern(found.kind)),
            )[0]
        document = document.renumbered(number)
    xml = document.data
    warnings: tuple[Problem, ...] = ()
    if order.check:
        report = document.validate(validation_env(company.environment))
        if order.strictness == "ksef":
            report = report.ksef_only()
        if not report.ok:
            raise InvoiceValidationError(report.problems)
        warnings = tuple(report.warnings)
    outage = repo.open_outage(s, company.base_url or "")
    offline_kind = outage.mode if outage is not None else None
    deadline = None
    if offline_kind is not None:
        end = warsaw_today(outage.ended_at) if outage is not None and outage.ended_at else None
        deadline = offline_deadline(offline_kind, found.issue_date or warsaw_today(), end)
    digest = sha256_b64(xml)
    seller = found.seller_nip or company.nip
    taken = repo.invoice_by_number(
        s, company_id=company.id, direction="issued", seller_nip=seller, kind=found.kind, number=number
    )
    if taken is not None:
        raise DuplicateNumberError(number, taken.ksef_number, taken.status)
    invoice = repo.add_invoice(
        s,
        company=company,
        direction="issued",
        xml=xml,
        sha256=digest,
        number=number,
        seller_nip=seller,
        **repo.summary_columns(found),
        status=states.OFFLINE if offline_kind else states.QUEUED,
        offline_mode=offline_kind is not None,
        offline_kind=offline_kind,
        offline_deadline=deadline,
    )
    repo.enqueue(
        s,
        invoice,
        urgent=order.urgent,
        offline_mode=offline_kind is not None,
        credential_id=issuer_credential_id(s, company.id, order.issuer_user_id),
    )
    repo.audit(
        s,
        order.actor,
        "invoice.issue",
        company_id=company.id,
        invoice_id=invoice.id,
        detail={
            "number": number,
            "sha256": digest,
            "offline": offline_kind,
            **(behalf.audit if behalf is not None else {}),
        },
    )
    return Issued(invoice.id, number, digest, invoice.status, offline_kind, deadline, warnings)


TECHNICAL_CORRECTION_REFUSED = frozenset({"410"})
"""KSeF statuses after which a technical correction is not allowed: 410 = the issuer had no right to
issue for the seller (a permission problem, not a technical one; digest §10)."""


def correct_rejected_offline(
    ctx: EngineContext,
    *,
    company_nip: str,
    invoice_id: int,
    xml: bytes,
    actor: str = "engine",
) -> Issued:
    """A technical correction (digest §10): a new file for an offline invoice KSeF rejected.

    The invoice stays the same document — same seller, kind and number; only its file changes (a
    schema error, a bad character ...). The file is validated as in :func:`issue`; the invoice row
    keeps the rejected file as first issued (``corrected_xml``/``corrected_hash``: what the buyer
    holds, whose KOD I KSeF then leads to the corrected invoice), takes the new one and is queued
    again; the worker sends it in an online session with ``offlineMode`` and
    ``hashOfCorrectedInvoice``. Raises :class:`EngineError` (Polish) when the invoice is not an
    offline invoice rejected for a technical reason or the file is another document, and
    :class:`InvoiceValidationError` when the file is not valid; nothing changes then.
    """
    document = read_document(xml)
    found = document.summary
    with ctx.db.transaction() as s:
        company = repo.company_by_nip(s, company_nip)
        invoice = s.get(Invoice, invoice_id)
        if invoice is None or invoice.company_id != company.id or invoice.direction != "issued":
            raise EngineError(f"firma {company.nip} nie wystawiła faktury o id {invoice_id}")
        if not invoice.offline_mode or invoice.status != states.REJECTED:
            raise EngineError(
                f"faktura {invoice.number} nie jest fakturą offline odrzuconą przez KSeF "
                f"(status: {invoice.status}); korekta techniczna dotyczy tylko takich"
            )
        if (invoice.error_code or "") in TECHNICAL_CORRECTION_REFUSED:
            raise EngineError(
                f"faktura {invoice.number} została odrzucona z powodu uprawnień ({invoice.error_code}); "
                "korekta techniczna tego nie naprawi"
            )
        for label, have, want in (
            ("NIP sprzedawcy", found.seller_nip or company.nip, invoice.seller_nip),
            ("rodzaj faktury", found.kind, invoice.kind),
            ("numer faktury (P_2)", found.number, invoice.number),
        ):
            if have != want:
                raise EngineError(
                    f"korekta techniczna musi być tą samą fakturą: {label} {have!r} zamiast {want!r}"
                )
        digest = sha256_b64(xml)
        if digest == invoice.sha256:
            raise EngineError("plik korekty jest identyczny z odrzuconym; nie ma czego poprawić")
        report = document.validate(validation_env(company.environment))
        if not report.ok:
            raise InvoiceValidationError(report.problems)
        rejected = f"{invoice.error_code}: {invoice.error_message}"
        if invoice.corrected_hash is None:  # keep the file as first issued, even after a second try
            invoice.corrected_hash = invoice.sha256
            invoice.corrected_xml = invoice.xml
        invoice.xml = xml
        invoice.sha256 = digest
        repo.describe(invoice, found)
        invoice.error_code = invoice.error_message = None
        repo.set_invoice_status(
            s, invoice, states.OFFLINE, f"korekta techniczna pliku odrzuconego ({rejected})"
        )
        entry = repo.outbox_for(s, invoice.id)
        assert entry is not None  # every issued invoice has its outbox entry
        entry.state = states.QUEUED
        entry.invoice_hash = digest
        entry.offline_mode = True
        entry.attempts = 0
        entry.session_ref = entry.session_kind = entry.invoice_ref = entry.last_error = None
        entry.send_started_at = None
        entry.claimed_by = None
        entry.claimed_until = None
        entry.next_attempt_at = datetime.now(UTC)
        repo.audit(
            s,
            actor,
            "invoice.technical_correction",
            company_id=company.id,
            invoice_id=invoice.id,
            detail={"number": invoice.number, "corrected_hash": invoice.corrected_hash, "sha256": digest},
        )
        return Issued(
            invoice.id,
            invoice.number,
            digest,
            invoice.status,
            invoice.offline_kind,
            invoice.offline_deadline,
            tuple(report.warnings),
        )
