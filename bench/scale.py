"""Workers in separate processes against one PostgreSQL store, sharing KSeF's limits through its books.

Used by ``bench/bench_scale.py`` (10,000 invoices) and ``tests/store/test_scale_workers.py`` (a few
hundred). The simulator runs in this process (a thread) with the production limit profile on; the
invoices are issued into a fresh PostgreSQL database through the application's bulk path
(``Fakturnik.invoices.issue_many``, 1,000 per call, as ``POST /invoices/bulk`` and ``fakturnik invoices
issue`` do), then N ``fakturnik worker --once`` processes, started at the same instant on one data
directory, drain the outbox. Each poses as a machine of its own
(``FAKTURNIK_THROTTLE_HOST``) behind the one address 127.0.0.1, so nothing but the books in the store
keeps them together inside KSeF's limits. Checked afterwards: every invoice accepted with one KSeF
number, the simulator registered each exactly once and nothing else, its 429 count, each worker's
exit code and standard error (kept apart), and that no worker opened this machine's file of throttle
books (with PostgreSQL as the store, the books are in the store alone).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
MASTER_KEY = "5a" * 32


@dataclass
class ScaleResult:
    invoices: int
    workers: int
    issue_seconds: float
    numbers_seconds: float  # from the workers' start until every invoice has its KSeF number
    deliver_seconds: float  # until every worker exited (every UPO stored)
    requests: int
    too_many: int  # 429 answers
    accepted: int
    distinct_numbers: int
    registered: int  # invoices the simulator accepted
    registered_twice: int
    matching: int  # store's KSeF number == the simulator's, per invoice hash
    with_upo: int
    hosts_in_books: int
    worker_codes: list[int]
    worker_log: str  # the end of each worker's standard error, under its number
    host_books_opened: bool  # a worker opened the machine's SQLite books (it must not, on PostgreSQL)


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"fakturnik_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _master_key(value: str) -> Iterator[None]:
    """The vault's key for this run only (the workers get it too), the caller's environment kept."""
    before = os.environ.get("FAKTURNIK_MASTER_KEY")
    os.environ["FAKTURNIK_MASTER_KEY"] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ["FAKTURNIK_MASTER_KEY"]
        else:
            os.environ["FAKTURNIK_MASTER_KEY"] = before


def _token(server: Any, nip: str) -> str:
    from fakturnik.simulator.mint import mint_session

    owner = mint_session(
        server.sim, context_type="Nip", context_value=nip, subject_type="Nip", subject_value=nip
    )
    r = httpx.post(
        server.base_url + "/tokens",
        json={"permissions": ["InvoiceWrite", "InvoiceRead"], "description": "scale run"},
        headers={"Authorization": f"Bearer {owner['accessToken']}"},
        timeout=30,
    )
    r.raise_for_status()
    token: str = r.json()["token"]
    return token


def run_scale(
    admin_url: str,
    *,
    invoices: int,
    workers: int = 3,
    claim_limit: int = 1000,
    batch_min: int = 50,
    max_seconds: float = 1800.0,
) -> ScaleResult:
    from sqlalchemy import func, select

    from fakturnik.app import Fakturnik
    from fakturnik.app.issuing import MAX_BULK
    from fakturnik.engine.companies import add_company
    from fakturnik.fa3.samples import make_nip, make_sample_invoice
    from fakturnik.fa3.writer import write_invoice
    from fakturnik.simulator.config import SimulatorConfig
    from fakturnik.simulator.server import SimulatorServer
    from fakturnik.store import repo, states
    from fakturnik.store.models import Invoice
    from fakturnik.store.security_models import ThrottleSlot
    from fakturnik.vault import Secret

    nip = make_nip(4343)
    xml = write_invoice(make_sample_invoice(nip, "AUTO", 3, issue_date=date.today()))
    with (
        _master_key(MASTER_KEY),
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(admin_url) as url,
        SimulatorServer(SimulatorConfig(profile="prod", rate_limits_enabled=True)) as server,
    ):
        data_dir = Path(tmp)
        fk = Fakturnik.open(data_dir, database_url=url, use_keyring=False, download_schemas=False)
        ctx = fk.ctx
        company_id = add_company(
            ctx, nip=nip, name="Skala S.A.", base_url=server.base_url, ksef_token=Secret(_token(server, nip))
        )
        started = time.perf_counter()
        refused: list[str] = []
        for first in range(0, invoices, MAX_BULK):
            part = fk.invoices.issue_many(company_id, [xml] * min(MAX_BULK, invoices - first))
            refused += [r.error or "" for r in part.items if not r.ok]
        issue_seconds = time.perf_counter() - started
        if refused:
            raise RuntimeError(f"{len(refused)} invoices refused: {refused[0]}")
        httpx.post(server.root_url + "/admin/stats/reset", timeout=30).raise_for_status()
        env = {
            **os.environ,
            "FAKTURNIK_MASTER_KEY": MASTER_KEY,
            "FAKTURNIK_ENGINE_CLAIM_LIMIT": str(claim_limit),
            "FAKTURNIK_ENGINE_BATCH_MIN": str(batch_min),
            "FAKTURNIK_ENGINE_SYNC_INTERVAL_S": "0",
            "FAKTURNIK_THROTTLE_DIR": str(data_dir / "no-host-books"),
        }
        books = Path(env["FAKTURNIK_THROTTLE_DIR"])
        logs = [data_dir / f"worker-{n}.log" for n in range(workers)]
        procs: list[subprocess.Popen[bytes]] = []
        command = [sys.executable, "-m", "fakturnik.cli.main", "worker", "--once"]
        command += ["--max-seconds", str(max_seconds), "--data-dir", str(data_dir), "--database-url", url]
        started = time.perf_counter()
        for n, log_path in enumerate(logs):
            with log_path.open("ab") as log:
                procs.append(
                    subprocess.Popen(
                        command,
                        env={**env, "FAKTURNIK_THROTTLE_HOST": f"scale-machine-{n}"},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        cwd=ROOT,
                    )
                )
        numbers_seconds: float | None = None
        try:
            while any(p.poll() is None for p in procs):
                if numbers_seconds is None:
                    with ctx.db.transaction() as s:
                        numbered = repo.outbox_counts(s).get(states.ACCEPTED, 0)
                    if numbered >= invoices:
                        numbers_seconds = time.perf_counter() - started
                time.sleep(0.2)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                p.wait(timeout=60)
        deliver_seconds = time.perf_counter() - started
        stats = httpx.get(server.root_url + "/admin/stats", timeout=30).json()
        remote = [
            d
            for d in server.sim.state.all("invoice")
            if (d.get("status") or {}).get("code") == 200 and d.get("ksefNumber")
        ]
        by_hash = Counter(d["invoiceHash"] for d in remote)
        remote_numbers = {d["invoiceHash"]: d["ksefNumber"] for d in remote}
        with ctx.db.transaction() as s:
            rows = s.execute(select(Invoice.id, Invoice.status, Invoice.ksef_number, Invoice.sha256)).all()
            with_upo = sum(1 for r in rows if repo.upo_for(s, r.id) is not None)
            hosts = s.scalar(select(func.count(func.distinct(ThrottleSlot.host)))) or 0
        fk.close()
        return ScaleResult(
            invoices=invoices,
            workers=workers,
            issue_seconds=issue_seconds,
            numbers_seconds=numbers_seconds if numbers_seconds is not None else deliver_seconds,
            deliver_seconds=deliver_seconds,
            requests=int(stats["total"]),
            too_many=int(stats["byStatus"].get("429", 0)),
            accepted=sum(1 for r in rows if r.status == states.ACCEPTED and r.ksef_number),
            distinct_numbers=len({r.ksef_number for r in rows if r.ksef_number}),
            registered=len(remote),
            registered_twice=sum(1 for n in by_hash.values() if n > 1),
            matching=sum(1 for r in rows if r.ksef_number and remote_numbers.get(r.sha256) == r.ksef_number),
            with_upo=with_upo,
            hosts_in_books=int(hosts),
            worker_codes=[p.returncode for p in procs],
            worker_log="\n".join(
                f"--- worker {n} (exit {p.returncode}):\n"
                + path.read_text(encoding="utf-8", errors="replace")[-4000:]
                for n, (path, p) in enumerate(zip(logs, procs, strict=True))
            ),
            host_books_opened=books.exists(),
        )
