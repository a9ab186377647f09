"""Web app: the live-totals round trip of a 50-line invoice form; the invoice list page over 100,000 invoices.

Both through the real server (uvicorn on 127.0.0.1, a signed-in browser session with its CSRF token,
SQLite, the embedded simulator): the time is the whole HTTP round trip as htmx sees it. The 100,000
invoices are written straight into the store (same columns as issued ones; issuing them one by one
would measure the engine, not the page); 97 % of them accepted, 1 % each queued, rejected and offline.
"""

from __future__ import annotations

import os
import re
import secrets
import statistics
import tempfile
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

TOTALS_ROUNDS = int(os.environ.get("BENCH_WEB_TOTALS_ROUNDS", "300"))
LIST_ROUNDS = int(os.environ.get("BENCH_WEB_LIST_ROUNDS", "60"))
LIST_INVOICES = int(os.environ.get("BENCH_WEB_INVOICES", "100000"))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class _Server:
    def __init__(self, data_dir: Path) -> None:
        import uvicorn

        from fakturnik.simulator.server import free_port
        from fakturnik.web.server import Runtime, create_app
        from fakturnik.web.settings import ServeSettings

        settings = ServeSettings(
            data_dir=data_dir, env="local", demo=True, webhooks=False, worker=False, port=0,
            log_level="warning", access_log=False,
        )  # fmt: skip
        self.runtime = Runtime(settings)
        self.runtime.open()
        app = create_app(settings, runtime=self.runtime)
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.runtime.close()


def _signed_in(url: str) -> tuple[httpx.Client, str]:
    from fakturnik.web.ui.demo import current

    info = current()
    assert info is not None
    client = httpx.Client(base_url=url, timeout=30)
    page = client.get("/logowanie")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    r = client.post(
        "/logowanie", data={"csrf": csrf.group(1), "email": info.email, "password": info.password}
    )
    assert r.status_code == 303, r.text[:200]
    page = client.get("/faktury/nowa")
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert token
    return client, token.group(1)


def _realistic_xml() -> bytes:
    """A 10-line FA(3) file as Fakturnik writes it (about 3 KB), the size each stored row carries."""
    from fakturnik.fa3.jsonform import invoice_from_draft
    from fakturnik.fa3.writer import write_invoice
    from fakturnik.web.api.common import DRAFT_EXAMPLE

    draft = {**DRAFT_EXAMPLE, "Fa": {**DRAFT_EXAMPLE["Fa"], "P_2": "B/000001"}}
    line = DRAFT_EXAMPLE["Fa"]["FaWiersz"][0]
    draft["Fa"]["FaWiersz"] = [{**line, "P_7": f"{line['P_7']} — etap {i + 1}"} for i in range(10)]
    return write_invoice(invoice_from_draft(draft))


def _fill_store(fk: Any, company_id: int, count: int) -> None:
    from sqlalchemy import insert

    from fakturnik.store.models import Invoice

    # as in a real company's books: almost everything accepted, a few waiting, rejected or offline
    statuses = ("accepted",) * 97 + ("queued", "rejected", "offline")
    start = date(2026, 1, 1)
    xml = _realistic_xml()  # each row carries a real invoice's size: a scan that reads rows pays for it
    rows: list[dict[str, Any]] = []
    with fk.ctx.db.transaction() as s:
        for i in range(count):
            day = start + timedelta(days=i % 340)
            status = statuses[i % len(statuses)]
            rows.append(
                {
                    "company_id": company_id, "direction": "issued", "kind": "VAT", "number": f"B/{i:06d}",
                    "issue_date": day, "seller_nip": "5265877635", "seller_name": "Pracownia Demo Sp. z o.o.",
                    "buyer_id": "7740001454", "buyer_name": f"Klient {i % 500}", "gross": Decimal("1230.00"),
                    "net": Decimal("1000.00"), "vat": Decimal("230.00"), "currency": "PLN", "xml": xml,
                    "sha256": secrets.token_urlsafe(32)[:44], "status": status,
                    "ksef_number": f"5265877635-{day:%Y%m%d}-{i:012X}-00" if status == "accepted" else None,
                    "due_date": day + timedelta(days=14), "paid_amount": Decimal("0"),
                }
            )  # fmt: skip
            if len(rows) == 5000:
                s.execute(insert(Invoice), rows)
                rows = []
        if rows:
            s.execute(insert(Invoice), rows)


def _form(lines: int) -> dict[str, str]:
    data = {
        "kind": "VAT",
        "issue_date": date.today().isoformat(),
        "price_mode": "net",
        "buyer_name": "Klient",
    }
    rates = ("23", "8", "5", "zw", "0 KR", "np I", "23", "8")
    for i in range(lines):
        data.update(
            {f"line-{i}-name": f"Pozycja {i}", f"line-{i}-qty": "3", f"line-{i}-unit": "szt.",
             f"line-{i}-price": f"{100 + i},50", f"line-{i}-rate": rates[i % len(rates)]}
        )  # fmt: skip
    data["exemption"] = "art113"
    return data


def run() -> list[dict[str, Any]]:
    os.environ.setdefault("FAKTURNIK_MASTER_KEY", secrets.token_hex(32))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        server = _Server(Path(tmp))
        try:
            client, token = _signed_in(server.url)
            headers = {"X-CSRF-Token": token, "HX-Request": "true"}
            form = _form(50)
            for _ in range(20):  # warm up
                client.post("/faktury/podglad", data=form, headers=headers)
            times = []
            for _ in range(TOTALS_ROUNDS):
                t0 = time.perf_counter()
                r = client.post("/faktury/podglad", data=form, headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200 and "total-gross" in r.text
            rows.append({"name": "web live totals, 50-line form, p95", "value": round(_p(times, 0.95), 2),
                         "unit": "ms", "notes": f"target <= 50 ms; p50 {statistics.median(times):.2f} ms, "
                         f"{TOTALS_ROUNDS} POST /faktury/podglad over HTTP"})  # fmt: skip

            from fakturnik.web.ui.demo import current

            info = current()
            assert info is not None
            t0 = time.perf_counter()
            _fill_store(server.runtime.fk, info.company_id, LIST_INVOICES)
            fill_s = time.perf_counter() - t0
            for _ in range(5):
                client.get("/faktury")
            times = []
            for i in range(LIST_ROUNDS):
                query = "" if i % 2 == 0 else "?status=accepted&month=2026-06"
                t0 = time.perf_counter()
                r = client.get("/faktury" + query)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200 and "Faktury wystawione" in r.text
            notes = (
                f"target <= 150 ms; p50 {statistics.median(times):.2f} ms; 50 rows, count and net, VAT, "
                f"gross and unpaid totals of all matching; half the requests filtered by status and month; "
                f"each row {len(_realistic_xml()):,} B of XML; "
                f"store filled in {fill_s:.1f} s"
            )
            name = f"web invoice list page, {LIST_INVOICES:,} invoices, p95"
            rows.append({"name": name, "value": round(_p(times, 0.95), 2), "unit": "ms", "notes": notes})
        finally:
            server.stop()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
