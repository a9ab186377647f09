"""Crash-and-fault test: worker processes SIGKILLed at random moments while KSeF misbehaves.

KSeF's faults: random 5xx, latency, an outage, online sessions paused mid-use (error 21184).
Every invoice must end with exactly one KSeF number, in KSeF (the simulator's state) and in the
store: zero lost, zero duplicates. SQLite with one worker; PostgreSQL with three at once. The company
sends with two logins: its KSeF token, and a co-worker's own certificate for every other invoice
(she issued it); each invoice is in a session its own login opened, in KSeF and in the store.
The invoice count is ``FAKTURNIK_CRASH_INVOICES`` (default below, sized for a few minutes).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from fakturnik.engine.context import EngineContext
from fakturnik.engine.issuing import issue
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from fakturnik.store.models import Invoice, KsefSession, OutboxEntry
from tests.engine.helpers import NIP, coworker_with_seal, engine, faults, ksef_token, sample_invoice
from tests.store.pg import fresh_pg_database

INVOICES = int(os.environ.get("FAKTURNIK_CRASH_INVOICES", "1000"))
KILLS = 20
MASTER_KEY = "ab" * 32
WORKER_ENV = {
    "FAKTURNIK_MASTER_KEY": MASTER_KEY,
    "FAKTURNIK_ENGINE_LEASE_S": "10",
    "FAKTURNIK_ENGINE_HTTP_TIMEOUT_S": "2",
    "FAKTURNIK_ENGINE_RECONCILE_AFTER_S": "8",
    "FAKTURNIK_ENGINE_CLAIM_LIMIT": "40",
    "FAKTURNIK_ENGINE_BATCH_MIN": "30",
    "FAKTURNIK_ENGINE_POLL_INTERVAL_S": "0.2",
    "FAKTURNIK_ENGINE_THROTTLE": "0",  # the simulator runs without limits here; the bench checks them
}


def _spawn(data_dir: Path, url: str | None, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "fakturnik.cli.main", "worker", "--fast", "--data-dir", str(data_dir)]
    if url:
        cmd += ["--database-url", url]
    env = {**os.environ, **WORKER_ENV}
    with log.open("ab") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _remote_accepted(server: SimulatorServer) -> list[dict[str, Any]]:
    docs = server.sim.state.all("invoice")
    return [d for d in docs if (d.get("status") or {}).get("code") == 200 and d.get("ksefNumber")]


def _pending(ctx: EngineContext) -> int:
    with ctx.db.transaction() as s:
        counts = repo.outbox_counts(s)
    return sum(n for st, n in counts.items() if st not in states.TERMINAL)


def _chaos(tmp_path: Path, url: str | None, workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKTURNIK_MASTER_KEY", MASTER_KEY)
    rng = random.Random(int(os.environ.get("FAKTURNIK_CRASH_SEED", "5")))
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as server:
        token = ksef_token(server)
        ctx = engine(tmp_path, server, url=url, token=token)
        anna = coworker_with_seal(ctx)

        def one(n: int) -> None:  # every other invoice issued by the co-worker
            issue(ctx, company_nip=NIP, xml=sample_invoice(), issuer_user_id=anna if n % 2 else None)

        first = INVOICES * 2 // 3
        for n in range(first):
            one(n)
        log = tmp_path / "workers.log"
        procs = [_spawn(tmp_path, url, log) for _ in range(workers)]
        faults(server, errorRate=0.15, latency=0.02)
        kills = 0
        issued = first
        outage_at = KILLS // 2
        started = time.monotonic()
        try:
            while kills < KILLS:
                time.sleep(rng.uniform(0.4, 2.5))
                victim = rng.randrange(workers)
                _kill(procs[victim])
                kills += 1
                procs[victim] = _spawn(tmp_path, url, log)
                if kills == outage_at:
                    faults(server, outageSeconds=4)
                if kills in (KILLS // 4, 3 * KILLS // 4):  # online sessions paused mid-use (21184)
                    faults(server, sessionUnavailable=2, sessionUnavailableAfter=1)
                # keep issuing while the workers die and KSeF fails (some during the outage)
                for _ in range(min((INVOICES - first) // KILLS + 1, INVOICES - issued)):
                    one(issued)
                    issued += 1
            while issued < INVOICES:
                one(issued)
                issued += 1
            faults(server, errorRate=0.0, latency=0.0)
            deadline = time.monotonic() + 300
            while _pending(ctx) > 0 and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            for p in procs:
                _kill(p)
        elapsed = time.monotonic() - started
        remote = _remote_accepted(server)
        with ctx.db.transaction() as s:
            rows = s.execute(select(Invoice.id, Invoice.status, Invoice.ksef_number, Invoice.sha256)).all()
            counts = repo.outbox_counts(s)
            sessions = Counter(kind for (kind,) in s.execute(select(KsefSession.kind)))
            logins = {
                sha: (credential, opened_by)
                for sha, credential, opened_by in s.execute(
                    select(Invoice.sha256, OutboxEntry.credential_id, KsefSession.credential_id)
                    .join(OutboxEntry, OutboxEntry.invoice_id == Invoice.id)
                    .join(KsefSession, KsefSession.reference_number == OutboxEntry.session_ref)
                )
            }
        methods = {d["referenceNumber"]: d["authMethod"] for d in server.sim.state.all("session")}
        paused = len(server.sim.faults.paused_sessions)
        ctx.close()
    print(
        f"\ncrash test: {len(rows)} invoices, {kills} SIGKILLs, {workers} worker(s), "
        f"{elapsed:.0f} s; outbox {counts}; sessions {dict(sessions)}; paused (21184) {paused}"
    )
    assert token not in log.read_text(encoding="utf-8", errors="replace")  # secrets stay out of worker logs
    assert len(rows) == INVOICES
    not_done = [r for r in rows if r.status != states.ACCEPTED or not r.ksef_number]
    assert not not_done, f"{len(not_done)} not accepted, e.g. {not_done[:3]}; see {tmp_path / 'workers.log'}"
    assert len({r.ksef_number for r in rows}) == INVOICES  # no two invoices share a number
    by_hash = Counter(d["invoiceHash"] for d in remote)
    twice = [h for h, n in by_hash.items() if n > 1]
    assert not twice, f"{len(twice)} invoices registered twice in KSeF"
    remote_numbers = {d["invoiceHash"]: d["ksefNumber"] for d in remote}
    assert len(remote) == INVOICES  # nothing else was registered
    for r in rows:  # the store holds exactly KSeF's number for each invoice
        assert remote_numbers.get(r.sha256) == r.ksef_number
    # two logins, never mixed: each invoice went in a session opened by its own login (the store's
    # record of the session, and KSeF's: the token's sessions vs the certificate's XAdES ones)
    assert len(logins) == INVOICES
    assert {credential is None for credential, _ in logins.values()} == {True, False}
    assert all(credential == opened_by for credential, opened_by in logins.values())
    for d in remote:
        expected = "Token" if logins[d["invoiceHash"]][0] is None else "XadesSignature"
        assert methods[d["sessionRef"]] == expected, d


@pytest.mark.slow
def test_sigkill_and_faults_sqlite_one_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _chaos(tmp_path, None, 1, monkeypatch)


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkill_and_faults_postgres_three_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fresh_pg_database() as url:
        _chaos(tmp_path, url, 3, monkeypatch)
