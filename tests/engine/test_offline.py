"""Offline scenario: KSeF goes down while invoices are issued; they are marked offline with their
deadline and go out with offlineMode=true as soon as KSeF answers again."""

from __future__ import annotations

import time
from pathlib import Path

from fakturnik.base.warsaw import warsaw_today
from fakturnik.engine.business_days import add_business_days
from fakturnik.engine.issuing import issue
from fakturnik.engine.worker import Worker
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from tests.engine.helpers import NIP, engine, fast_settings, faults, sample_invoice


def _run_for(worker: Worker, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if worker.tick() == 0:
            time.sleep(0.1)


def test_outage_offline_issuing_deadline_and_automatic_sending(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator, settings=fast_settings(outage_threshold=2, http_timeout=2.0))
    worker = Worker(ctx, worker_id="offline-test")
    issue(ctx, company_nip=NIP, xml=sample_invoice())
    end = time.monotonic() + 30
    while worker.pending() and time.monotonic() < end:
        _run_for(worker, 0.2)
    faults(simulator, outageSeconds=10)
    issue(ctx, company_nip=NIP, xml=sample_invoice())  # KSeF just went down; nobody knows yet
    outage = None
    end = time.monotonic() + 8
    while outage is None and time.monotonic() < end:
        _run_for(worker, 0.3)
        with ctx.db.transaction() as s:
            outage = repo.open_outage(s, simulator.base_url)
            mode = outage.mode if outage else None
    assert outage is not None and mode == "offline24"
    today = warsaw_today()
    offline = [issue(ctx, company_nip=NIP, xml=sample_invoice(issue_date=today)) for _ in range(3)]
    for issued in offline:
        assert issued.status == states.OFFLINE and issued.offline_kind == "offline24"
        assert issued.offline_deadline == add_business_days(warsaw_today(), 1)
    worker.run(once=True, idle_sleep=0.2, max_seconds=60)
    offline_ids = {o.invoice_id for o in offline}
    with ctx.db.transaction() as s:
        assert repo.open_outage(s, simulator.base_url) is None
        invoices = repo.list_invoices(s)
        assert [i.status for i in invoices] == [states.ACCEPTED] * 5
        assert len({i.ksef_number for i in invoices}) == 5
        for inv in invoices:
            upo = repo.upo_for(s, inv.id)
            assert upo is not None
            assert (b"<TrybWysylki>Offline</TrybWysylki>" in upo.xml) == (inv.id in offline_ids)
            assert inv.offline_mode == (inv.id in offline_ids)
        hashes = {i.sha256 for i in invoices if i.offline_mode}
    remote = {d["invoiceHash"]: d for d in simulator.sim.state.all("invoice") if d.get("ksefNumber")}
    assert all(remote[h].get("invoicingMode") == "Offline" for h in hashes)
