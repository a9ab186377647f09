"""Several workers at once on PostgreSQL (FOR UPDATE SKIP LOCKED): disjoint claims, one KSeF number each."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from fakturnik.engine.issuing import issue
from fakturnik.engine.planner import PlannerSettings
from fakturnik.engine.worker import Worker
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from fakturnik.store.models import AuditEntry
from tests.engine.helpers import NIP, engine, fast_settings, route_count, sample_invoice
from tests.store.pg import fresh_pg_database


@pytest.mark.postgres
def test_three_workers_share_the_outbox_without_sending_twice(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    with fresh_pg_database() as url:
        settings = fast_settings(claim_limit=4, planner=PlannerSettings(batch_min_invoices=1000))
        ctx = engine(tmp_path, simulator, url=url, settings=settings)
        for _ in range(30):
            issue(ctx, company_nip=NIP, xml=sample_invoice())
        workers = [Worker(ctx, worker_id=f"w{i}") for i in range(3)]
        threads = [
            threading.Thread(target=w.run, kwargs={"once": True, "idle_sleep": 0.1, "max_seconds": 90})
            for w in workers
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with ctx.db.transaction() as s:
            invoices = repo.list_invoices(s)
            assert all(i.status == states.ACCEPTED for i in invoices)
            assert len({i.ksef_number for i in invoices}) == 30
            actors = set(
                s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "invoice.accepted")).all()
            )
        ctx.close()
    assert route_count(simulator, "POST", "/sessions/online/{referenceNumber}/invoices", 202) == 30
    assert len(actors) >= 2  # the work really was shared
