"""Scale: 3 ``fakturnik worker`` processes, one PostgreSQL store, 10,000 invoices, production limits.

The workers pose as three machines behind one IP (``FAKTURNIK_THROTTLE_HOST``): only the throttle's
books in the store (``store/throttle_books.py``) keep them together inside KSeF's limits. The run
itself is ``bench/scale.py``; the suite runs a smaller one (tests/store/test_scale_workers.py).

PostgreSQL: ``$FAKTURNIK_TEST_PG_URL`` (an administrative URL; a throwaway database is made and
dropped), else the server of ``scripts/postgres.sh`` is started. ``FAKTURNIK_BENCH_SCALE_INVOICES``
(default 10000) for a smaller run.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[1]
_SHARED = Path(os.environ.get("FAKTURNIK_SHARED_DIR", _ROOT.parent / "shared"))
os.environ.setdefault("FAKTURNIK_SCHEMA_DIR", str(_SHARED / "ksef" / "faktury" / "schemy"))

INVOICES = int(os.environ.get("FAKTURNIK_BENCH_SCALE_INVOICES", "10000"))
WORKERS = 3


def admin_url() -> str:
    url = os.environ.get("FAKTURNIK_TEST_PG_URL")
    if url:
        return url
    out = subprocess.run(
        ["bash", "-c", '. scripts/postgres.sh >/dev/null; echo "$FAKTURNIK_TEST_PG_URL"'],
        cwd=_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not out:
        raise RuntimeError("no PostgreSQL server (scripts/postgres.sh could not start one)")
    return out


def run() -> list[dict[str, Any]]:
    from bench.scale import run_scale

    r = run_scale(admin_url(), invoices=INVOICES, workers=WORKERS, claim_limit=1000, batch_min=50)
    if r.worker_codes != [0] * WORKERS:
        raise RuntimeError(f"workers exited with {r.worker_codes}: {r.worker_log[-1500:]}")
    note = f"{INVOICES} invoices, {WORKERS} worker processes posing as 3 machines behind one IP, PostgreSQL"
    return [
        {
            "name": "scale: every invoice with its KSeF number",
            "value": round(r.numbers_seconds, 1),
            "unit": "s",
            "notes": f"{note}; production limit profile; books in the store; from the workers' start",
        },
        {
            "name": "scale: delivered with every UPO",
            "value": round(r.deliver_seconds, 1),
            "unit": "s",
            "notes": f"until the last `worker --once` exited; UPO stored for {r.with_upo}",
        },
        {
            "name": "scale: 429 answers",
            "value": r.too_many,
            "unit": "responses",
            "notes": f"must be 0; {r.requests} requests in all (pre-signed links and part uploads included)",
        },
        {
            "name": "scale: registered in KSeF exactly once",
            "value": r.matching,
            "unit": "invoices",
            "notes": f"of {INVOICES}: accepted {r.accepted}, distinct numbers {r.distinct_numbers}, "
            f"registered {r.registered}, twice {r.registered_twice}; slots of {r.hosts_in_books} "
            "machines in the books",
        },
        {
            "name": "scale: issue into the PostgreSQL outbox",
            "value": round(INVOICES / r.issue_seconds, 1),
            "unit": "invoices/s",
            "notes": "the app's bulk path (invoices.issue_many, 1,000 XML documents per call, chunks of 500 "
            "per transaction: XSD + rules + number + outbox + audit), before the workers start",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
