"""The worker against the simulator over real HTTP: online, batch, reconciliation, duplicates, rejections."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from fakturnik.engine.context import EngineContext
from fakturnik.engine.gateway import prepare_in_memory
from fakturnik.engine.issuing import issue
from fakturnik.engine.planner import PlannerSettings
from fakturnik.engine.worker import Job, Worker
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from fakturnik.store.models import AuditEntry, Company, OutboxEntry
from tests.engine.helpers import NIP, engine, fast_settings, faults, route_count, sample_invoice

SEND_ROUTE = "/sessions/online/{referenceNumber}/invoices"


def _issue(ctx: EngineContext, n: int, **kw: object) -> list[int]:
    return [issue(ctx, company_nip=NIP, xml=sample_invoice(), **kw).invoice_id for _ in range(n)]  # type: ignore[arg-type]


def _drain(ctx: EngineContext, seconds: float = 60) -> None:
    Worker(ctx, worker_id="test-worker").run(once=True, idle_sleep=0.1, max_seconds=seconds)


def _invoices(ctx: EngineContext) -> list[tuple[str, str, str | None, bool]]:
    with ctx.db.transaction() as s:
        return [
            (i.number, i.status, i.ksef_number, repo.upo_for(s, i.id) is not None)
            for i in repo.list_invoices(s, direction="issued")
        ]


def test_online_invoices_get_ksef_numbers_and_upos(simulator: SimulatorServer, tmp_path: Path) -> None:
    ctx = engine(tmp_path, simulator)
    _issue(ctx, 3)
    _drain(ctx)
    rows = _invoices(ctx)
    assert [r[1] for r in rows] == [states.ACCEPTED] * 3
    assert len({r[2] for r in rows}) == 3 and all(r[2] and r[2].startswith(NIP) for r in rows)
    assert all(r[3] for r in rows)
    assert route_count(simulator, "POST", SEND_ROUTE, 202) == 3
    with ctx.db.transaction() as s:
        upo = repo.upo_for(s, 1)
        assert upo is not None and rows[0][2] is not None and rows[0][2].encode() in upo.xml
        hist = [h.status for h in repo.history(s, 1)]
    assert hist[0] == states.QUEUED and hist[-1] == states.ACCEPTED


def test_many_queued_go_in_one_batch_session(simulator: SimulatorServer, tmp_path: Path) -> None:
    ctx = engine(tmp_path, simulator, settings=fast_settings(planner=PlannerSettings(batch_min_invoices=5)))
    _issue(ctx, 12)
    _drain(ctx)
    rows = _invoices(ctx)
    assert all(r[1] == states.ACCEPTED and r[2] for r in rows) and len({r[2] for r in rows}) == 12
    assert route_count(simulator, "POST", "/sessions/batch", 201) == 1
    assert route_count(simulator, "POST", SEND_ROUTE) == 0


def _claim_one(ctx: EngineContext, worker: Worker) -> Job:
    from datetime import UTC, datetime

    with ctx.db.transaction() as s:
        (entry,) = repo.claim(s, worker.id, now=datetime.now(UTC), lease=timedelta(seconds=30), limit=1)
        return Job.of(entry)


def test_crash_after_the_send_is_reconciled_without_sending_again(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator, settings=fast_settings(reconcile_after=timedelta(0)))
    _issue(ctx, 1)
    crashed = Worker(ctx, worker_id="crashed")
    job = _claim_one(ctx, crashed)
    with ctx.db.transaction() as s:
        company = repo.company_by_nip(s, NIP)
        s.expunge(company)
    gateway = crashed.gateways.for_company(company)
    online = crashed.pool.session(company.id, gateway, False)
    assert crashed.outbox.mark_sending([job], online.ref, "online")
    gateway.send_online(online.session, crashed.outbox.xml_of([job])[job.invoice_id], offline_mode=False)
    # the process dies here: the 202 never reached the database; its lease runs out
    with ctx.db.transaction() as s:
        entry = s.scalars(select(OutboxEntry)).one()
        assert entry.state == states.SENDING and entry.session_ref == online.ref
        entry.claimed_until = entry.send_started_at
    _drain(ctx)
    rows = _invoices(ctx)
    assert rows[0][1] == states.ACCEPTED and rows[0][2]
    assert route_count(simulator, "POST", SEND_ROUTE) == 1  # reconciled, never sent twice
    assert route_count(simulator, "GET", "/sessions/{referenceNumber}/invoices") >= 1


def test_crash_before_the_send_sends_once(simulator: SimulatorServer, tmp_path: Path) -> None:
    ctx = engine(tmp_path, simulator, settings=fast_settings(reconcile_after=timedelta(0)))
    _issue(ctx, 1)
    crashed = Worker(ctx, worker_id="crashed")
    job = _claim_one(ctx, crashed)
    with ctx.db.transaction() as s:
        company = repo.company_by_nip(s, NIP)
        s.expunge(company)
    online = crashed.pool.session(company.id, crashed.gateways.for_company(company), False)
    crashed.outbox.mark_sending([job], online.ref, "online")
    with ctx.db.transaction() as s:
        entry = s.get(OutboxEntry, job.id)
        assert entry is not None
        entry.claimed_until = entry.send_started_at
    _drain(ctx)
    assert _invoices(ctx)[0][1] == states.ACCEPTED
    assert route_count(simulator, "POST", SEND_ROUTE, 202) == 1


def test_a_forgotten_acceptance_comes_back_as_duplicate_with_the_original_number(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator)
    _issue(ctx, 1)
    _drain(ctx)
    first = _invoices(ctx)[0][2]
    with ctx.db.transaction() as s:  # simulate a store restored from a backup taken before acceptance
        entry = s.get(OutboxEntry, 1)
        inv = repo.list_invoices(s)[0]
        assert entry is not None
        entry.state, entry.session_ref, entry.invoice_ref = states.QUEUED, None, None
        inv.ksef_number, inv.status = None, states.QUEUED
    _drain(ctx)
    rows = _invoices(ctx)
    assert rows[0][1] == states.ACCEPTED and rows[0][2] == first
    assert route_count(simulator, "POST", SEND_ROUTE, 202) == 2
    with ctx.db.transaction() as s:
        details = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "invoice.accepted")).all()
    assert [d["duplicate"] for d in details] == [False, True]


def test_permanent_rejection_keeps_ksef_error_for_a_person(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator)
    root = etree.fromstring(sample_invoice())
    ns = {"fa": root.nsmap[None]}
    p15 = root.find("fa:Fa/fa:P_15", ns)
    assert p15 is not None
    p15.getparent().remove(p15)  # XSD: P_15 is required
    bad = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    issue(ctx, company_nip=NIP, xml=bad, check=False)  # past Fakturnik's own check: KSeF must refuse it
    _issue(ctx, 1)
    _drain(ctx)
    with ctx.db.transaction() as s:
        invoices = repo.list_invoices(s)
        assert invoices[0].status == states.REJECTED and invoices[0].error_code
        assert invoices[0].error_message and invoices[0].ksef_number is None
        assert invoices[1].status == states.ACCEPTED


def test_injected_5xx_and_latency_end_with_exactly_one_number_each(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator, settings=fast_settings(reconcile_after=timedelta(seconds=1)))
    _issue(ctx, 15)
    faults(simulator, errorRate=0.3, latency=0.02)
    _drain(ctx, seconds=120)
    faults(simulator, errorRate=0.0, latency=0.0)
    _drain(ctx, seconds=60)
    rows = _invoices(ctx)
    assert all(r[1] == states.ACCEPTED for r in rows), rows
    assert len({r[2] for r in rows}) == 15


def _company(ctx: EngineContext) -> Company:
    with ctx.db.transaction() as s:
        company = repo.company_by_nip(s, NIP)
        s.expunge(company)
    return company


def _claim_all(ctx: EngineContext, worker: Worker) -> list[Job]:
    from datetime import UTC, datetime

    with ctx.db.transaction() as s:
        entries = repo.claim(s, worker.id, now=datetime.now(UTC), lease=timedelta(seconds=30), limit=100)
        return [Job.of(e) for e in entries]


def _expire_leases(ctx: EngineContext) -> None:
    with ctx.db.transaction() as s:
        for entry in s.scalars(select(OutboxEntry)):
            entry.claimed_until = entry.send_started_at or entry.created_at


def test_crash_after_a_batch_was_closed_is_reconciled_from_the_session(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator, settings=fast_settings(reconcile_after=timedelta(0)))
    _issue(ctx, 6)
    crashed = Worker(ctx, worker_id="crashed")
    jobs = _claim_all(ctx, crashed)
    gateway = crashed.gateways.for_company(_company(ctx))
    xml = crashed.outbox.xml_of(jobs)
    batch = prepare_in_memory([(f"{j.invoice_id}.xml", xml[j.invoice_id]) for j in jobs])
    ref, uploads = gateway.open_batch(batch, offline_mode=False)
    assert len(crashed.outbox.mark_sending(jobs, ref, "batch")) == 6
    gateway.upload_parts(batch, uploads)
    gateway.close_session(ref, "batch")
    _expire_leases(ctx)  # the process dies before it records "sent"
    _drain(ctx)
    rows = _invoices(ctx)
    assert all(r[1] == states.ACCEPTED and r[2] for r in rows) and len({r[2] for r in rows}) == 6
    assert route_count(simulator, "POST", "/sessions/batch", 201) == 1
    assert route_count(simulator, "POST", SEND_ROUTE) == 0


def test_a_batch_never_closed_is_sent_again(simulator: SimulatorServer, tmp_path: Path) -> None:
    ctx = engine(tmp_path, simulator, settings=fast_settings(reconcile_after=timedelta(0)))
    _issue(ctx, 3)
    crashed = Worker(ctx, worker_id="crashed")
    jobs = _claim_all(ctx, crashed)
    gateway = crashed.gateways.for_company(_company(ctx))
    xml = crashed.outbox.xml_of(jobs)
    batch = prepare_in_memory([(f"{j.invoice_id}.xml", xml[j.invoice_id]) for j in jobs])
    ref, uploads = gateway.open_batch(batch, offline_mode=False)
    crashed.outbox.mark_sending(jobs, ref, "batch")
    gateway.upload_parts(batch, uploads)  # dies before the close
    _expire_leases(ctx)
    _drain(ctx)
    rows = _invoices(ctx)
    assert all(r[1] == states.ACCEPTED and r[2] for r in rows)
    assert route_count(simulator, "POST", "/sessions/batch/{referenceNumber}/close", 204) == 0
    assert route_count(simulator, "POST", SEND_ROUTE, 202) == 3  # went online the second time


def test_a_missing_upo_is_fetched_again_later(simulator: SimulatorServer, tmp_path: Path) -> None:
    from fakturnik.store.models import Upo

    ctx = engine(tmp_path, simulator)
    _issue(ctx, 2)
    _drain(ctx)
    with ctx.db.transaction() as s:  # as if KSeF had not had them ready at acceptance
        for upo in s.scalars(select(Upo)):
            s.delete(upo)
    worker = Worker(ctx, worker_id="upo-retry")
    assert worker.fetch_missing_upos() == 2
    assert all(r[3] for r in _invoices(ctx))
    assert worker.fetch_missing_upos() == 0


@pytest.mark.parametrize("batch_from", [10_000, 1], ids=["online", "batch"])
def test_a_reused_number_on_a_different_document_is_rejected_naming_the_original(
    simulator: SimulatorServer, tmp_path: Path, batch_from: int
) -> None:
    from fakturnik.engine.fields import fill_template
    from fakturnik.ksef.sessions import Poller, send_all
    from tests.ksef.clientkit import client_for, random_nip

    ctx = engine(
        tmp_path, simulator, settings=fast_settings(planner=PlannerSettings(batch_min_invoices=batch_from))
    )
    number = f"FV/REUSED/{batch_from}"
    elsewhere = sample_invoice(number)  # registered by another program before Fakturnik
    _, (original,) = send_all(
        client_for(simulator, NIP), [elsewhere], poller=Poller(timeout=60, initial=0.05, maximum=0.5)
    )
    assert original.ksef_number
    other = fill_template(elsewhere, buyer_nip=random_nip())  # another document, the same number
    assert other != elsewhere
    issue(ctx, company_nip=NIP, xml=other)
    _drain(ctx)
    ((got, status, ksef_number, _),) = _invoices(ctx)
    assert (got, status, ksef_number) == (number, states.REJECTED, None)
    with ctx.db.transaction() as s:
        (inv,) = repo.list_invoices(s)
        assert inv.error_code == "440" and inv.error_message is not None
        assert number in inv.error_message and original.ksef_number in inv.error_message
    sessions = route_count(simulator, "POST", "/sessions/batch", 201)
    assert sessions == (1 if batch_from == 1 else 0)


def test_a_session_paused_mid_use_21184_sends_the_rest_in_a_new_session(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator)
    _issue(ctx, 5, urgent=True)
    faults(simulator, sessionUnavailable=1, sessionUnavailableAfter=2)
    try:
        _drain(ctx)
    finally:
        faults(simulator, sessionUnavailable=0, sessionUnavailableAfter=0)
    rows = _invoices(ctx)
    assert [r[1] for r in rows] == [states.ACCEPTED] * 5 and len({r[2] for r in rows}) == 5
    assert route_count(simulator, "POST", SEND_ROUTE, 400) == 1  # the one refused with 21184
    assert route_count(simulator, "POST", SEND_ROUTE, 202) == 5  # each invoice taken exactly once
    assert route_count(simulator, "POST", "/sessions/online", 201) == 2  # the rest in a new session
    assert len(simulator.sim.faults.paused_sessions) == 1


def test_an_urgent_invoice_goes_online_and_the_backlog_in_a_batch(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator, settings=fast_settings(planner=PlannerSettings(batch_min_invoices=5)))
    _issue(ctx, 8)
    _issue(ctx, 1, urgent=True)
    _drain(ctx)
    rows = _invoices(ctx)
    assert all(r[1] == states.ACCEPTED and r[2] and r[3] for r in rows) and len(rows) == 9
    assert route_count(simulator, "POST", SEND_ROUTE, 202) == 1  # only the urgent one online
    assert route_count(simulator, "POST", "/sessions/batch", 201) == 1
