"""The sending engine under the simulator's production limit profile: 10,000 queued invoices delivered.

The simulator runs in this process (a thread) with ``profile="prod"`` and its production rate-limit
table on. Invoices are issued into a SQLite store (each in its own transaction, as a person or a
system would), then one worker drains the outbox: the planner picks batch sessions, the client's
throttle keeps every endpoint group inside the published limits, UPOs come from the pre-signed
links. Counted from the simulator's ``GET /admin/stats``: requests and 429 answers (must be zero).
The first numbers are taken when every invoice has its KSeF number in the store; the per-invoice UPOs
are fetched after that (pre-signed links), and the last numbers include them.

Environment: ``FAKTURNIK_BENCH_ENGINE_INVOICES`` (default 10000) for a smaller run;
``FAKTURNIK_BENCH_ENGINE_LOGINS=2``: every other invoice is issued by a co-worker who sends with her
own KSeF certificate (two logins, two sets of sessions in one company; the rows say "2 logins").
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

_SHARED = Path(os.environ.get("FAKTURNIK_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
os.environ.setdefault("FAKTURNIK_SCHEMA_DIR", str(_SHARED / "ksef" / "faktury" / "schemy"))

INVOICES = int(os.environ.get("FAKTURNIK_BENCH_ENGINE_INVOICES", "10000"))
LOGINS = int(os.environ.get("FAKTURNIK_BENCH_ENGINE_LOGINS", "1"))


def _token(server: Any, nip: str) -> str:
    from fakturnik.simulator.mint import mint_session

    owner = mint_session(
        server.sim, context_type="Nip", context_value=nip, subject_type="Nip", subject_value=nip
    )
    r = httpx.post(
        server.base_url + "/tokens",
        json={"permissions": ["InvoiceWrite", "InvoiceRead"], "description": "engine benchmark"},
        headers={"Authorization": f"Bearer {owner['accessToken']}"},
        timeout=30,
    )
    r.raise_for_status()
    token: str = r.json()["token"]
    return token


def run() -> list[dict[str, Any]]:
    from sqlalchemy import select

    from fakturnik.engine.companies import add_company
    from fakturnik.engine.context import open_context
    from fakturnik.engine.issuing import issue
    from fakturnik.engine.planner import PlannerSettings
    from fakturnik.engine.settings import EngineSettings
    from fakturnik.engine.worker import Worker
    from fakturnik.fa3.samples import make_nip, make_sample_invoice
    from fakturnik.fa3.writer import write_invoice
    from fakturnik.simulator.config import SimulatorConfig
    from fakturnik.simulator.server import SimulatorServer
    from fakturnik.store import repo, states
    from fakturnik.store.models import OutboxEntry
    from fakturnik.vault import Secret

    nip = make_nip(4242)
    xml = write_invoice(make_sample_invoice(nip, "AUTO", 3, issue_date=date.today()))
    settings = replace(
        EngineSettings(),
        claim_limit=10_000,
        poll_interval=timedelta(seconds=1),
        sync_interval=None,
        planner=PlannerSettings(batch_min_invoices=50),
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        SimulatorServer(SimulatorConfig(profile="prod", rate_limits_enabled=True)) as server,
    ):
        os.environ.setdefault("FAKTURNIK_MASTER_KEY", "42" * 32)
        ctx = open_context(Path(tmp), None, settings, use_keyring=False)
        add_company(
            ctx,
            nip=nip,
            name="Benchmark S.A.",
            base_url=server.base_url,
            ksef_token=Secret(_token(server, nip)),
        )
        coworker = _coworker(ctx, server, nip) if LOGINS > 1 else None
        started = time.perf_counter()
        for n in range(INVOICES):
            issue(ctx, company_nip=nip, xml=xml, issuer_user_id=coworker if n % 2 else None)
        issue_seconds = time.perf_counter() - started
        httpx.post(server.root_url + "/admin/stats/reset", timeout=30).raise_for_status()
        worker = Worker(ctx, worker_id="bench")
        runner = threading.Thread(
            target=lambda: worker.run(once=True, idle_sleep=0.5, max_seconds=3600), daemon=True
        )
        started = time.perf_counter()
        runner.start()
        numbers_seconds, numbers_stats = None, None
        while runner.is_alive():  # the moment every invoice has its KSeF number (UPOs may follow)
            with ctx.db.transaction() as s:
                numbered = repo.outbox_counts(s).get(states.ACCEPTED, 0)
            if numbered >= INVOICES:
                numbers_seconds = time.perf_counter() - started
                numbers_stats = httpx.get(server.root_url + "/admin/stats", timeout=30).json()
                break
            time.sleep(0.1)
        session_upo_seconds = None
        while runner.is_alive() and session_upo_seconds is None:  # the session UPOs, stored at once
            with ctx.db.transaction() as s:
                refs = {e.session_ref for e in s.scalars(select(OutboxEntry)) if e.session_kind == "batch"}
                if refs and all(repo.session_upos(s, r) for r in refs if r):
                    session_upo_seconds = time.perf_counter() - started
            time.sleep(0.1)
        runner.join()
        deliver_seconds = time.perf_counter() - started
        stats = httpx.get(server.root_url + "/admin/stats", timeout=30).json()
        numbers_stats = numbers_stats or stats
        numbers_seconds = numbers_seconds or deliver_seconds
        with ctx.db.transaction() as s:
            invoices = repo.list_invoices(s)
            accepted = sum(1 for i in invoices if i.status == states.ACCEPTED and i.ksef_number)
            with_upo = sum(1 for i in invoices if repo.upo_for(s, i.id) is not None)
            refs = {e.session_ref for e in s.scalars(select(OutboxEntry)) if e.session_kind == "batch"}
            session_pages = sum(len(repo.session_upos(s, r)) for r in refs if r)
        if session_upo_seconds is None and session_pages:
            session_upo_seconds = deliver_seconds
        ctx.close()
    too_many = int(stats["byStatus"].get("429", 0))
    note = f"{INVOICES} invoices, production limit profile, one worker, SQLite"
    if LOGINS > 1:
        note += "; half of them sent with a co-worker's own certificate"
    rows = [
        {
            "name": "engine: issue into the outbox",
            "value": round(INVOICES / issue_seconds, 1),
            "unit": "invoices/s",
            "notes": "one transaction per invoice: number, XML, outbox entry, audit",
        },
        {
            "name": "engine: every queued invoice with its KSeF number",
            "value": round(numbers_seconds, 1),
            "unit": "s",
            "notes": f"{note}; from the worker's start; planner chose batch sessions",
        },
        {
            "name": "engine: requests per invoice until every KSeF number",
            "value": round(numbers_stats["total"] / INVOICES, 4),
            "unit": "req/invoice",
            "notes": f"{numbers_stats['total']} requests, part uploads included; "
            f"429 by then: {int(numbers_stats['byStatus'].get('429', 0))}",
        },
        {
            "name": "engine: session UPO of every batch stored",
            "value": round(session_upo_seconds or 0.0, 1),
            "unit": "s",
            "notes": f"{note}; from the worker's start; {len(refs)} batch sessions, "
            f"{session_pages} UPO pages",
        },
        {
            "name": "engine: deliver queued invoices with every UPO",
            "value": round(deliver_seconds, 1),
            "unit": "s",
            "notes": f"{note}; per-invoice UPOs fetched after the KSeF numbers",
        },
        {
            "name": "engine: accepted with KSeF number",
            "value": accepted,
            "unit": "invoices",
            "notes": f"of {INVOICES}; UPO stored for {with_upo}",
        },
        {"name": "engine: 429 answers", "value": too_many, "unit": "responses", "notes": "must be 0"},
        {
            "name": "engine: requests per invoice with every UPO",
            "value": round(stats["total"] / INVOICES, 3),
            "unit": "req/invoice",
            "notes": f"{stats['total']} requests in all, pre-signed UPO links and part uploads included",
        },
    ]
    if LOGINS > 1:
        rows = [{**row, "name": row["name"] + " (2 logins)"} for row in rows]
    return rows


def _coworker(ctx: Any, server: Any, nip: str) -> int:
    """A co-worker with her own KSeF certificate (the simulator's CA plays the Ministry); her user id."""
    from tests.delegation.kit import ksef_certificate

    from fakturnik.engine.companies import PERSON_CERTIFICATE, set_certificate
    from fakturnik.store.models import Credential, User
    from fakturnik.vault import Secret

    cert = ksef_certificate(server, "Nip", nip, "Benchmark S.A.")
    set_certificate(ctx, nip, cert.cert_pem, Secret(cert.key_pem), kind=PERSON_CERTIFICATE)
    with ctx.db.transaction() as s:
        user = User(email="anna@benchmark.pl", name="Anna Nowak", password_hash="-")
        s.add(user)
        s.flush()
        s.query(Credential).filter_by(kind=PERSON_CERTIFICATE).one().owner_user_id = user.id
        return int(user.id)


if __name__ == "__main__":
    for row in run():
        print(row)
