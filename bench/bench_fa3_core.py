"""FA(3) core throughput on one core: build, write, parse, and build + write + XSD validation.

A "typical invoice" is fakturnik.fa3.samples.make_sample_invoice with 10 lines (four VAT rates,
net prices, PLN). Each row is invoices per CPU second of this process (time.process_time, so other load on the
machine does not count), the best of three timed rounds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fakturnik.fa3.builder import build_invoice
from fakturnik.fa3.parser import parse_invoice
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.fa3.schemas import load_schema
from fakturnik.fa3.writer import write_invoice
from fakturnik.fa3.xmlsafe import parse_xml

SELLER = "5260250274"
N = 2000


def _rate(fn: Callable[[int], object], n: int = N, rounds: int = 3) -> float:
    fn(0)  # warm up caches (schema, plans)
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for i in range(n):
            fn(i)
        best = min(best, time.process_time() - start)
    return n / best


def run() -> list[dict[str, object]]:
    drafts = [make_sample_draft(SELLER, f"FV/BENCH/{i}", lines=10) for i in range(N)]
    invoices = [build_invoice(d) for d in drafts]
    xmls = [write_invoice(inv) for inv in invoices]
    schema = load_schema()

    def full(i: int) -> None:
        xml = write_invoice(build_invoice(drafts[i]))
        if not schema.validate(parse_xml(xml)):
            raise AssertionError(schema.error_log)

    notes = "10-line invoice (make_sample_draft), one core, best of 3 x 2000"
    cases: list[tuple[str, Callable[[int], object]]] = [
        ("fa3 build (draft -> model, totals)", lambda i: build_invoice(drafts[i])),
        ("fa3 write (model -> bytes)", lambda i: write_invoice(invoices[i])),
        ("fa3 parse (bytes -> model)", lambda i: parse_invoice(xmls[i])),
        ("fa3 build + write + XSD validate", full),
    ]
    rows: list[dict[str, object]] = []
    for name, fn in cases:
        rows.append({"name": name, "value": round(_rate(fn)), "unit": "invoices/s", "notes": notes})
    rows[-1]["notes"] = f"{notes}; target >= 3000/s (issue 2)"
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:40} {row['value']:>8} {row['unit']}  ({row['notes']})")
