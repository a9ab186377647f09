"""Incoming sync: invoices issued to a company arrive through exports, once, with the checkpoint kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakturnik.engine.companies import add_company
from fakturnik.engine.fields import fill_template
from fakturnik.engine.issuing import issue
from fakturnik.engine.sync import FIRST_WINDOW, claim_sync, sync_company
from fakturnik.engine.worker import Worker
from fakturnik.ksef.exports import MAX_WINDOW
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from fakturnik.vault import Secret
from tests.engine.helpers import NIP, engine, ksef_token, sample_invoice

BUYER = "7010002137"


def test_received_invoices_are_synced_incrementally_and_deduplicated(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator)
    add_company(
        ctx,
        nip=BUYER,
        name="Nabywca",
        base_url=simulator.base_url,
        ksef_token=Secret(ksef_token(simulator, BUYER)),
    )
    for _ in range(3):
        issue(ctx, company_nip=NIP, xml=fill_template(sample_invoice(), buyer_nip=BUYER))
    Worker(ctx, worker_id="sync-test").run(once=True, idle_sleep=0.1, max_seconds=60)
    first = sync_company(ctx, BUYER, export_timeout=60)
    assert first.new == 3 and first.exports >= 1
    with ctx.db.transaction() as s:
        buyer = repo.company_by_nip(s, BUYER)
        received = repo.list_invoices(s, company_id=buyer.id, direction="received")
        issued = {i.ksef_number: i for i in repo.list_invoices(s, direction="issued")}
        assert {r.status for r in received} == {states.RECEIVED}
        for r in received:
            assert r.ksef_number in issued and r.xml == issued[r.ksef_number].xml
            assert r.seller_nip == NIP and r.buyer_id == BUYER
        cp = repo.checkpoint(s, buyer.id, "Subject2", issued[next(iter(issued))].created_at)
        assert cp.last_run_at is not None
    again = sync_company(ctx, BUYER, export_timeout=60)
    assert again.new == 0


def test_worker_runs_the_scheduled_sync_for_every_company(simulator: SimulatorServer, tmp_path: Path) -> None:
    ctx = engine(tmp_path, simulator)
    add_company(
        ctx,
        nip=BUYER,
        name="Nabywca",
        base_url=simulator.base_url,
        ksef_token=Secret(ksef_token(simulator, BUYER)),
    )
    worker = Worker(ctx, worker_id="scheduled")
    assert worker.maybe_sync(force=True) == 0
    for _ in range(2):
        issue(ctx, company_nip=NIP, xml=fill_template(sample_invoice(), buyer_nip=BUYER))
    worker.run(once=True, idle_sleep=0.1, max_seconds=60)
    assert worker.maybe_sync(force=True) == 2
    assert worker.maybe_sync(force=True) == 0


def test_first_sync_reaches_back_the_whole_100_day_range(simulator: SimulatorServer, tmp_path: Path) -> None:
    """API 2.7.1 widened export ranges to 100 days: the first sync starts 99 days back, and KSeF takes it."""
    ctx = engine(tmp_path, simulator)
    add_company(
        ctx,
        nip=BUYER,
        name="Nabywca",
        base_url=simulator.base_url,
        ksef_token=Secret(ksef_token(simulator, BUYER)),
    )
    assert timedelta(days=99) == FIRST_WINDOW == MAX_WINDOW  # what one export may span
    with ctx.db.transaction() as s:
        buyer_id = repo.company_by_nip(s, BUYER).id
    before = datetime.now(UTC)
    start = claim_sync(ctx, buyer_id, "Subject2", timedelta(0))
    assert start is not None
    assert before - FIRST_WINDOW - timedelta(seconds=5) <= start <= datetime.now(UTC) - FIRST_WINDOW
    assert sync_company(ctx, BUYER, export_timeout=60).exports >= 1  # the simulator accepts the 99-day window
