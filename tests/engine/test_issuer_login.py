"""Per-issuer login in the engine: claims, gateways and sessions per (company, credential).

Real SQLite (and PostgreSQL for the claims) and the simulator's test profile: a company sends with
its KSeF token, and what its co-worker issued with her own certificate (XAdES) goes in sessions
that certificate opened — in the store and in KSeF's session data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakturnik.engine.companies import PERSON_CERTIFICATE
from fakturnik.engine.issuers import issuer_credential_id, missing_note, sending_credential
from fakturnik.engine.issuing import issue
from fakturnik.engine.worker import Worker
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from fakturnik.store.db import Database
from fakturnik.store.models import Company, Credential, KsefSession, OutboxEntry, User
from tests.engine.helpers import NIP, coworker_with_seal, engine, sample_invoice
from tests.store.pg import store_db  # noqa: F401 (store_db: the fixture `db`)


def _queue(db: Database, credentials: list[int | None]) -> tuple[int, list[int]]:
    """A company with two co-worker credentials and one queued entry per item of ``credentials``
    (an index into those two, or None), oldest first; returns the company id and the two ids."""
    with db.transaction() as s:
        company = repo.add_company(s, nip=NIP, name="ACME", environment="local")
        users = [User(email=f"u{n}@firma.pl", name=f"Osoba {n}", password_hash="-") for n in (1, 2)]
        s.add_all(users)
        s.flush()
        rows = [
            Credential(
                company_id=company.id,
                kind=PERSON_CERTIFICATE,
                secret_name=f"p{n}",
                owner_user_id=u.id,
            )
            for n, u in enumerate(users)
        ]
        s.add_all(rows)
        s.flush()
        ids = [r.id for r in rows]
        start = datetime.now(UTC) - timedelta(minutes=10)
        for n, which in enumerate(credentials):
            invoice = repo.add_invoice(
                s,
                company=company,
                direction="issued",
                xml=f"<x>{n}</x>".encode(),
                sha256=f"hash{n}",
                number=f"FV/{n}",
                seller_nip=NIP,
                status=states.QUEUED,
            )
            entry = repo.enqueue(s, invoice, credential_id=None if which is None else ids[which])
            entry.next_attempt_at = start + timedelta(seconds=n)
        return company.id, ids


def test_a_claim_takes_one_login_at_a_time(db: Database) -> None:
    company_id, (ala, ola) = _queue(db, [0, None, 1, 0, None, 1, 0])
    now = datetime.now(UTC)
    claims = []
    for worker in ("w1", "w2", "w3", "w4"):
        with db.transaction() as s:
            got = repo.claim(s, worker, now=now, lease=timedelta(seconds=30), limit=10)
            claims.append(sorted((e.credential_id, e.id) for e in got))
    logins = [{c for c, _ in claim} for claim in claims]
    # the login of the oldest due entry first, all of its entries; then the next login's
    assert logins == [{ala}, {None}, {ola}, set()]
    assert [len(c) for c in claims] == [3, 2, 2, 0]
    with db.transaction() as s:
        assert repo.claim(s, "w5", now=now, lease=timedelta(seconds=30), limit=10) == []
        assert all(e.company_id == company_id for e in s.query(OutboxEntry))


def test_the_issuer_credential_is_decided_once_and_follows_her_new_certificate(tmp_path: Path) -> None:
    db = Database(data_dir=tmp_path)
    company_id, (ala, _) = _queue(db, [])
    with db.transaction() as s:
        owner = s.get(Credential, ala).owner_user_id  # type: ignore[union-attr]
        assert issuer_credential_id(s, company_id, owner) == ala
        assert issuer_credential_id(s, company_id, None) is None
        assert issuer_credential_id(s, company_id, 10_000) is None  # no certificate of her own here
        # she replaces her certificate: what was queued under the old one follows the new one
        old = s.get(Credential, ala)
        assert old is not None
        old.active = False
        new = Credential(
            company_id=company_id, kind=PERSON_CERTIFICATE, secret_name="p0b", owner_user_id=owner
        )
        s.add(new)
        s.flush()
        assert sending_credential(s, ala) is new
        assert issuer_credential_id(s, company_id, owner) == new.id
        # removed altogether: nothing logs in for her, and the note says whose certificate to add
        new.active = False
        assert sending_credential(s, ala) is None
        assert issuer_credential_id(s, company_id, owner) is None
        company = s.get(Company, company_id)
        assert company is not None
        assert missing_note(s, ala).startswith(
            f"Czeka na certyfikat KSeF: Osoba 1 nie ma już w firmie {company.nip} aktywnego certyfikatu KSeF"
        )
    db.dispose()


def test_her_invoices_go_in_sessions_her_certificate_opened(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator)
    anna = coworker_with_seal(ctx)
    mine = [
        issue(ctx, company_nip=NIP, xml=sample_invoice(), issuer_user_id=anna).invoice_id for _ in range(3)
    ]
    ours = [issue(ctx, company_nip=NIP, xml=sample_invoice()).invoice_id for _ in range(3)]
    worker = Worker(ctx, worker_id="w")
    assert worker.run(once=True, idle_sleep=0.05, max_seconds=60).exit_code == 0
    with ctx.db.transaction() as s:
        entries = {e.invoice_id: e for e in s.query(OutboxEntry)}
        opened = {r.reference_number: r.credential_id for r in s.query(KsefSession)}
        (her_credential,) = {entries[i].credential_id for i in mine}
        assert her_credential is not None and {entries[i].credential_id for i in ours} == {None}
        assert all(entries[i].state == states.ACCEPTED for i in mine + ours)
        for invoice_id in mine + ours:  # the store: each in a session its own login opened
            entry = entries[invoice_id]
            assert entry.session_ref is not None
            assert opened[entry.session_ref] == entry.credential_id
        refs = {i: entries[i].session_ref for i in mine + ours}
    # KSeF: the co-worker's sessions were opened with her certificate, the company's with its token
    methods = {d["referenceNumber"]: d["authMethod"] for d in simulator.sim.state.all("session")}
    assert {methods[refs[i] or ""] for i in mine} == {"XadesSignature"}
    assert {methods[refs[i] or ""] for i in ours} == {"Token"}
    assert set(opened.values()) == {None, her_credential}
    ctx.close()
