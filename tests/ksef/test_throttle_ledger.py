"""The throttle's books shared between the processes of one machine (ksef/throttle_ledger.py)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakturnik.ksef.rate_limits import RateLimit, delay_until_free
from fakturnik.ksef.throttle import Throttle
from fakturnik.ksef.throttle_ledger import (
    ENV_DIR,
    ENV_SHARED,
    HostLedger,
    _owner,
    host_ledger_for,
    ledger_for,
)
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.ratelimit import Limit
from fakturnik.simulator.server import SimulatorServer
from tests.processes import run_together

TWO_PER_SECOND = RateLimit(2, 100, 1000)


def test_two_processes_keep_one_set_of_books(tmp_path: Path) -> None:
    """Two ledgers on one file (as two processes would have): what one reserves, the other sees."""
    a, b = HostLedger(tmp_path / "k.sqlite"), HostLedger(tmp_path / "k.sqlite")
    first = [a.reserve("invoiceSend|Nip:1", TWO_PER_SECOND, 0.05) for _ in range(2)]
    assert [wait for wait, _ in first] == [0.0, 0.0]
    assert b.reserve("invoiceSend|Nip:1", TWO_PER_SECOND, 0.05) == (None, None)  # both in flight
    assert b.reserve("invoiceSend|Nip:2", TWO_PER_SECOND, 0.05)[0] == 0.0  # another context: free
    for _, slot_id in first:
        assert slot_id is not None
        a.release(slot_id)
    wait, slot_id = b.reserve("invoiceSend|Nip:1", TWO_PER_SECOND, 0.05)
    assert slot_id is None and wait is not None and 0.9 < wait <= 1.05  # until the first leaves the second
    a.close()
    b.close()


def test_a_penalty_holds_every_process(tmp_path: Path) -> None:
    a, b = HostLedger(tmp_path / "k.sqlite"), HostLedger(tmp_path / "k.sqlite")
    a.block("other|", 5.0)
    wait, slot_id = b.reserve("other|", TWO_PER_SECOND, 0.05)
    assert slot_id is None and wait is not None and 4.8 < wait <= 5.0


def _dead_owner() -> str:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return f"{int(child.stdout)}:12345"  # that pid is gone (or reused by a process started at another time)


def test_a_slot_of_a_dead_process_is_dated_not_dropped(tmp_path: Path) -> None:
    ledger = HostLedger(tmp_path / "k.sqlite")
    with sqlite3.connect(tmp_path / "k.sqlite") as db:
        db.execute("INSERT INTO slots (key, done, owner) VALUES ('x|', NULL, ?)", (_dead_owner(),))
        db.execute("INSERT INTO slots (key, done, owner) VALUES ('x|', NULL, ?)", (_owner(os.getpid()),))
    # one in flight for a live process (ours), one for a dead one: the dead one is dated now, so it
    # fills the second window until it leaves it — it neither blocks forever nor vanishes
    wait, slot_id = ledger.reserve("x|", TWO_PER_SECOND, 0.05)
    # ours in flight + the dead one dated now = 2 in the second: wait until the dead one leaves it
    assert slot_id is None and wait is not None and 1.0 < wait <= 1.06
    with sqlite3.connect(tmp_path / "k.sqlite") as db:
        rows = sorted(db.execute("SELECT done IS NULL FROM slots WHERE key = 'x|'").fetchall())
    assert rows == [(0,), (1,)]


def test_after_a_reboot_the_books_start_empty(tmp_path: Path) -> None:
    first = HostLedger(tmp_path / "k.sqlite")
    first.reserve("x|", TWO_PER_SECOND, 0.05)
    first.close()
    with sqlite3.connect(tmp_path / "k.sqlite") as db:
        db.execute("UPDATE meta SET value = 'another boot' WHERE name = 'boot'")
    again = HostLedger(tmp_path / "k.sqlite")
    with sqlite3.connect(tmp_path / "k.sqlite") as db:
        assert db.execute("SELECT count(*) FROM slots").fetchone() == (0,)
    assert again.reserve("x|", RateLimit(1, 10, 10), 0.05)[0] == 0.0


def test_the_file_is_private_and_per_deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_DIR, str(tmp_path / "books"))
    one = host_ledger_for("https://api.ksef.mf.gov.pl/v2")
    other = host_ledger_for("https://api-test.ksef.mf.gov.pl/v2")
    assert one is not None and other is not None and one.path != other.path
    assert one.path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "books").stat().st_mode & 0o777 == 0o700


def test_turned_off_or_impossible_means_books_of_ones_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(ENV_SHARED, "0")
    assert ledger_for("http://127.0.0.1:1/v2") is None
    monkeypatch.delenv(ENV_SHARED)
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(ENV_DIR, str(tmp_path / "a-file"))
    with caplog.at_level(logging.WARNING):
        assert ledger_for("http://127.0.0.1:1/v2") is None
    assert "not shared between processes" in caplog.text


def _reserve_in_child(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(_LEDGER_BEFORE_FORK.reserve("forked|", TWO_PER_SECOND, 0.05)[0])


_LEDGER_BEFORE_FORK: HostLedger


def test_a_forked_child_reconnects_as_itself(tmp_path: Path) -> None:
    global _LEDGER_BEFORE_FORK
    _LEDGER_BEFORE_FORK = HostLedger(tmp_path / "k.sqlite")
    _LEDGER_BEFORE_FORK.reserve("forked|", TWO_PER_SECOND, 0.05)
    fork = multiprocessing.get_context("fork")
    queue = fork.Queue()
    child = fork.Process(target=_reserve_in_child, args=(str(tmp_path), queue))
    child.start()
    child.join(30)
    assert queue.get(timeout=5) == 0.0  # the second of two slots, taken by the child
    with sqlite3.connect(tmp_path / "k.sqlite") as db:
        owners = {row[0] for row in db.execute("SELECT owner FROM slots")}
    assert len(owners) == 2


def test_shared_throttle_admits_then_waits_across_ledgers(tmp_path: Path) -> None:
    one = Throttle({"other": TWO_PER_SECOND}, ledger=HostLedger(tmp_path / "k.sqlite"))
    two = Throttle({"other": TWO_PER_SECOND}, ledger=HostLedger(tmp_path / "k.sqlite"))
    started = time.monotonic()
    for throttle in (one, two, one, two, one):
        with throttle.slot("other"):
            pass
    assert time.monotonic() - started >= 1.0  # five at two per second: the fifth waited for a window
    assert one.total_wait + two.total_wait >= 1.0


# --- real processes, one simulator ------------------------------------------------------------------


def _run_children(server: SimulatorServer, tmp_path: Path, shared: bool, count: int) -> list[str]:
    nip = "5265877635"
    token = mint_session(
        server.sim, context_type="Nip", context_value=nip, subject_type="Nip", subject_value=nip
    )["accessToken"]
    command = ["tests.ksef.throttle_child", server.root_url, token, f"Nip:{nip}", str(count), "3"]
    env = {ENV_DIR: str(tmp_path / "books"), ENV_SHARED: "1" if shared else "0"}
    return run_together([command] * 3, tmp_path / f"start-{shared}", env, settle=1.5)


def test_three_processes_together_stay_under_the_limit(simulator_factory: object, tmp_path: Path) -> None:
    """Three processes, each allowed 3/s by its throttle, against a server allowing 3/s per context
    and IP, none retrying: with shared books none of their 15 requests meets a 429; each keeping its
    own books, they do."""
    server: SimulatorServer = simulator_factory(  # type: ignore[operator]
        SimulatorConfig(profile="test", rate_limits_enabled=True)
    )
    server.sim.rate_limiter.limits = {g: Limit(3, 1000, 10000) for g in server.sim.rate_limiter.limits}
    assert _run_children(server, tmp_path, shared=True, count=5) == ["200"] * 15
    stats = httpx.get(server.root_url + "/admin/stats").json()["byStatus"]
    assert stats.get("429", 0) == 0, stats
    server.sim.rate_limiter.reset_counters()
    time.sleep(1.1)
    # the control (two calls each: after a 429 a child waits out the server's growing Retry-After):
    # three processes at 3/s each are too many together
    # three calls each (nine at once): over 3/s even when a busy machine staggers the children
    alone = _run_children(server, tmp_path, shared=False, count=3)
    assert "429" in alone, alone


def test_books_that_fail_are_given_up_for_the_process_own(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = HostLedger(tmp_path / "k.sqlite")
    throttle = Throttle({"other": TWO_PER_SECOND}, ledger=ledger)
    taken = throttle.acquire("other")
    ledger.close()  # what a removed file or a full disk would do to the next transaction
    with caplog.at_level(logging.WARNING):
        throttle.release(taken)
        with throttle.slot("other"):
            pass
    assert throttle.ledger is None
    assert "no longer shared" in caplog.text


@settings(max_examples=60, deadline=None)
@given(
    ages=st.lists(st.floats(0, 3700, allow_nan=False), max_size=40),
    in_flight=st.integers(0, 3),
    limit=st.tuples(st.integers(1, 6), st.integers(1, 20), st.integers(1, 45)),
)
def test_the_ledger_decides_as_the_in_memory_arithmetic(
    tmp_path_factory: pytest.TempPathFactory, ages: list[float], in_flight: int, limit: tuple[int, int, int]
) -> None:
    """Whatever the books hold, a reservation waits exactly as delay_until_free says (its SQL count
    that admits most calls without reading the slots included)."""
    now = 100_000.0
    path = tmp_path_factory.mktemp("books") / "k.sqlite"
    ledger = HostLedger(path, clock=lambda: now)
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO slots (key, done, owner) VALUES ('k|', ?, ?)", [(now - a, "x") for a in ages]
        )
        db.executemany(
            "INSERT INTO slots (key, done, owner) VALUES ('k|', NULL, ?)",
            [(_owner(os.getpid()),)] * in_flight,
        )
    rate = RateLimit(*limit)
    completed = sorted(now - a for a in ages if now - a >= now - 3660.0)
    expected = delay_until_free(completed, in_flight, now, rate, 0.05)
    wait, slot_id = ledger.reserve("k|", rate, 0.05)
    assert wait == expected
    assert (slot_id is not None) == (expected == 0.0)
    ledger.close()
