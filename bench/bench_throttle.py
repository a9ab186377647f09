"""What the client-side throttle costs per request: books in memory vs books shared by the machine.

A request takes one slot (``Throttle.slot``: acquire + release) under limits it never reaches, so the
rows measure bookkeeping, not waiting. The shared books (ksef/throttle_ledger.py, an SQLite file)
read every slot of the counter still in the hour window on each reservation, so their cost grows
with the traffic of that counter in the last hour; rows at 100 and 3,000 slots show the range
(the published limits allow at most 1,200 an hour for any throttled group but the public one).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from fakturnik.ksef.rate_limits import RateLimit
from fakturnik.ksef.throttle import Throttle
from fakturnik.ksef.throttle_ledger import HostLedger

GENEROUS = {"other": RateLimit(1_000_000, 10**8, 10**9)}


def _per_request(throttle: Throttle, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        with throttle.slot("other", "Nip:5265877635"):
            pass
    return (time.perf_counter() - start) / count


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    memory = _per_request(Throttle(GENEROUS), 20_000)
    rows.append(
        {
            "name": "throttle slot, books in memory",
            "value": round(memory * 1e6, 1),
            "unit": "µs/request",
            "notes": "acquire + release, one process (20,000 requests)",
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        for filled in (100, 3000):
            throttle = Throttle(GENEROUS, ledger=HostLedger(Path(tmp) / f"books-{filled}.sqlite"))
            _per_request(throttle, filled)  # that many slots of this counter now sit in the hour window
            cost = _per_request(throttle, 500)
            rows.append(
                {
                    "name": f"throttle slot, books shared by the machine ({filled:,} slots in the hour)",
                    "value": round(cost * 1e6, 1),
                    "unit": "µs/request",
                    "notes": "acquire + release through the SQLite ledger (two transactions), 500 requests",
                }
            )
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:70} {row['value']:>9} {row['unit']}  {row['notes']}")
