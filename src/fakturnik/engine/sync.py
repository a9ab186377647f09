"""Incoming invoices: incremental export per company by the PermanentStorage high-water mark (digest §12).

Each export package is stored in ONE transaction together with the advanced checkpoint, so a crash
never skips a window; invoices are deduplicated by KSeF number.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from fakturnik.engine import fields
from fakturnik.engine.connect import default_gateway
from fakturnik.engine.context import EngineContext
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.store import repo, states
from fakturnik.store.models import Company

if TYPE_CHECKING:
    from fakturnik.ksef.exports import ExportPackage, SubjectType

log = logging.getLogger("fakturnik.engine.sync")

FIRST_WINDOW = timedelta(days=99)  # the whole 100-day range (API 2.7.1) = ksef.exports.MAX_WINDOW


@dataclass
class SyncOutcome:
    new: int = 0
    known: int = 0
    exports: int = 0


def _store_package(
    ctx: EngineContext, company_id: int, subject_type: str, package: ExportPackage, checkpoint: datetime
) -> tuple[int, int]:
    meta = {row.ksefNumber: row for row in package.metadata}
    new = known = 0
    with ctx.db.transaction() as s:
        company = s.get(Company, company_id)
        assert company is not None
        for number, xml in sorted(package.invoices.items()):
            if (
                repo.invoice_by_ksef_number(s, number, company_id=company_id, direction="received")
                is not None
            ):
                known += 1
                continue
            row = meta.get(number)
            try:
                found = fields.read_fields(xml)
            except Exception:  # unreadable document: keep it with metadata fields only
                found = None
            try:
                with s.begin_nested():
                    repo.add_invoice(
                        s,
                        company=company,
                        direction="received",
                        xml=xml,
                        sha256=sha256_b64(xml),
                        number=(found.number if found else None) or (row.invoiceNumber if row else number),
                        kind=(found.kind if found else None) or (row.invoiceType if row else "VAT"),
                        issue_date=found.issue_date if found else (row.issueDate if row else None),
                        seller_nip=(found.seller_nip if found else None) or (row.seller.nip if row else ""),
                        seller_name=found.seller_name if found else "",
                        buyer_id=found.buyer_id if found else "",
                        buyer_name=found.buyer_name if found else "",
                        gross=found.gross if found else (Decimal(str(row.grossAmount)) if row else None),
                        currency=(found.currency if found else None) or (row.currency if row else "PLN"),
                        ksef_number=number,
                        status=states.RECEIVED,
                    )
                new += 1
            except IntegrityError:
                known += 1
        cp = repo.checkpoint(s, company_id, subject_type, checkpoint)
        cp.from_date = checkpoint
        cp.last_count = new
        repo.audit(
            s,
            "sync",
            "invoices.received",
            company_id=company_id,
            detail={"export": package.reference_number, "new": new, "known": known, "subject": subject_type},
        )
    return new, known


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
    subject_types: Sequence[SubjectType] = ("Subject2",),
    interval: timedelta = timedelta(0),
    max_exports: int = 4,
    export_timeout: float = 600.0,
) -> SyncOutcome:
    """Download invoices received by (or naming) the company since its checkpoint."""
    with ctx.db.transaction() as s:
        company = repo.company_by_nip(s, nip)
        s.expunge(company)
    gateway = default_gateway(ctx, company)
    outcome = SyncOutcome()
    try:
        exporter = gateway.exporter(timeout=export_timeout)
        for subject in subject_types:
            checkpoint = claim_sync(ctx, company.id, subject, interval)
            if checkpoint is None:
                continue

            def on_package(package: ExportPackage, new_checkpoint: datetime, subject: str = subject) -> None:
                new, known = _store_package(ctx, company.id, subject, package, new_checkpoint)
                outcome.new += new
                outcome.known += known
                outcome.exports += 1

            exporter.sync(subject, checkpoint, max_exports=max_exports, on_package=on_package)
    finally:
        gateway.close()
    return outcome
