"""Repositories: numbering, outbox claims and leases, append-only audit, status history."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fakturnik.store import repo, states
from fakturnik.store.db import Database
from fakturnik.store.models import Company, Invoice
from tests.threads import run_threads

NIP = "5265877635"


def _company(db: Database) -> int:
    with db.transaction() as s:
        return repo.add_company(s, nip=NIP, name="ACME", environment="local").id


def _invoice(db: Database, company_id: int, n: int) -> int:
    with db.transaction() as s:
        company = s.get(Company, company_id)
        assert company is not None
        number = repo.next_number(s, NIP, "VAT", 2026)
        inv = repo.add_invoice(
            s,
            company=company,
            direction="issued",
            xml=f"<x>{n}</x>".encode(),
            sha256=f"hash{n}",
            number=number,
            seller_nip=NIP,
            status=states.QUEUED,
        )
        repo.enqueue(s, inv)
        return inv.id


def test_numbers_are_sequential_and_a_rollback_returns_the_number(db: Database) -> None:
    with db.transaction() as s:
        assert repo.next_number(s, NIP, "VAT", 2026) == "FV/2026/000001"
        assert repo.next_number(s, NIP, "VAT", 2026) == "FV/2026/000002"
        assert repo.next_number(s, NIP, "KOR", 2026) == "KOR/2026/000001"
    with pytest.raises(RuntimeError), db.transaction() as s:
        repo.next_number(s, NIP, "VAT", 2026)
        raise RuntimeError("issuing failed")
    with db.transaction() as s:
        assert repo.next_number(s, NIP, "VAT", 2026) == "FV/2026/000003"


def test_concurrent_numbering_never_hands_out_a_number_twice(db: Database) -> None:
    with db.transaction() as s:
        repo.next_number(s, NIP, "VAT", 2026)
    got: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(10):
            with db.transaction() as s:
                number = repo.next_number(s, NIP, "VAT", 2026)
            with lock:
                got.append(number)

    run_threads([work] * 4)
    assert len(got) == 40 == len(set(got))


def test_claims_are_disjoint_and_leases_expire(db: Database) -> None:
    company_id = _company(db)
    ids = {_invoice(db, company_id, n) for n in range(6)}
    now = datetime.now(UTC)
    with db.transaction() as s:
        a = [e.id for e in repo.claim(s, "w1", now=now, lease=timedelta(seconds=30), limit=4)]
    with db.transaction() as s:
        b = [e.id for e in repo.claim(s, "w2", now=now, lease=timedelta(seconds=30), limit=4)]
    assert len(a) == 4 and len(b) == 2 and not set(a) & set(b)
    with db.transaction() as s:
        assert repo.claim(s, "w3", now=now, lease=timedelta(seconds=30), limit=10) == []
        assert {
            e.invoice_id
            for e in repo.claim(s, "w3", now=now + timedelta(seconds=31), lease=timedelta(1), limit=10)
        } == ids
    with pytest.raises(repo.LeaseLostError), db.transaction() as s:
        repo.fenced(s, a[0], "w1")
    with db.transaction() as s:
        assert repo.fenced(s, a[0], "w3").claimed_by == "w3"


@pytest.mark.postgres
def test_skip_locked_lets_two_open_transactions_claim_disjoint_sets(pg_db: Database) -> None:
    company_id = _company(pg_db)
    for n in range(4):
        _invoice(pg_db, company_id, n)
    now = datetime.now(UTC)
    with pg_db.transaction() as s1, pg_db.transaction() as s2:
        a = {e.id for e in repo.claim(s1, "w1", now=now, lease=timedelta(seconds=30), limit=3)}
        b = {e.id for e in repo.claim(s2, "w2", now=now, lease=timedelta(seconds=30), limit=3)}
    assert len(a) == 3 and len(b) == 1 and not a & b


def test_audit_log_is_append_only(db: Database) -> None:
    _company(db)
    with pytest.raises(DBAPIError), db.transaction() as s:
        s.execute(text("UPDATE audit_log SET action = 'x'"))
    with pytest.raises(DBAPIError), db.transaction() as s:
        s.execute(text("DELETE FROM audit_log"))
    with db.transaction() as s:
        assert s.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 1


def test_status_history_and_aware_times(db: Database) -> None:
    company_id = _company(db)
    inv_id = _invoice(db, company_id, 1)
    with db.transaction() as s:
        inv = s.get(Invoice, inv_id)
        assert inv is not None
        repo.set_invoice_status(s, inv, states.ACCEPTED, "KSeF number")
    with db.transaction() as s:
        hist = repo.history(s, inv_id)
        assert [h.status for h in hist] == [states.QUEUED, states.ACCEPTED]
        assert hist[0].at.tzinfo is UTC
