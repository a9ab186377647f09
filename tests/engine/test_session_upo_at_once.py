"""An online session's UPO at once: fetched as soon as the worker closes the session and KSeF issues it,
not in the worker's UPO retry round (every 60 s), which these tests switch off."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from fakturnik.engine import worker as worker_module
from fakturnik.engine.issuing import issue
from fakturnik.engine.upos import CLOSED_WATCH
from fakturnik.engine.worker import Worker
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from fakturnik.store.models import OutboxEntry
from tests.engine.helpers import NIP, engine, sample_invoice


@pytest.fixture(autouse=True)
def no_retry_round(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 60 s retry round never comes during these tests: what is stored came the new way."""
    monkeypatch.setattr(worker_module, "UPO_RETRY_EVERY", float("inf"))


def _online_ref(ctx: object) -> str | None:
    with ctx.db.transaction() as s:  # type: ignore[attr-defined]
        entry = s.scalar(select(OutboxEntry))
        if entry is None or entry.state != states.ACCEPTED:
            return None
        assert entry.session_kind == "online"
        return entry.session_ref


def test_a_running_worker_stores_the_online_session_upo_right_after_closing_it(
    simulator: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = engine(tmp_path, simulator)  # fast settings: an idle online session is closed after 2 s
    w = Worker(ctx, worker_id="at-once")
    monkeypatch.setattr(w.upos, "fetch_missing_sessions", lambda limit=10: 0)  # not the retry round
    issue(ctx, company_nip=NIP, xml=sample_invoice(), urgent=True)
    runner = threading.Thread(target=w.run, kwargs={"idle_sleep": 0.05}, daemon=True)
    started = time.monotonic()
    runner.start()
    try:
        ref = None
        stored_after = None
        while time.monotonic() - started < 30:
            ref = ref or _online_ref(ctx)
            if ref is not None:
                with ctx.db.transaction() as s:
                    if repo.session_upos(s, ref):
                        stored_after = time.monotonic() - started
                        break
            time.sleep(0.05)
        assert ref is not None, "the invoice was not accepted"
        # idle close (2 s) + KSeF finishing the session: seconds, never the 60 s of the retry round
        assert stored_after is not None and stored_after < 20, stored_after
        with ctx.db.transaction() as s:
            (page,) = repo.session_upos(s, ref)
            assert ref.encode() in page.xml and page.page == 1
        assert w.upos.closed == {}  # nothing more is asked about that session
    finally:
        w.stop_event.set()
        runner.join(timeout=30)


def test_worker_once_closes_its_online_sessions_and_returns_with_their_upos(
    simulator: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = engine(tmp_path, simulator)
    w = Worker(ctx, worker_id="once")
    monkeypatch.setattr(w.upos, "fetch_missing_sessions", lambda limit=10: 0)
    for _ in range(2):
        issue(ctx, company_nip=NIP, xml=sample_invoice(), urgent=True)
    summary = w.run(once=True, idle_sleep=0.05, max_seconds=60)
    assert summary.exit_code == 0
    ref = _online_ref(ctx)
    assert ref is not None
    with ctx.db.transaction() as s:
        (page,) = repo.session_upos(s, ref)
        assert page.xml.count(b"<NumerKSeFDokumentu>") == 2  # both invoices of the session


def test_a_closed_session_is_watched_with_growing_pauses_then_left_to_the_retry_round(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator)
    w = Worker(ctx, worker_id="watch")
    with ctx.db.transaction() as s:
        company_id = repo.company_by_nip(s, NIP).id
    start = time.monotonic()
    w.upos.session_closed(company_id, "20261207-SO-0000000000-0000000000-00")  # KSeF does not know it
    assert w.upos.fetch_closed_sessions(moment=start) == 0  # not due yet: KSeF needs a moment
    looks = []
    moment = start
    while "20261207-SO-0000000000-0000000000-00" in w.upos.closed and moment - start <= CLOSED_WATCH + 10:
        closed = w.upos.closed["20261207-SO-0000000000-0000000000-00"]
        moment = closed.next_look
        looks.append(moment)
        assert w.upos.fetch_closed_sessions(moment=moment) == 0
    pauses = [b - a for a, b in itertools.pairwise(looks)]
    assert pauses == sorted(pauses) and max(pauses) <= 5.0  # growing, capped
    assert len(looks) < 25  # a few status calls, not one per loop turn
    assert w.upos.closed == {}  # after CLOSED_WATCH the retry round takes over
    w.shutdown()
