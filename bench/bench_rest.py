"""REST API over real HTTP: bulk issuing through POST …/invoices/bulk, and GET …/invoices p95 with
100,000 invoices in the store.

uvicorn on 127.0.0.1, an API key as an ERP would use it, SQLite in a temp dir, no worker (the numbers
are of the API: JSON in, validation, numbering, the outbox, JSON out). The store is filled to 100,000
invoices in SQL like bench_app does (issuing them one by one would measure the engine).
Environment: ``FAKTURNIK_BENCH_REST_INVOICES`` (default 100000), ``FAKTURNIK_BENCH_REST_ROUNDS`` (60).
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.bench_app import BUYERS, NIP, _draft, _fill, _p95

STORE = int(os.environ.get("FAKTURNIK_BENCH_REST_INVOICES", "100000"))
ROUNDS = int(os.environ.get("FAKTURNIK_BENCH_REST_ROUNDS", "60"))


def run() -> list[dict[str, Any]]:
    import uvicorn

    os.environ.setdefault("FAKTURNIK_MASTER_KEY", secrets.token_hex(32))
    from fakturnik.app.actor import Actor
    from fakturnik.simulator.server import free_port
    from fakturnik.web.server import Runtime, create_app
    from fakturnik.web.settings import ServeSettings

    rows: list[dict[str, Any]] = []
    today = date.today()
    with tempfile.TemporaryDirectory() as tmp:
        settings = ServeSettings(
            data_dir=Path(tmp),
            port=free_port(),
            worker=False,
            webhooks=False,
            log_level="warning",
            access_log=False,
        )
        runtime = Runtime(settings)
        runtime.open()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, runtime=runtime),
                host="127.0.0.1",
                port=settings.port,
                log_level="warning",
                access_log=False,
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        try:
            fk = runtime.fk
            user = fk.accounts.register_user("bench@firma.pl", "Bardzo-Tajne-Haslo-123")
            owner = fk.acting_as(Actor.user(user.id, user.email))
            company = owner.companies.add(
                nip=NIP,
                name="Firma A Sp. z o.o.",
                environment="test",
                address="ul. Prosta 1, 00-001 Warszawa",
            ).id
            key = owner.api_keys.create(company, "ERP", ["invoices:write", "invoices:read"]).token
            base = f"http://127.0.0.1:{settings.port}/api/v1/companies/{company}"
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            with httpx.Client(headers=headers, timeout=120) as api:
                api.post(base + "/invoices/bulk", json={"items": [_draft(i, today) for i in range(100)]})
                rates, cpu_rates = [], []
                for r in range(7):
                    payload = json.dumps({"items": [_draft(r * 1000 + i, today) for i in range(1000)]})
                    start, cpu, mine = time.perf_counter(), time.process_time(), time.thread_time()
                    answer = api.post(base + "/invoices/bulk", content=payload.encode())
                    # the server's CPU: the process's less this (client) thread's
                    server_cpu = (time.process_time() - cpu) - (time.thread_time() - mine)
                    rates.append(1000 / (time.perf_counter() - start))
                    cpu_rates.append(1000 / server_cpu)
                    assert answer.status_code == 200 and answer.json()["ok_count"] == 1000, answer.text[:500]
                what = (
                    "POST /invoices/bulk, 1,000 drafts (3 lines each), an API key: JSON parse, build + XSD "
                    "+ rules + number + outbox + audit, a result per item"
                )
                rows.append(
                    {
                        "name": "REST: bulk issuing over HTTP (SQLite), per server CPU-second",
                        "value": round(statistics.median(cpu_rates)),
                        "unit": "invoices/s",
                        "notes": f"{what}; 1,000 / the server threads' CPU time, median of 7 "
                        f"(min {min(cpu_rates):.0f}, max {max(cpu_rates):.0f})",
                    }
                )
                rows.append(
                    {
                        "name": "REST: bulk issuing over HTTP (SQLite)",
                        "value": round(statistics.median(rates)),
                        "unit": "invoices/s",
                        "notes": f"{what}; wall clock, median of 7 "
                        f"(min {min(rates):.0f}, max {max(rates):.0f})",
                    }
                )
                _fill(fk, company, STORE)
                month = (today - timedelta(days=45)).strftime("%Y-%m")
                shapes: dict[str, dict[str, Any]] = {
                    "first page": {},
                    "status = rejected": {"status": "rejected"},
                    "buyer NIP": {"buyer_nip": BUYERS[2]},
                    "month": {"month": month},
                    "free text": {"q": "C3/00"},
                }
                for label, params in shapes.items():
                    api.get(base + "/invoices", params=params)
                    samples = []
                    for _ in range(ROUNDS):
                        start = time.perf_counter()
                        r = api.get(base + "/invoices", params={**params, "limit": 50})
                        samples.append((time.perf_counter() - start) * 1000)
                        assert r.status_code == 200
                    rows.append(
                        {
                            "name": f"REST: GET invoice list p95 over HTTP, {label}",
                            "value": round(_p95(samples), 2),
                            "unit": "ms",
                            "notes": f"{STORE:,} invoices, 50 a page, API key, {ROUNDS} requests "
                            f"(median {statistics.median(samples):.2f} ms)",
                        }
                    )
        finally:
            server.should_exit = True
            thread.join(timeout=20)
            runtime.close()
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:60} {row['value']:>9} {row['unit']}  {row['notes']}")
