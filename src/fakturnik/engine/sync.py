"""Incoming sync: incremental export per company by the PermanentStorage high-water mark (digest §12).

Each export package is stored in ONE transaction together with the advanced checkpoint, so a crash
never skips a window; invoices are deduplicated by KSeF number.

Two subject types, each with its own checkpoint and pace (:data:`PLAN`):

* ``Subject2`` — the company is the buyer: its **received** invoices, every ``sync_interval``
  (15 minutes: 4 exports an hour). An invoice the company issued itself comes back here when it
  self-billed in a seller's name (the company is that invoice's buyer): it is recognised by its KSeF
  number or its SHA-256 among the company's issued invoices and not stored a second time — it stays
  one invoice, the issued one, with its outbox entry, UPO and history.
* ``Subject1`` — the company is the seller: the **sales its buyers self-billed** in its name
  (samofakturowanie, art. 106d of the VAT act), asked for with ``isSelfInvoicing = true``, every fourth
  ``sync_interval`` (hourly: 1 export an hour) and never more often than every 15 minutes, also
  when a person asks for a sync. They are stored as the company's **issued** invoices (its sales, for
  its VAT sales register), accepted, with ``origin = "buyer"``, without an outbox entry or a number of
  the company's series. What the company sent itself is never self-billed, and a self-billed invoice
  whose KSeF number or SHA-256 an issued invoice of the company already has (KSeF's ``invoiceHash``
  is the SHA-256 of the file, which the store keeps from the moment of issuing) is skipped too, so an
  invoice the company issued is never stored twice.

Both together stay inside KSeF's export budget (≈ 20 exports an hour per context and IP, ≈ 4 an hour
per subject type): 5 an hour at the default interval.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fakturnik.engine import fields
from fakturnik.engine.connect import default_gateway
from fakturnik.engine.context import EngineContext
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.store import repo, states
from fakturnik.store.models import Company

if TYPE_CHECKING:
    from fakturnik.fa3.document import Summary
    from fakturnik.ksef.exports import ExportPackage, SubjectType
    from fakturnik.ksef.models import InvoiceMetadata

log = logging.getLogger("fakturnik.engine.sync")

FIRST_WINDOW = timedelta(days=99)  # the whole 100-day range (API 2.7.1) = ksef.exports.MAX_WINDOW

SELF_BILLED_NOTE = "wystawiona przez nabywcę (samofakturowanie), pobrana z KSeF"


@dataclass(frozen=True)
class SubjectPlan:
    """How often one subject type is synced: every ``every``-th ``sync_interval``, never more often
    than ``floor`` (also on demand), with these further export filters."""

    every: int
    floor: timedelta = timedelta(0)
    filters: dict[str, Any] = field(default_factory=dict)
    sales: bool = False  # the company is the seller: store as issued (origin "buyer")


PLAN: dict[SubjectType, SubjectPlan] = {
    "Subject2": SubjectPlan(every=1),
    "Subject1": SubjectPlan(
        every=4, floor=timedelta(minutes=15), filters={"isSelfInvoicing": True}, sales=True
    ),
}
_RECEIVED = PLAN["Subject2"]
_BY_NAME: dict[str, SubjectPlan] = {str(subject): plan for subject, plan in PLAN.items()}


def plan_of(subject_type: str) -> SubjectPlan:
    """The plan of a subject type (one outside :data:`PLAN` is synced as received invoices)."""
    return _BY_NAME.get(subject_type, _RECEIVED)


@dataclass
class SyncOutcome:
    new: int = 0  # invoices stored (received, and sales self-billed by buyers)
    known: int = 0  # already in the store
    exports: int = 0
    self_billed: int = 0  # of ``new``: sales the buyers self-billed in the company's name (Subject1)
    own: int = 0  # of ``known``: invoices the company issued itself, come back through the export


@dataclass
class _Counts:
    new: int = 0
    known: int = 0
    own: int = 0


def _fields(xml: bytes) -> Summary | None:
    try:
        return fields.read_fields(xml)
    except Exception:  # unreadable document: keep it with metadata fields only
        return None


def _add(
    s: Session,
    company: Company,
    number: str,
    xml: bytes,
    sha: str,
    row: InvoiceMetadata | None,
    *,
    sales: bool,
) -> None:
    found = _fields(xml)
    invoice = repo.add_invoice(
        s,
        company=company,
        direction="issued" if sales else "received",
        xml=xml,
        sha256=sha,
        number=(found.number if found else None) or (row.invoiceNumber if row else number),
        kind=(found.kind if found else None) or (row.invoiceType if row else "VAT"),
        issue_date=found.issue_date if found else (row.issueDate if row else None),
        seller_nip=(found.seller_nip if found else None) or (row.seller.nip if row else ""),
        seller_name=found.seller_name if found else ((row.seller.name or "") if row else ""),
        buyer_id=found.buyer_id if found else ((row.buyer.identifier.value or "") if row else ""),
        buyer_name=found.buyer_name if found else ((row.buyer.name or "") if row else ""),
        gross=found.gross if found else (Decimal(str(row.grossAmount)) if row else None),
        currency=(found.currency if found else None) or (row.currency if row else "PLN"),
        ksef_number=number,
        status=states.ACCEPTED if sales else states.RECEIVED,
        history_note=SELF_BILLED_NOTE if sales else None,
    )
    if not sales:
        return
    # a sale: the list columns now (received invoices get them from the application on reading)
    invoice.origin = states.BY_BUYER
    invoice.acquired_at = row.acquisitionDate if row else None
    if found is not None:
        invoice.sale_date, invoice.due_date = found.sale_date, found.due_date
        invoice.net, invoice.vat = found.net, found.vat
    elif row is not None:
        invoice.net, invoice.vat = Decimal(str(row.netAmount)), Decimal(str(row.vatAmount))
    repo.audit(
        s,
        "sync",
        "invoice.imported",
        company_id=company.id,
        invoice_id=invoice.id,
        detail={"ksef_number": number, "origin": states.BY_BUYER, "issued_by": invoice.buyer_id},
    )


def _store_package(
    ctx: EngineContext, company_id: int, subject_type: str, package: ExportPackage, checkpoint: datetime
) -> _Counts:
    sales = plan_of(subject_type).sales
    meta = {row.ksefNumber: row for row in package.metadata}
    items = sorted((number, xml, sha256_b64(xml)) for number, xml in package.invoices.items())
    counts = _Counts()
    with ctx.db.transaction() as s:
        company = s.get(Company, company_id)
        assert company is not None
        numbers = [number for number, _, _ in items]
        hashes = [sha for _, _, sha in items]
        # what the company issued itself (or imported before): by KSeF number or by the file's hash
        issued_numbers, issued_hashes = repo.known_invoices(s, company_id, "issued", numbers, hashes)
        received_numbers: set[str] = set()
        if not sales:
            received_numbers, _ = repo.known_invoices(s, company_id, "received", numbers, [])
        for number, xml, sha in items:
            if number in issued_numbers or sha in issued_hashes:
                counts.known += 1
                counts.own += 0 if sales else 1
                continue
            row = meta.get(number)
            if number in received_numbers or (sales and row is not None and not row.isSelfInvoicing):
                counts.known += 1
                continue
            try:
                with s.begin_nested():
                    _add(s, company, number, xml, sha, row, sales=sales)
                counts.new += 1
            except IntegrityError:
                if sales:  # the company has an invoice of this number already: keep ours, say so
                    log.warning("self-billed invoice %s not stored: its number exists", number)
                counts.known += 1
        cp = repo.checkpoint(s, company_id, subject_type, checkpoint)
        cp.from_date = checkpoint
        cp.last_count = counts.new
        repo.audit(
            s,
            "sync",
            "invoices.received" if not sales else "invoices.self_billed",
            company_id=company_id,
            detail={
                "export": package.reference_number,
                "new": counts.new,
                "known": counts.known,
                "own": counts.own,
                "subject": subject_type,
            },
        )
    return counts


def claim_sync(
    ctx: EngineContext, company_id: int, subject_type: str, interval: timedelta
) -> datetime | None:
    """Take the right to sync now (one worker, at most once per ``interval``); returns the checkpoint."""
    now = datetime.now(UTC)
    with ctx.db.transaction() as s:
        cp = repo.checkpoint(s, company_id, subject_type, now - FIRST_WINDOW)
        if cp.last_run_at is not None and cp.last_run_at > now - interval:
            return None
        cp.last_run_at = now
        return max(cp.from_date, now - FIRST_WINDOW)


def sync_company(
    ctx: EngineContext,
    nip: str,
    *,
    subject_types: Sequence[SubjectType] | None = None,
    interval: timedelta = timedelta(0),
    max_exports: int = 4,
    export_timeout: float = 600.0,
) -> SyncOutcome:
    """Download the invoices received by the company, and the sales self-billed in its name, since
    their checkpoints.

    ``subject_types`` None: every type of :data:`PLAN` at its pace (``interval`` = the worker's
    ``sync_interval``, 0 on demand); given: exactly those, each at most once per ``interval``.
    """
    with ctx.db.transaction() as s:
        company = repo.company_by_nip(s, nip)
        s.expunge(company)
    if subject_types is None:
        todo = [(subject, max(interval * plan.every, plan.floor)) for subject, plan in PLAN.items()]
    else:
        todo = [(subject, interval) for subject in subject_types]
    gateway = default_gateway(ctx, company)
    outcome = SyncOutcome()
    try:
        exporter = gateway.exporter(timeout=export_timeout)
        for subject, gap in todo:
            checkpoint = claim_sync(ctx, company.id, subject, gap)
            if checkpoint is None:
                continue

            def on_package(package: ExportPackage, new_checkpoint: datetime, subject: str = subject) -> None:
                counts = _store_package(ctx, company.id, subject, package, new_checkpoint)
                outcome.new += counts.new
                outcome.known += counts.known
                outcome.own += counts.own
                outcome.exports += 1
                if plan_of(subject).sales:
                    outcome.self_billed += counts.new

            exporter.sync(
                subject,
                checkpoint,
                max_exports=max_exports,
                on_package=on_package,
                extra=plan_of(subject).filters,
            )
    finally:
        gateway.close()
    return outcome
