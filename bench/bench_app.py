"""The application core (``fakturnik.app``) on SQLite: bulk issuing into the outbox, and the invoice
list with 100,000 invoices in the store.

* Bulk issuing: ``invoices.issue_many`` with 1,000 drafts per call (3 lines, payment terms and a bank
  account), each draft built, validated (XSD + rules) and written with its number, status history,
  outbox entry and audit entry; chunks of 500 per transaction. Rates = invoices / the process's CPU
  time (what one core does, steady on a loaded machine) and invoices / wall time.
* List: the store is filled to 100,000 issued invoices (issued through the service, then copied in
  SQL with other numbers, buyers, dates and statuses), then each query shape runs repeatedly through
  ``invoices.list`` — the access check, the query and the read models, what the REST API's GET does
  minus HTTP. p95 of the runs.

The same bulk issuing into PostgreSQL (a throwaway database on ``$FAKTURNIK_TEST_PG_URL`` or the server
of ``scripts/postgres.sh``), when there is one: what the scale run's setup and ``POST /invoices/bulk`` on
a PostgreSQL store do.

Environment: ``FAKTURNIK_BENCH_APP_INVOICES`` (default 100000) for a smaller store.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

_SHARED = Path(os.environ.get("FAKTURNIK_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
os.environ.setdefault("FAKTURNIK_SCHEMA_DIR", str(_SHARED / "ksef" / "faktury" / "schemy"))

STORE = int(os.environ.get("FAKTURNIK_BENCH_APP_INVOICES", "100000"))
NIP = "5265877635"
BUYERS = ("7740001454", "9166568761", "5387264885", "3878940490", "1731644238")


def _draft(i: int, today: date) -> dict[str, Any]:
    return {
        "Podmiot2": {
            "DaneIdentyfikacyjne": {
                "NIP": BUYERS[i % len(BUYERS)],
                "Nazwa": f"Klient {i % len(BUYERS)} S.A.",
            },
            "Adres": {"KodKraju": "PL", "AdresL1": "ul. Długa 2, 30-001 Kraków"},
        },
        "Fa": {
            "P_1": today.isoformat(),
            "P_6": today.isoformat(),
            "FaWiersz": [
                {"P_7": "Wdrożenie systemu", "P_8A": "godz.", "P_8B": "12.5", "P_9A": "180.00", "P_12": "23"},
                {"P_7": "Catering", "P_8A": "usł.", "P_8B": "1", "P_9A": "640.00", "P_12": "8"},
                {"P_7": f"Licencja {i}", "P_8A": "szt.", "P_8B": "3", "P_9A": "99.99", "P_12": "23"},
            ],
            "Platnosc": {
                "TerminPlatnosci": [{"Termin": (today + timedelta(days=14)).isoformat()}],
                "FormaPlatnosci": 6,
                "RachunekBankowy": [{"NrRB": "61109010140000071219812874", "NazwaBanku": "Bank S.A."}],
            },
        },
    }


def _fill(fk: Any, company_id: int, target: int) -> None:
    """Copy the issued invoices in SQL until the company has ``target`` (other numbers, buyers, dates)."""
    from sqlalchemy import func, insert, select

    from fakturnik.store.models import Invoice

    columns = [c for c in Invoice.__table__.columns if c.name not in ("id", "idempotency_key")]
    with fk.ctx.db.transaction() as s:
        have = s.scalar(select(func.count()).select_from(Invoice).where(Invoice.company_id == company_id))
    statuses = ("accepted",) * 17 + ("rejected", "offline", "queued")
    round_ = 0
    while have < target:
        round_ += 1
        with fk.ctx.db.transaction() as s:
            rows = [
                dict(r._mapping)
                for r in s.execute(select(*columns).where(Invoice.company_id == company_id).limit(2000))
            ]
            batch = []
            for k, row in enumerate(rows[: target - have]):
                n = have + k
                row = dict(row)
                row["number"] = f"FV/C{round_}/{n:07d}"
                row["buyer_id"] = BUYERS[n % len(BUYERS)]
                row["buyer_name"] = f"Klient {n % len(BUYERS)} S.A."
                row["issue_date"] = date.today() - timedelta(days=n % 400)
                row["due_date"] = row["issue_date"] + timedelta(days=14)
                row["status"] = statuses[n % len(statuses)]
                row["ksef_number"] = f"{NIP}-20261201-{n:012X}-00" if row["status"] == "accepted" else None
                batch.append(row)
            s.execute(insert(Invoice), batch)
            have += len(batch)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _bulk_rows(fk: Any, store: str) -> tuple[int, list[dict[str, Any]]]:
    """A company, then 7 calls of ``issue_many`` with 1,000 drafts: its id and the two rate rows."""
    today = date.today()
    a: int = fk.companies.add(
        NIP, "Firma A Sp. z o.o.", environment="test", address="ul. Prosta 1, 00-001 Warszawa"
    ).id
    fk.invoices.issue_many(a, [_draft(i, today) for i in range(100)])  # warm-up: schemas, caches
    rates, cpu_rates = [], []
    for r in range(7):
        drafts = [_draft(r * 1000 + i, today) for i in range(1000)]
        start, cpu = time.perf_counter(), time.process_time()
        result = fk.invoices.issue_many(a, drafts)
        cpu_rates.append(1000 / (time.process_time() - cpu))
        rates.append(1000 / (time.perf_counter() - start))
        assert result.ok_count == 1000, result.items[0]
    what = (
        "issue_many, 1,000 drafts per call (3 lines, payment terms, bank account), build + XSD + rules "
        "+ number + outbox + audit, chunks of 500 per transaction"
    )
    rows = [
        {
            "name": f"app: bulk issuing into the outbox ({store}), per CPU-second",
            "value": round(statistics.median(cpu_rates)),
            "unit": "invoices/s",
            "notes": f"{what}; 1,000 / the process's CPU time, median of 7 calls "
            f"(min {min(cpu_rates):.0f}, max {max(cpu_rates):.0f}): what one core does whatever the "
            "machine's load"
            + ("; the database server's own CPU not counted" if store == "PostgreSQL" else ""),
        },
        {
            "name": f"app: bulk issuing into the outbox ({store})",
            "value": round(statistics.median(rates)),
            "unit": "invoices/s",
            "notes": f"{what}; wall clock (fsync and the machine's load included), median of 7 calls "
            f"(min {min(rates):.0f}, max {max(rates):.0f})",
        },
    ]
    return a, rows


def _postgres_rows() -> list[dict[str, Any]]:
    """Bulk issuing into a throwaway PostgreSQL database (``$FAKTURNIK_TEST_PG_URL`` or the server of
    ``scripts/postgres.sh``); nothing when there is none."""
    from bench.bench_scale import admin_url
    from bench.scale import fresh_database
    from fakturnik.app import Fakturnik

    try:
        admin = admin_url()
    except (RuntimeError, OSError):
        return []
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(admin) as url,
        Fakturnik.open(tmp, database_url=url) as fk,
    ):
        return _bulk_rows(fk, "PostgreSQL")[1]


def run() -> list[dict[str, Any]]:
    from fakturnik.app import Fakturnik, InvoiceFilter

    rows: list[dict[str, Any]] = []
    today = date.today()
    with tempfile.TemporaryDirectory() as tmp, Fakturnik.open(tmp) as fk:
        a, bulk = _bulk_rows(fk, "SQLite")
        rows += bulk
        _fill(fk, a, STORE)
        first = fk.invoices.list(a, limit=50)
        deep = first
        for _ in range(20):
            deep = fk.invoices.list(a, limit=50, cursor=deep.next_cursor)
        month = (today - timedelta(days=45)).strftime("%Y-%m")
        shapes = {
            "first page": lambda: fk.invoices.list(a, limit=50),
            "page 21 (cursor)": lambda: fk.invoices.list(a, limit=50, cursor=deep.next_cursor),
            "status = rejected": lambda: fk.invoices.list(a, InvoiceFilter(status=("rejected",)), limit=50),
            "buyer NIP": lambda: fk.invoices.list(a, InvoiceFilter(buyer_nip=BUYERS[2]), limit=50),
            "month": lambda: fk.invoices.list(a, InvoiceFilter(month=month), limit=50),
            "overdue": lambda: fk.invoices.list(a, InvoiceFilter(paid="overdue"), limit=50),
            "KSeF number": lambda: fk.invoices.list(
                a, InvoiceFilter(ksef_number=f"{NIP}-20261201-{STORE // 2:012X}-00"), limit=50
            ),
            "free text (a buyer's name)": lambda: fk.invoices.list(a, InvoiceFilter(q="klient 2"), limit=50),
            "free text matching nothing (whole index)": lambda: fk.invoices.list(
                a, InvoiceFilter(q="nie-ma-takiego"), limit=50
            ),
            "first page + count and sum": lambda: fk.invoices.list(a, limit=50, with_totals=True),
            "month + count and sum": lambda: fk.invoices.list(
                a, InvoiceFilter(month=month), limit=50, with_totals=True
            ),
        }
        for label, call in shapes.items():
            call()
            samples = []
            for _ in range(40):
                start = time.perf_counter()
                call()
                samples.append((time.perf_counter() - start) * 1000)
            rows.append(
                {
                    "name": f"app: invoice list p95, {label}",
                    "value": round(_p95(samples), 2),
                    "unit": "ms",
                    "notes": f"{STORE:,} invoices in the store, 50 rows a page, 40 runs "
                    f"(median {statistics.median(samples):.2f} ms)",
                }
            )
    rows += _postgres_rows()
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:60} {row['value']:>9} {row['unit']}  {row['notes']}")
