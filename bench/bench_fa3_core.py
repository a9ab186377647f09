"""FA(3) core throughput on one core: build, write, parse to the model, and build + write + XSD only.

A "typical invoice" is fakturnik.fa3.samples.make_sample_invoice with 10 lines (four VAT rates,
net prices, PLN), 2,000 distinct ones. Each row is invoices per second of CPU time per core (time.process_time
of this single-threaded process, so other processes' time on the machine does not count), the median of three
timed rounds. The full pipeline with the business rules (what issue 2's target applies to) is in bench_fa3.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.fa3.builder import build_invoice
from fakturnik.fa3.parser import parse_invoice
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.fa3.schemas import load_schema
from fakturnik.fa3.writer import write_invoice

SELLER = "5260250274"
N = 2000


def _rate(fn: Callable[[int], object], n: int = N, rounds: int = 3) -> float:
    fn(0)  # warm up caches (schema, plans)
    times: list[float] = []
    for _ in range(rounds):
        start = time.process_time()
        for i in range(n):
            fn(i)
        times.append(time.process_time() - start)
    return n / statistics.median(times)


def run() -> list[dict[str, object]]:
    drafts = [make_sample_draft(SELLER, f"FV/BENCH/{i}", lines=10) for i in range(N)]
    invoices = [build_invoice(d) for d in drafts]
    xmls = [write_invoice(inv) for inv in invoices]
    schema = load_schema()

    def full(i: int) -> None:
        xml = write_invoice(build_invoice(drafts[i]))
        if not schema.validate(parse_xml(xml)):
            raise AssertionError(schema.error_log)

    notes = "10-line invoice (make_sample_draft), CPU time per core, median of 3 x 2000"
    cases: list[tuple[str, Callable[[int], object]]] = [
        ("fa3 build (draft -> model, totals)", lambda i: build_invoice(drafts[i])),
        ("fa3 write (model -> bytes)", lambda i: write_invoice(invoices[i])),
        ("fa3 parse (bytes -> model)", lambda i: parse_invoice(xmls[i])),
        ("fa3 build + write + parse + XSD (no business rules)", full),
    ]
    rows: list[dict[str, object]] = []
    for name, fn in cases:
        rows.append({"name": name, "value": round(_rate(fn)), "unit": "invoices/s", "notes": notes})
    rows[-1]["notes"] = f"{notes}; XSD only: the target of issue 2 applies to bench_fa3's pipeline row"
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:40} {row['value']:>8} {row['unit']}  ({row['notes']})")
