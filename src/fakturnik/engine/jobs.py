"""The plain records the worker's parts hand each other: a claimed entry, a decision, a UPO to fetch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fakturnik.engine.gateway import InvoiceOutcome
from fakturnik.engine.outcomes import InvoiceVerdict
from fakturnik.store.models import OutboxEntry
from fakturnik.store.projection import project


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
        return project(cls, e)


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
