"""A worker never ends on another process holding the store or the throttle's books for a while.

Each test makes the contention for real: another process (or connection) holds the SQLite file or the
PostgreSQL table, the worker's database gives up quickly (a short busy or lock timeout), and the
worker's loop logs it, waits its backoff and goes on until everything is delivered. A PostgreSQL
deadlock between two writers is made for real too, and the CLI names it for what it is.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text

from fakturnik.engine.context import EngineContext, open_context
from fakturnik.engine.issuing import issue
from fakturnik.engine.worker import Worker
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from fakturnik.store.health import contention
from tests.engine.helpers import NIP, engine, sample_invoice
from tests.store.pg import fresh_pg_database, needs_pg

HOLD = 2.0  # seconds the other process keeps its lock

ROOT = Path(__file__).resolve().parents[2]


def _give_up_quickly(ctx: EngineContext) -> None:
    """The worker's database waits 0.2 s for a lock instead of a minute (new connections from now on)."""

    @event.listens_for(ctx.db.engine, "connect")
    def short_wait(dbapi_conn: Any, _: Any) -> None:
        cur = dbapi_conn.cursor()
        if ctx.db.dialect == "sqlite":
            cur.execute("PRAGMA busy_timeout=200")
        else:
            cur.execute("SET lock_timeout = '200ms'")
        cur.close()
        if ctx.db.dialect != "sqlite":
            dbapi_conn.commit()

    ctx.db.engine.dispose()


def _hold_sqlite(path: Path, seconds: float) -> subprocess.Popen[bytes]:
    """Another process takes the file's write lock and keeps it ``seconds`` (returns once it holds it)."""
    code = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('held', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
        "c.execute('COMMIT')\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(path), str(seconds)], stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
    return holder


@contextmanager
def _hold_pg_table(url: str, table: str, seconds: float) -> Iterator[None]:
    """Another connection locks the whole table for ``seconds`` (in a thread; yields once it holds it)."""
    admin = create_engine(url)
    held = threading.Event()

    def hold() -> None:
        with admin.begin() as conn:
            conn.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            held.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(30)
    try:
        yield
    finally:
        thread.join()
        admin.dispose()


def _delivered(ctx: EngineContext) -> list[str]:
    with ctx.db.transaction() as s:
        return [i.status for i in repo.list_invoices(s, direction="issued")]


@pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, needs_pg])]
)
def test_a_store_held_by_another_process_is_waited_out_not_an_exit(
    store: str, simulator: SimulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with fresh_pg_database() if store == "postgres" else _nothing() as url:
        ctx = engine(tmp_path, simulator, url=url)
        for _ in range(3):
            issue(ctx, company_nip=NIP, xml=sample_invoice())
        _give_up_quickly(ctx)
        caplog.set_level(logging.WARNING, logger="fakturnik.engine")
        started = time.monotonic()
        if store == "sqlite":
            holder = _hold_sqlite(tmp_path / "fakturnik.db", HOLD)
            summary = Worker(ctx, worker_id="w").run(once=True, idle_sleep=0.1, max_seconds=60)
            holder.wait(30)
        else:
            assert url is not None
            with _hold_pg_table(url, "upos", HOLD):  # the UPOs are stored after the numbers
                summary = Worker(ctx, worker_id="w").run(once=True, idle_sleep=0.1, max_seconds=60)
        elapsed = time.monotonic() - started
        statuses = _delivered(ctx)
        ctx.close()
    assert summary.exit_code == 0 and statuses == [states.ACCEPTED] * 3
    assert elapsed >= HOLD * 0.9  # it really met the lock
    retried = [r.getMessage() for r in caplog.records if "again in" in r.getMessage()]
    assert retried and all(("zajęta" in m or "zablokowany" in m) for m in retried), retried


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def test_a_worker_process_waits_for_the_throttle_books_held_by_another_process(
    simulator: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fakturnik worker --once`` on SQLite: another process holds this machine's throttle books (the
    SQLite file every process of the machine shares) for a few seconds; the worker waits and delivers."""
    from fakturnik.ksef.environments import resolve
    from fakturnik.ksef.throttle_ledger import HostLedger
    from fakturnik.vault import ENV_MASTER_KEY

    monkeypatch.setenv(ENV_MASTER_KEY, secrets.token_hex(32))
    books = tmp_path / "books"
    ctx = engine(tmp_path / "data", simulator)
    for _ in range(3):
        issue(ctx, company_nip=NIP, xml=sample_invoice())
    ctx.close()
    env = {**os.environ, "FAKTURNIK_THROTTLE_DIR": str(books), "FAKTURNIK_ENGINE_SYNC_INTERVAL_S": "0"}
    api_url = resolve(simulator.base_url).api_url
    ledger_file = books / (hashlib.sha256(api_url.encode()).hexdigest()[:16] + ".sqlite")
    HostLedger(ledger_file).close()  # the file as the machine's processes made it
    holder = _hold_sqlite(ledger_file, HOLD * 2)
    command = [sys.executable, "-m", "fakturnik.cli.main", "worker", "--once", "--fast"]
    command += ["--max-seconds", "60", "--data-dir", str(tmp_path / "data")]
    started = time.monotonic()
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    holder.wait(30)
    assert done.returncode == 0, done.stderr.decode()
    assert elapsed >= HOLD  # it waited for the books …
    assert b"not shared" not in done.stderr  # … and kept sharing them
    ctx = open_context(tmp_path / "data", None, use_keyring=False)
    assert _delivered(ctx) == [states.ACCEPTED] * 3
    ctx.close()


@pytest.mark.postgres
@needs_pg
def test_a_deadlock_between_two_writers_is_contention_and_the_cli_says_so() -> None:
    from fakturnik.cli.failures import DATABASE, describe

    with fresh_pg_database() as url:
        db = create_engine(url)
        with db.begin() as conn:
            conn.execute(text("CREATE TABLE pair (id int PRIMARY KEY, v int)"))
            conn.execute(text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
        errors: list[Exception] = []
        both = threading.Barrier(2)

        def write(first: int, second: int) -> None:
            try:
                with db.begin() as conn:
                    conn.execute(text("UPDATE pair SET v = v + 1 WHERE id = :i"), {"i": first})
                    both.wait()
                    conn.execute(text("UPDATE pair SET v = v + 1 WHERE id = :i"), {"i": second})
            except Exception as exc:
                errors.append(exc)

        writers = [threading.Thread(target=write, args=pair) for pair in ((1, 2), (2, 1))]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        db.dispose()
    assert len(errors) == 1  # PostgreSQL broke the cycle by rolling one back
    assert contention(errors[0]) == "zakleszczenie z innym procesem"
    failure = describe(errors[0])
    assert failure.code == DATABASE
    assert "zablokowana" not in failure.lines[0] and "w tej samej chwili" in failure.lines[0]
