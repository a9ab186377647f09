"""The batch watch and the planner against the simulator over real HTTP.

* numbers are recorded page by page while KSeF still reports the batch session as processing;
* a look that fails after KSeF answered backs off and is finally parked, never repeated every poll;
* 66 queued with 6 urgent: the 6 go online by themselves, the other 60 in one batch.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from fakturnik.engine.context import EngineContext
from fakturnik.engine.issuing import issue
from fakturnik.engine.planner import PlannerSettings
from fakturnik.engine.worker import Worker
from fakturnik.simulator.server import SimulatorServer
from fakturnik.simulator.session_store import invoice_key
from fakturnik.store import repo, states
from fakturnik.store.models import OutboxEntry
from tests.engine.helpers import NIP, engine, fast_settings, route_count, sample_invoice

SEND_ROUTE = "/sessions/online/{referenceNumber}/invoices"
LISTING_ROUTE = "/sessions/{referenceNumber}/invoices"


def _issue(ctx: EngineContext, n: int, *, urgent: bool = False) -> None:
    for _ in range(n):
        issue(ctx, company_nip=NIP, xml=sample_invoice(), urgent=urgent)


def _entries(ctx: EngineContext) -> list[tuple[str, bool, str | None, str | None]]:
    """(state, urgent, session kind, KSeF number) of every outbox entry, in id order."""
    with ctx.db.transaction() as s:
        invoices = {i.id: i.ksef_number for i in repo.list_invoices(s)}
        return [
            (e.state, e.urgent, e.session_kind, invoices[e.invoice_id])
            for e in s.scalars(select(OutboxEntry).order_by(OutboxEntry.id))
        ]


def _batch_ref(ctx: EngineContext) -> str:
    with ctx.db.transaction() as s:
        refs = {e.session_ref for e in s.scalars(select(OutboxEntry))}
    (ref,) = refs
    assert ref is not None
    return ref


def _wait_decided(simulator: SimulatorServer, ref: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session = simulator.sim.state.get("session", ref)
        if session is not None and session["status"]["code"] == 200:
            return session
        time.sleep(0.05)
    raise AssertionError(f"the simulator did not finish batch {ref}")


def test_numbers_are_recorded_page_by_page_while_the_batch_is_still_processing(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator, settings=fast_settings(planner=PlannerSettings(batch_min_invoices=5)))
    _issue(ctx, 12)
    worker = Worker(ctx, worker_id="watcher")
    try:
        assert worker.tick() == 12  # one batch sent and closed; the worker watches it from now on
        ref = _batch_ref(ctx)
        assert {e[0] for e in _entries(ctx)} == {states.SENT}
        # KSeF as it is in the middle of a big batch: the session still says 150 (processing), the
        # listing has the first eight invoices decided and the last four still at 150
        state = simulator.sim.state
        final = _wait_decided(simulator, ref)
        originals = {n: state.get("invoice", invoice_key(ref, n)) for n in range(1, 13)}
        state.put("session", ref, {**final, "status": {"code": 150, "description": "Trwa przetwarzanie"}})
        for n in range(9, 13):
            doc = originals[n]
            assert doc is not None
            state.put(
                "invoice",
                invoice_key(ref, n),
                {**doc, "ksefNumber": None, "status": {"code": 150, "description": "Trwa przetwarzanie"}},
            )
        assert worker.tick() == 8  # the look: one status call, one listing page, eight verdicts
        rows = _entries(ctx)
        accepted = [r for r in rows if r[0] == states.ACCEPTED]
        assert len(accepted) == 8 and all(r[3] and r[3].startswith(NIP) for r in accepted)
        assert [r[0] for r in rows].count(states.SENT) == 4
        assert state.get("session", ref)["status"]["code"] == 150  # type: ignore[index]
        # KSeF finishes: the next look records the rest and the watch ends
        for n in range(9, 13):
            state.put("invoice", invoice_key(ref, n), originals[n])  # type: ignore[arg-type]
        state.put("session", ref, final)
        deadline = time.monotonic() + 10
        while any(r[0] != states.ACCEPTED for r in _entries(ctx)) and time.monotonic() < deadline:
            worker.tick()
            time.sleep(0.05)
    finally:
        worker.shutdown()
    rows = _entries(ctx)
    assert [r[0] for r in rows] == [states.ACCEPTED] * 12 and len({r[3] for r in rows}) == 12
    assert route_count(simulator, "POST", "/sessions/batch", 201) == 1
    assert route_count(simulator, "GET", LISTING_ROUTE) >= 2
    with ctx.db.transaction() as s:
        assert all(repo.upo_for(s, i.id) is None for i in repo.list_invoices(s))  # UPOs come later
        pages = repo.session_upos(s, ref)  # ... but the session UPO is stored at once
        assert [p.page for p in pages] == [1] and ref.encode() in pages[0].xml
        assert all(n.encode() in pages[0].xml for n in {r[3] for r in rows} if n)
    Worker(ctx, worker_id="later").run(once=True, idle_sleep=0.05, max_seconds=30)
    with ctx.db.transaction() as s:
        assert all(repo.upo_for(s, i.id) is not None for i in repo.list_invoices(s))


def test_a_watch_that_keeps_failing_backs_off_and_is_parked_and_nothing_is_lost(
    simulator: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakturnik.engine import batch_watch, transitions

    settings = fast_settings(
        planner=PlannerSettings(batch_min_invoices=5), lease=timedelta(seconds=4), backoff_cap=0.4
    )
    ctx = engine(tmp_path, simulator, settings=settings)
    _issue(ctx, 6)
    real = repo.claim_session
    calls = {"n": 0}

    def broken(*args: Any, **kw: Any) -> Any:  # a fault after KSeF answered (a bug, a lost database)
        calls["n"] += 1
        raise RuntimeError("claim failed")

    watcher = Worker(ctx, worker_id="watcher")
    try:
        assert watcher.tick() == 6
        _wait_decided(simulator, _batch_ref(ctx))
        monkeypatch.setattr(transitions.repo, "claim_session", broken)
        ended = time.monotonic() + 3.0
        while time.monotonic() < ended:  # ~60 polls: without backing off, ~60 failed looks
            watcher.tick()  # never raises: the failure stays inside the watch
            time.sleep(0.05)
        assert calls["n"] == batch_watch.WATCH_PARK_AFTER  # backed off, then parked
        assert {e[0] for e in _entries(ctx)} == {states.SENT}
    finally:
        watcher.shutdown()
    monkeypatch.setattr(transitions.repo, "claim_session", real)
    # the parked batch's entries come due after their postponement; a worker decides them from the listing
    Worker(ctx, worker_id="after").run(once=True, idle_sleep=0.05, max_seconds=60)
    rows = _entries(ctx)
    assert [r[0] for r in rows] == [states.ACCEPTED] * 6 and len({r[3] for r in rows}) == 6
    assert route_count(simulator, "POST", "/sessions/batch", 201) == 1  # never sent again
    assert route_count(simulator, "POST", SEND_ROUTE) == 0


def test_66_queued_with_6_urgent_the_6_go_online_and_the_60_in_one_batch(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator)  # default planner: 50 or more queued → a batch
    _issue(ctx, 30)
    _issue(ctx, 6, urgent=True)
    _issue(ctx, 30)
    Worker(ctx, worker_id="planner").run(once=True, idle_sleep=0.05, max_seconds=90)
    rows = _entries(ctx)
    assert [r[0] for r in rows] == [states.ACCEPTED] * 66 and len({r[3] for r in rows}) == 66
    assert {r[2] for r in rows if r[1]} == {"online"}
    assert {r[2] for r in rows if not r[1]} == {"batch"}
    assert route_count(simulator, "POST", SEND_ROUTE, 202) == 6
    assert route_count(simulator, "POST", "/sessions/online", 201) == 1
    assert route_count(simulator, "POST", "/sessions/batch", 201) == 1


def test_a_session_upo_that_is_missing_is_fetched_later_online_sessions_too(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    from fakturnik.store.models import SessionUpo

    ctx = engine(tmp_path, simulator, settings=fast_settings(planner=PlannerSettings(batch_min_invoices=5)))
    _issue(ctx, 6)
    _issue(ctx, 2, urgent=True)
    Worker(ctx, worker_id="first").run(once=True, idle_sleep=0.05, max_seconds=60)
    with ctx.db.transaction() as s:
        refs = {e.session_kind: e.session_ref for e in s.scalars(select(OutboxEntry))}
        assert len(repo.session_upos(s, refs["batch"])) == 1  # at once
        for row in s.scalars(select(SessionUpo)):
            s.delete(row)  # as if KSeF had not answered the download
    later = Worker(ctx, worker_id="later")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the closed online session's UPO comes once KSeF finishes it
        later.upos.fetch_missing_sessions()
        with ctx.db.transaction() as s:
            if all(repo.session_upos(s, ref) for ref in refs.values()):
                break
        time.sleep(0.2)
    with ctx.db.transaction() as s:
        for ref in refs.values():
            (page,) = repo.session_upos(s, ref)
            assert ref.encode() in page.xml
    assert later.upos.fetch_missing_sessions() == 0  # nothing is asked about twice
    later.shutdown()
