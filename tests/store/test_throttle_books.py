"""The throttle's books in PostgreSQL (store/throttle_books.py): shared by processes on any machine."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from fakturnik.errors import LedgerUnavailable
from fakturnik.ksef.rate_limits import RateLimit, delay_until_free
from fakturnik.ksef.throttle import Throttle, throttle_for
from fakturnik.ksef.throttle_ledger import ENV_SHARED, HostLedger, _owner, ledger_for
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.ratelimit import Limit
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store.db import Database
from fakturnik.store.throttle_books import PostgresLedger, share_books_through, stop_sharing_books
from tests.processes import run_together
from tests.store.pg import fresh_pg_database

pytestmark = pytest.mark.postgres

TWO_PER_SECOND = RateLimit(2, 100, 1000)
API = "http://127.0.0.1:1/v2"


@pytest.fixture(scope="module")
def books_url() -> Iterator[str]:
    with fresh_pg_database() as url:
        Database(url).dispose()  # migrated: the tables exist
        yield url


@pytest.fixture
def clean(books_url: str) -> Iterator[str]:
    engine = create_engine(books_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM throttle_slots"))
        conn.execute(text("DELETE FROM throttle_blocks"))
    yield books_url
    engine.dispose()


def _db_now(url: str) -> float:
    engine = create_engine(url)
    with engine.connect() as conn:
        now = float(conn.execute(text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one())
    engine.dispose()
    return now


def _insert(url: str, rows: list[tuple[str, str, str, float, float | None]]) -> None:
    if not rows:
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO throttle_slots (key, host, owner, reserved, done) "
                "VALUES (:key, :host, :owner, :reserved, :done)"
            ),
            [dict(zip(("key", "host", "owner", "reserved", "done"), row, strict=True)) for row in rows],
        )
    engine.dispose()


def test_two_machines_keep_one_set_of_books(clean: str) -> None:
    a = PostgresLedger(clean, API, host="machine-a")
    b = PostgresLedger(clean, API, host="machine-b")
    first = [a.reserve("invoiceSend|Nip:1", TWO_PER_SECOND, 0.05) for _ in range(2)]
    assert [wait for wait, _ in first] == [0.0, 0.0]
    assert b.reserve("invoiceSend|Nip:1", TWO_PER_SECOND, 0.05) == (None, None)  # both in flight
    assert b.reserve("invoiceSend|Nip:2", TWO_PER_SECOND, 0.05)[0] == 0.0  # another context: free
    for _, slot_id in first:
        assert slot_id is not None
        a.release(slot_id)
    wait, slot_id = b.reserve("invoiceSend|Nip:1", TWO_PER_SECOND, 0.05)
    assert slot_id is None and wait is not None and 0.9 < wait <= 1.05
    other_deployment = PostgresLedger(clean, "http://127.0.0.1:2/v2", host="machine-b")
    assert other_deployment.reserve("invoiceSend|Nip:1", TWO_PER_SECOND, 0.05)[0] == 0.0
    for ledger in (a, b, other_deployment):
        ledger.close()


def test_a_penalty_holds_every_machine(clean: str) -> None:
    a = PostgresLedger(clean, API, host="machine-a")
    b = PostgresLedger(clean, API, host="machine-b")
    a.block("other|", 5.0)
    a.block("other|", 1.0)  # a shorter penalty never shortens one in force
    wait, slot_id = b.reserve("other|", TWO_PER_SECOND, 0.05)
    assert slot_id is None and wait is not None and 4.8 < wait <= 5.0
    a.close()
    b.close()


def _dead_owner() -> str:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return f"{int(child.stdout)}:12345"


def test_slots_whose_owner_died_are_dated_not_dropped(clean: str) -> None:
    ledger = PostgresLedger(clean, API, host="here", stale_after=60.0)
    key = ledger._key("x|")
    now = _db_now(clean)
    _insert(
        clean,
        [
            (key, "here", _dead_owner(), now - 1, None),  # this machine, process gone: dated now
            (key, "there", "1:1", now - 120, None),  # another machine, in flight for 2 min: dated now
            (key, "there", "2:1", now - 10, None),  # another machine, 10 s: may still be under way
        ],
    )
    wait, slot_id = ledger.reserve("x|", RateLimit(5, 100, 1000), 0.05)
    # 2 dated now + 1 in flight = 3 of 5 this second: it fits
    assert wait == 0.0 and slot_id is not None
    engine = create_engine(clean)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT host, done IS NULL FROM throttle_slots WHERE key = :k ORDER BY id"), {"k": key}
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("here", False), ("there", False), ("there", True), ("here", True)]
    # dated, they fill the second: the next two fit, the sixth waits until the dated ones leave it
    assert ledger.reserve("x|", RateLimit(5, 100, 1000), 0.05)[0] == 0.0
    wait, slot_id = ledger.reserve("x|", RateLimit(5, 100, 1000), 0.05)
    assert slot_id is None
    ledger.close()


def test_a_live_process_of_this_machine_keeps_its_slot_in_flight(clean: str) -> None:
    ledger = PostgresLedger(clean, API, host="here", stale_after=60.0)
    key = ledger._key("y|")
    _insert(clean, [(key, "here", _owner(os.getppid()), _db_now(clean) - 1000, None)])
    assert ledger.reserve("y|", RateLimit(1, 100, 1000), 0.05) == (None, None)  # until it finishes
    ledger.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ages=st.lists(st.floats(0, 3700, allow_nan=False), max_size=30),
    in_flight=st.integers(0, 3),
    limit=st.tuples(st.integers(1, 6), st.integers(1, 20), st.integers(1, 45)),
)
def test_the_books_decide_as_the_in_memory_arithmetic(
    clean: str, ages: list[float], in_flight: int, limit: tuple[int, int, int]
) -> None:
    ledger = PostgresLedger(clean, API, host="here")
    key = ledger._key("k|")
    engine = create_engine(clean)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM throttle_slots"))
    engine.dispose()
    base = _db_now(clean)
    _insert(clean, [(key, "there", "1:1", base - a, base - a) for a in ages])
    _insert(clean, [(key, "here", _owner(os.getpid()), base, None)] * in_flight)
    rate = RateLimit(*limit)
    wait, slot_id = ledger.reserve("k|", rate, 0.05)
    after = _db_now(clean)
    # the database's clock moved on since ``base``: the answer lies between the two instants
    completed = sorted(base - a for a in ages if a <= 3660.0)
    at_base = delay_until_free(completed, in_flight, base, rate, 0.05)
    later = delay_until_free(completed, in_flight, after, rate, 0.05)
    if wait == 0.0:
        assert slot_id is not None and (at_base == 0.0 or later == 0.0)
    elif wait is None:
        assert slot_id is None and at_base is None
    else:
        assert slot_id is None and at_base is not None and at_base != 0.0
        assert at_base - (after - base) <= wait <= at_base
    ledger.close()


def test_books_that_fail_are_given_up(clean: str, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(LedgerUnavailable):
        PostgresLedger("postgresql+psycopg://nobody@127.0.0.1:1/none", API).reserve("x|", TWO_PER_SECOND, 0.0)
    ledger = PostgresLedger(clean, API)
    throttle = Throttle({"other": TWO_PER_SECOND}, ledger=ledger)
    ledger._engine.dispose()
    ledger._engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with caplog.at_level(logging.WARNING), throttle.slot("other"):
        pass
    assert throttle.ledger is None
    assert "no longer shared" in caplog.text
    assert "password" not in caplog.text.lower()
    # the database is back: after a pause the books are used again
    ledger._engine = create_engine(clean)
    with throttle.slot("other"):
        assert throttle.ledger is None  # still paused
    throttle._retry_at = 0.0
    with throttle.slot("other") as taken:
        assert throttle.ledger is ledger and taken.shared_id is not None
    ledger.close()


def test_installed_books_serve_every_throttle_of_the_process(
    clean: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKTURNIK_THROTTLE_DIR", str(tmp_path / "host-books"))
    api = "http://127.0.0.1:3/v2"
    before = throttle_for(api)
    assert isinstance(before.ledger, HostLedger)
    try:
        share_books_through(clean)
        share_books_through(clean)  # idempotent
        after = throttle_for(api)
        assert after is before and isinstance(after.ledger, PostgresLedger)
        assert isinstance(ledger_for(api), PostgresLedger)
        monkeypatch.setenv(ENV_SHARED, "0")
        assert ledger_for(api) is None
        monkeypatch.delenv(ENV_SHARED)
    finally:
        stop_sharing_books()
    assert isinstance(throttle_for(api).ledger, HostLedger)


def test_the_engine_keeps_the_books_in_its_postgres_store(
    clean: str, simulator: SimulatorServer, tmp_path: Path
) -> None:
    from fakturnik.engine.connect import default_gateway
    from fakturnik.store import repo
    from tests.engine.helpers import NIP, engine

    ctx = engine(tmp_path, simulator, url=clean)
    try:
        with ctx.db.transaction() as s:
            company = repo.company_by_nip(s, NIP)
        assert company is not None
        gateway = default_gateway(ctx, company)
        assert isinstance(gateway.transport.throttle.ledger, PostgresLedger)
        gateway.close()
    finally:
        stop_sharing_books()
        ctx.close()


# --- real processes posing as machines behind one IP, one simulator ---------------------------------


def _run_children(server: SimulatorServer, books: str, tmp_path: Path, shared: bool, count: int) -> list[str]:
    nip = "5265877635"
    token = mint_session(
        server.sim, context_type="Nip", context_value=nip, subject_type="Nip", subject_value=nip
    )["accessToken"]
    command = ["tests.store.throttle_books_child", server.root_url, token, f"Nip:{nip}", str(count), "3"]
    commands = [[*command, f"machine-{n}"] for n in range(3)]
    env = {"BOOKS_URL": books, ENV_SHARED: "1" if shared else "0"}
    return run_together(commands, tmp_path / f"start-{shared}", env, settle=2.0)


def test_three_machines_together_stay_under_the_limit(
    simulator_factory: object, clean: str, tmp_path: Path
) -> None:
    """Three processes of three "machines", each allowed 3/s, against a server allowing 3/s per context
    and IP, none retrying: with the books in PostgreSQL none of their 15 requests meets a 429; each
    keeping its own books, they do."""
    server: SimulatorServer = simulator_factory(  # type: ignore[operator]
        SimulatorConfig(profile="test", rate_limits_enabled=True)
    )
    server.sim.rate_limiter.limits = {g: Limit(3, 1000, 10000) for g in server.sim.rate_limiter.limits}
    assert _run_children(server, clean, tmp_path, shared=True, count=5) == ["200"] * 15
    stats = httpx.get(server.root_url + "/admin/stats").json()["byStatus"]
    assert stats.get("429", 0) == 0, stats
    server.sim.rate_limiter.reset_counters()
    time.sleep(1.1)
    # three calls each (nine at once): over 3/s even when a busy machine staggers the children
    alone = _run_children(server, clean, tmp_path, shared=False, count=3)
    assert "429" in alone, alone


def test_the_application_core_on_postgres_shares_its_books_while_open(clean: str, tmp_path: Path) -> None:
    """``Fakturnik.open`` on PostgreSQL: every transport of the process (also the ones the app makes
    itself, e.g. for KSeF's availability) counts in the store; closing it gives the host file back."""
    from fakturnik.app.core import Fakturnik
    from fakturnik.ksef.throttle_ledger import current_ledger_factory

    with Fakturnik.open(tmp_path, database_url=clean):
        assert isinstance(ledger_for("http://127.0.0.1:4/v2"), PostgresLedger)
    assert current_ledger_factory() is None
