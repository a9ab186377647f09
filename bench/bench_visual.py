"""What people see: invoice PDFs per second per core and QR link + image per second.

A "typical invoice" is fakturnik.fa3.samples.make_sample_draft with 10 lines, written by draft_to_xml.
Rates are per second of CPU time of this single-threaded process (time.process_time), median of three
rounds; the QR row is KOD I link (SHA-256 of the file) + its SVG with label, the KOD II row adds an
ECDSA P-256 signature.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from fakturnik.fa3.draft_xml import draft_to_xml
from fakturnik.fa3.samples import make_sample_draft

SELLER = "5260250274"


def _rate(fn: Callable[[int], object], n: int, rounds: int = 3) -> float:
    fn(0)
    times: list[float] = []
    for _ in range(rounds):
        start = time.process_time()
        for i in range(n):
            fn(i)
        times.append(time.process_time() - start)
    return n / statistics.median(times)


def _offline_cert():  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")])
    usage = x509.KeyUsage(False, True, False, False, False, False, False, False, False)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x1234)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def run() -> list[dict[str, object]]:
    from fakturnik.ksef.verification_links import certificate_link, invoice_link
    from fakturnik.visual.qr import labelled_svg
    from fakturnik.visual.render import invoice_html, invoice_pdf

    xmls = [draft_to_xml(make_sample_draft(SELLER, f"FV/BENCH/{i}", lines=10)) for i in range(200)]
    base = "https://qr.ksef.mf.gov.pl"
    ksef = "5260250274-20260301-0100001AF629-AF"

    def kod1(i: int) -> object:
        link = invoice_link(base, SELLER, date(2026, 3, 1), xmls[i % len(xmls)])
        return labelled_svg(link, ksef)

    cert, key = _offline_cert()

    def kod2(i: int) -> object:
        link = certificate_link(
            base,
            context_type="Nip",
            context_value=SELLER,
            seller_nip=SELLER,
            certificate=cert,
            private_key=key,
            xml=xmls[i % len(xmls)],
        )
        return labelled_svg(link, "CERTYFIKAT")

    html = _rate(lambda i: invoice_html(xmls[i % len(xmls)], ksef_number=ksef, qr_base=base), 100)
    pdf = _rate(lambda i: invoice_pdf(xmls[i % len(xmls)], ksef_number=ksef, qr_base=base), 8, rounds=3)
    return [
        {
            "name": "visual: invoice PDF, 10 lines, KOD I (WeasyPrint)",
            "value": round(pdf, 2),
            "unit": "PDF/s/core",
            "notes": "target >= 20/s",
        },
        {
            "name": "visual: invoice HTML, 10 lines, KOD I",
            "value": round(html, 1),
            "unit": "pages/s/core",
            "notes": "Jinja2 + inline SVG",
        },
        {
            "name": "visual: KOD I link + SVG image with label",
            "value": round(_rate(kod1, 1000)),
            "unit": "codes/s/core",
            "notes": "target >= 5,000/s",
        },
        {
            "name": "visual: KOD II link (ECDSA P-256) + SVG image",
            "value": round(_rate(kod2, 500)),
            "unit": "codes/s/core",
            "notes": "",
        },
    ]
