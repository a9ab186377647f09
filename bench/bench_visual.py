"""What people see, per core: PDFs of a typical 10-line invoice, and a KOD I link with its QR image.

CPU time of this process (``time.process_time``), so the machine's other load moves the numbers less.
Targets (issue 13): ≥ 20 PDFs/s and ≥ 5,000 QR link + image per second per core.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from fakturnik.fa3.samples import make_sample_invoice
from fakturnik.fa3.writer import write_invoice
from fakturnik.ksef.verification_links import invoice_link
from fakturnik.visual.qr import encoder, qr_png, qr_svg
from fakturnik.visual.render import invoice_html, invoice_pdf

QR = "https://qr-test.ksef.mf.gov.pl"
KSEF = "5265877635-20261207-010040741B3E-46"


def _rate(fn: Any, count: int) -> float:
    fn(0)  # warm-up: templates compiled, fonts loaded
    start = time.process_time()
    for i in range(count):
        fn(i)
    return count / (time.process_time() - start)


def run() -> list[dict[str, Any]]:
    xml = write_invoice(make_sample_invoice("5265877635", "FV/2026/12/1", 10, issue_date=date(2026, 12, 7)))
    xmls = [xml.replace(b"FV/2026/12/1", f"FV/2026/12/{i}".encode()) for i in range(2000)]
    pdf = _rate(lambda i: invoice_pdf(xmls[i % 2000], qr_base=QR, ksef_number=KSEF), 100)
    html = _rate(lambda i: invoice_html(xmls[i % 2000], qr_base=QR, ksef_number=KSEF), 200)
    svg = _rate(lambda i: qr_svg(invoice_link(QR, "5265877635", date(2026, 12, 7), xmls[i % 2000])), 2000)
    png = _rate(lambda i: qr_png(invoice_link(QR, "5265877635", date(2026, 12, 7), xmls[i % 2000])), 1000)
    return [
        {"name": "invoice PDF, 10 lines, with KOD I", "value": round(pdf, 1), "unit": "PDF/s per core",
         "notes": "ReportLab page flow, DejaVu subset, vector QR; target ≥ 20/s"},
        {"name": "invoice HTML, 10 lines, with KOD I", "value": round(html, 1), "unit": "pages/s per core",
         "notes": "Jinja2 + QR as SVG path"},
        {"name": "KOD I link + QR image (SVG)", "value": round(svg), "unit": "codes/s per core",
         "notes": f"SHA-256, link, {encoder()} level M, ISO 18004 mask choice, SVG path; target ≥ 5,000/s"},
        {"name": "KOD I link + QR image (PNG)", "value": round(png), "unit": "codes/s per core",
         "notes": "as above, PNG scale 4"},
    ]  # fmt: skip


if __name__ == "__main__":
    for row in run():
        print(row)
