"""KSeF availability: outages seen (or declared), offline issuing, and deadlines once they end."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from fakturnik.base.warsaw import warsaw_today
from fakturnik.engine.business_days import FAILURE, OFFLINE24, offline_deadline
from fakturnik.store import repo
from fakturnik.store.models import Outage


def start_outage(s: Session, api_base: str, *, mode: str = OFFLINE24, failures: int = 0) -> Outage:
    """Open an outage for ``api_base`` unless one is open already (then only its mode may change)."""
    outage = repo.open_outage(s, api_base)
    if outage is None:
        outage = repo.add_outage(s, api_base, mode=mode, failures=failures, started_at=datetime.now(UTC))
        repo.audit(s, "engine", "ksef.outage.start", detail={"api": api_base, "mode": mode})
    elif mode != outage.mode and mode == FAILURE:
        outage.mode = mode
    return outage


def end_outage(s: Session, api_base: str, now: datetime | None = None) -> Outage | None:
    """Close the open outage and give deadlines to the offline invoices that were waiting for its end."""
    outage = repo.open_outage(s, api_base)
    if outage is None:
        return None
    moment = now or datetime.now(UTC)
    outage.ended_at = moment
    end_day = warsaw_today(moment)
    # a failure also moves the deadlines of offline invoices issued before it
    since = None if outage.mode == FAILURE else outage.started_at
    pending = repo.offline_awaiting_number(s, api_base, since=since)
    for invoice in pending:
        kind = FAILURE if outage.mode == FAILURE else invoice.offline_kind or OFFLINE24
        issue = invoice.issue_date or end_day
        deadline = offline_deadline(kind, issue, end_day)
        if deadline is not None and (invoice.offline_deadline is None or deadline > invoice.offline_deadline):
            invoice.offline_deadline = deadline
            invoice.offline_kind = kind
    repo.audit(s, "engine", "ksef.outage.end", detail={"api": api_base, "mode": outage.mode})
    return outage
