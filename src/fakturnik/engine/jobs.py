"""The plain records the worker's parts hand each other: a claimed entry, a decision, a UPO to fetch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fakturnik.engine.gateway import InvoiceOutcome
from fakturnik.engine.outcomes import InvoiceVerdict
from fakturnik.store.models import OutboxEntry


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Job:
    """A claimed entry as plain data (no ORM object crosses a transaction)."""

    id: int
    invoice_id: int
    company_id: int
    state: str
    urgent: bool
    offline_mode: bool
    invoice_hash: str
    attempts: int
    session_ref: str | None
    session_kind: str | None
    invoice_ref: str | None
    send_started_at: datetime | None
    created_at: datetime
    credential_id: int | None = None  # the login that must send it (the issuer's own); None: the company's

    @classmethod
    def of(cls, e: OutboxEntry) -> Job:
        return cls(
            e.id,
            e.invoice_id,
            e.company_id,
            e.state,
            e.urgent,
            e.offline_mode,
            e.invoice_hash,
            e.attempts,
            e.session_ref,
            e.session_kind,
            e.invoice_ref,
            e.send_started_at,
            e.created_at,
            e.credential_id,
        )


@dataclass(frozen=True)
class Decision:
    """What KSeF said about one claimed entry, to be recorded (``session_ref``: where it was found)."""

    job: Job
    verdict: InvoiceVerdict
    remote: InvoiceOutcome | None = None
    session_ref: str | None = None


@dataclass(frozen=True)
class UpoTask:
    """An accepted invoice whose UPO is still to be fetched (``url``: KSeF's pre-signed link, if known)."""

    company_id: int
    invoice_id: int
    session_ref: str
    ksef_number: str
    url: str | None = None
    credential_id: int | None = None  # the login that opened the session (only it may read it)
