"""The FA(3) document read once: its summary, its validation report and a new number from one parse."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from fakturnik.engine import fields
from fakturnik.errors import InvoiceParseError, XmlSecurityError
from fakturnik.fa3.document import read_document
from fakturnik.fa3.samples import make_sample_correction, make_sample_invoice
from fakturnik.fa3.validation import validate_xml
from fakturnik.fa3.writer import write_invoice
from tests.conftest import SAMPLES_DIR
from tests.fa3.negative.cases import CASES, VALID, Case

SELLER = "5265877635"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SAMPLES = sorted(SAMPLES_DIR.glob("*.xml"))


def _report(report: object) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    problems = getattr(report, "problems")  # noqa: B009
    warnings = getattr(report, "warnings")  # noqa: B009
    return [(p.path, p.code, p.message) for p in problems], [(w.path, w.code, w.message) for w in warnings]


def test_the_sample_corpus_is_there() -> None:
    assert len(SAMPLES) >= 50


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_a_sample_reads_as_the_engine_lists_it_and_validates_as_its_bytes(path: Path) -> None:
    data = path.read_bytes()
    try:
        document = read_document(data)
    except (XmlSecurityError, InvoiceParseError):
        with pytest.raises((XmlSecurityError, InvoiceParseError)):
            fields.read_fields(data)
        return
    found, summary = fields.read_fields(data), document.summary
    assert document.data is data
    for name in (
        "number",
        "kind",
        "issue_date",
        "seller_nip",
        "seller_name",
        "buyer_name",
        "gross",
        "currency",
    ):
        assert getattr(summary, name) == getattr(found, name), name
    assert summary.buyer_id == (found.buyer_id or summary.buyer_id)
    for env in ("prod", "test"):
        assert _report(document.validate(env, now=NOW)) == _report(validate_xml(data, env, now=NOW))


@pytest.mark.parametrize("case", CASES + VALID, ids=lambda c: c.name)
def test_a_broken_invoice_reports_the_same_from_the_document(case: Case) -> None:
    data = case.data()
    try:
        document = read_document(data)
    except (XmlSecurityError, InvoiceParseError):
        return  # refused before validation, as issue() refuses it
    assert _report(document.validate(case.env, now=NOW)) == _report(  # type: ignore[arg-type]
        validate_xml(data, case.env, now=NOW)  # type: ignore[arg-type]
    )


def test_the_summary_has_the_totals_dates_and_what_is_corrected() -> None:
    invoice = make_sample_invoice(SELLER, "FV/7/2026", lines=3, issue_date=date(2026, 3, 2))
    summary = read_document(write_invoice(invoice)).summary
    assert (summary.number, summary.kind, summary.issue_date) == ("FV/7/2026", "VAT", date(2026, 3, 2))
    assert summary.gross == invoice.Fa.P_15
    assert summary.net is not None and summary.vat is not None
    assert summary.net + summary.vat == summary.gross
    correction = read_document(write_invoice(make_sample_correction(invoice, "KOR/1/2026"))).summary
    assert correction.kind == "KOR" and correction.corrected_numbers == ("FV/7/2026",)
    assert correction.number == "KOR/1/2026" and isinstance(correction.gross, Decimal)


def test_renumbered_is_the_engine_template_fill_and_validates_as_its_bytes() -> None:
    data = write_invoice(make_sample_invoice(SELLER, "AUTO", lines=2))
    stamp = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    expected = fields.fill_template(data, number="FV/2026/000042", created_at=stamp)
    document = read_document(data).renumbered("FV/2026/000042", created_at=stamp)
    assert document.data == expected
    assert document.summary.number == "FV/2026/000042"
    assert _report(document.validate("prod", now=NOW)) == _report(validate_xml(expected, "prod", now=NOW))
    assert document.validate("prod", now=NOW).ok


def test_hostile_or_foreign_bytes_are_refused_on_reading() -> None:
    with pytest.raises(XmlSecurityError):
        read_document(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Faktura>&a;</Faktura>')
    with pytest.raises(XmlSecurityError):
        read_document(b"<Faktura><Fa>")
    with pytest.raises(InvoiceParseError):
        read_document(b"<Upo/>")
    with pytest.raises(InvoiceParseError, match="P_2"):
        read_document(b"<Faktura/>").renumbered("X/1")
