"""10,000 invoices sent with ``fakturnik ksef send --batch`` against the simulator's production rate limits.

The simulator runs in this process (a thread) with ``profile="prod"`` and its published production
rate-limit table switched on; the CLI (run in-process, KSeF-token login from the environment) throttles
itself with the same table. Counted from the
simulator's own ``GET /admin/stats``: total requests, and that not one answer was a 429. Every invoice
must come back with a KSeF number. Beside it: how long the same invoices would take sent one by one in
online sessions under the same limits (invoiceSend: 10/s, 30/min, 180/h), computed from the table.

Environment: ``FAKTURNIK_BENCH_KSEF_INVOICES`` (default 10000) to try a smaller run.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.fa3.samples import make_nip, make_sample_invoice
from fakturnik.fa3.writer import write_invoice
from fakturnik.ksef import models as m
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.environments import local
from fakturnik.ksef.throttle import Throttle
from fakturnik.ksef.transport import TokenKind, Transport
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer

_SHARED = Path(os.environ.get("FAKTURNIK_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
os.environ.setdefault("FAKTURNIK_SCHEMA_DIR", str(_SHARED / "ksef" / "faktury" / "schemy"))

INVOICES = int(os.environ.get("FAKTURNIK_BENCH_KSEF_INVOICES", "10000"))
SEND_LIMITS = (10, 30, 180)
KSEF_NUMBER = re.compile(
    r"\b\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}\b"
)  # invoiceSend per second, minute, hour (digest §8)


class _Tokens:
    def __init__(self, access: str, context_key: str) -> None:
        self._access = access
        self.context_key = context_key

    def bearer(self, kind: TokenKind) -> str:
        return self._access

    def on_unauthorized(self, kind: TokenKind) -> bool:
        return False


def online_one_by_one_seconds(count: int, per_second: int, per_minute: int, per_hour: int) -> float:
    """Earliest finish of ``count`` sends under sliding 1 s / 1 min / 1 h windows (greedy schedule)."""
    # bursts fill each window; the hour window dominates for large counts
    full_hours, rest = divmod(count, per_hour)
    if rest == 0:
        full_hours, rest = full_hours - 1, per_hour
    minutes, rest_m = divmod(rest, per_minute)
    if rest_m == 0:
        minutes, rest_m = minutes - 1, per_minute
    seconds = -(-rest_m // per_second) - 1
    return full_hours * 3600.0 + minutes * 60.0 + max(0, seconds)


def _invoices(nip: str, count: int) -> list[tuple[str, bytes]]:
    buyer = make_nip("buyer")
    return [
        (f"FV-{i:05d}.xml", write_invoice(make_sample_invoice(nip, f"FV/{i:05d}/2026", 3, buyer_nip=buyer)))
        for i in range(1, count + 1)
    ]


def _active_token(client: KsefClient) -> str:
    created = client.create_token(
        m.GenerateTokenRequest(permissions=["InvoiceWrite", "InvoiceRead"], description="bench batch")
    )
    for _ in range(200):
        if client.token_status(created.referenceNumber).status == "Active":
            return created.token
        time.sleep(0.05)
    raise RuntimeError("KSeF token did not become active")


def run() -> list[dict[str, Any]]:
    nip = make_nip("bench-ksef-batch")
    started = time.perf_counter()
    invoices = _invoices(nip, INVOICES)
    build_seconds = time.perf_counter() - started
    config = SimulatorConfig(profile="prod", rate_limits_enabled=True)
    with SimulatorServer(config) as server, tempfile.TemporaryDirectory() as tmp:
        minted = mint_session(
            server.sim, context_type="Nip", context_value=nip, subject_type="Nip", subject_value=nip
        )
        setup = Transport(
            local(server.base_url), tokens=_Tokens(minted["accessToken"], f"Nip:{nip}"), throttle=Throttle()
        )
        token = _active_token(KsefClient(setup))
        setup.close()
        files = []
        for name, xml in invoices:
            path = Path(tmp) / name
            path.write_bytes(xml)
            files.append(str(path))
        httpx.post(f"{server.root_url}/admin/stats/reset")
        t0 = time.perf_counter()
        # exactly what a user runs: fakturnik ksef send --batch FILE... (token from the environment)
        outcome = CliRunner().invoke(
            app,
            [
                "ksef",
                "--env",
                server.base_url,
                "--nip",
                nip,
                "send",
                "--batch",
                "--workdir",
                f"{tmp}/b",
                *files,
            ],
            env={"FAKTURNIK_KSEF_TOKEN": token},
        )
        wall = time.perf_counter() - t0
        stats = httpx.get(f"{server.root_url}/admin/stats").json()
    if outcome.exit_code != 0:
        raise RuntimeError(f"fakturnik ksef send --batch failed: {outcome.output[-2000:]}")
    numbered = len(set(KSEF_NUMBER.findall(outcome.stdout)))
    too_many = int(stats["byStatus"].get("429", 0))
    total = int(stats["total"])
    online = online_one_by_one_seconds(INVOICES, *SEND_LIMITS)
    if numbered != INVOICES or too_many:
        raise RuntimeError(f"batch bench failed: {numbered}/{INVOICES} numbered, {too_many} × 429")
    note = f"{INVOICES} invoices, prod rate limits, `fakturnik ksef send --batch` (token login, Zip)"
    return [
        {"name": "KSeF batch: wall time", "value": round(wall, 2), "unit": "s", "notes": note},
        {
            "name": "KSeF batch: invoices/s",
            "value": round(INVOICES / wall, 1),
            "unit": "inv/s",
            "notes": note,
        },
        {
            "name": "KSeF batch: requests per invoice",
            "value": round(total / INVOICES, 5),
            "unit": "req/inv",
            "notes": f"{total} requests seen by the simulator (login and part uploads included)",
        },
        {
            "name": "KSeF batch: HTTP 429 answers",
            "value": too_many,
            "unit": "count",
            "notes": "admin stats byStatus",
        },
        {
            "name": "KSeF batch: invoices with a KSeF number",
            "value": numbered,
            "unit": "count",
            "notes": f"of {INVOICES}",
        },
        {
            "name": "KSeF online one by one (computed)",
            "value": round(online / 3600, 1),
            "unit": "h",
            "notes": f"same {INVOICES} invoices under invoiceSend 10/s, 30/min, 180/h",
        },
        {
            "name": "KSeF batch speed-up vs online",
            "value": round(online / wall, 0),
            "unit": "×",
            "notes": "computed online time / measured batch wall time",
        },
        {
            "name": "Invoice generation for the batch bench",
            "value": round(INVOICES / build_seconds, 0),
            "unit": "inv/s",
            "notes": "fa3.samples + writer, 3 lines each (not part of the wall time above)",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']} ({row['notes']})")
