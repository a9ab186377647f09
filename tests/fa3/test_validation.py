"""validate_xml / validate_tree / validate_invoice behaviour beyond the corpus: API, env, helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fakturnik.errors import InvoiceValidationError
from fakturnik.fa3.rules.document import first_discouraged_char
from fakturnik.fa3.validation import ValidationReport, validate_invoice, validate_xml
from tests.fa3.negative.cases import BASES

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_report_api() -> None:
    report = validate_xml(BASES["vat"], "prod", now=NOW)
    assert report.ok and bool(report) and report.problems == [] and report.codes() == []
    report.raise_for_problems()


def test_all_problems_reported_at_once() -> None:
    data = (
        BASES["vat"]
        .replace(b"<NIP>5260250274</NIP>", b"<NIP>5260250275</NIP>")
        .replace(b"<P_13_1>200.00</P_13_1>", b"<P_13_1>201.00</P_13_1>")
        .replace(b"<P_7>Konsultacje techniczne</P_7>", b"")
        .replace(b"<P_1>2026-03-02</P_1>", b"<P_1>2049-03-02</P_1>")
    )
    report = validate_xml(data, "prod", now=NOW)
    assert set(report.codes()) == {
        "NIP_CHECKSUM",
        "TOTALS_MISMATCH",
        "TOTALS_P15",
        "LINE_NAME_MISSING",
        "DATE_ISSUE_FUTURE",
    }
    with pytest.raises(InvoiceValidationError) as exc:
        report.raise_for_problems()
    assert len(exc.value.problems) == 5


def test_unknown_env_is_refused() -> None:
    with pytest.raises(ValueError):
        validate_xml(BASES["vat"], "qa")  # type: ignore[arg-type]


def test_bytearray_input_is_accepted() -> None:
    assert validate_xml(bytearray(BASES["vat"]), now=NOW).ok  # type: ignore[arg-type]


def test_messages_are_polish_and_carry_no_lxml_namespaces() -> None:
    data = BASES["vat"].replace(b"<P_12>8</P_12>", b"<P_12>9</P_12>")
    (problem,) = validate_xml(data, now=NOW).problems
    assert "{http" not in problem.message
    assert "Niepoprawna wartość P_12" in problem.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zwykły tekst ąęłóśżźćń", None),
        ("a\x7fb", "\x7f"),
        ("a\x85b", None),
        ("a\x86b", "\x86"),
        ("x\ufdd0", "\ufdd0"),
        ("x\ufdefy", "\ufdef"),
        ("x\ufdf0", None),
        ("\uffff", "\uffff"),
        ("\U0001fffe", "\U0001fffe"),
        ("\U0010ffff", "\U0010ffff"),
        ("\U0001f600 emoji", None),
    ],
)
def test_discouraged_characters(text: str, expected: str | None) -> None:
    assert first_discouraged_char(text.encode()) == expected


def test_validate_invoice_model_roundtrip() -> None:
    from fakturnik.fa3.parser import parse_invoice

    report = validate_invoice(parse_invoice(BASES["vat"]), now=NOW)
    assert isinstance(report, ValidationReport)
    assert report.ok, report.all


@pytest.mark.parametrize("lines", [1, 4, 5, 10, 25])
def test_sample_builder_invoices_are_valid(lines: int) -> None:
    """fakturnik.fa3.samples (used by the simulator, the engine and the benchmarks) passes every rule."""
    from fakturnik.fa3.samples import make_sample_invoice

    report = validate_invoice(make_sample_invoice("5260250274", f"FV/{lines}", lines=lines), now=NOW)
    assert report.ok, [str(p) for p in report.problems]


def test_invoice_with_attachment_may_exceed_one_megabyte() -> None:
    from tests.conftest import SAMPLES_DIR

    data = (SAMPLES_DIR / "csharp-core__invoice-template-fa-3-with-attachment.xml").read_bytes()
    padded = data.replace(b"</Faktura>", b"<!--" + b"x" * 1_500_000 + b"--></Faktura>")
    report = validate_xml(padded, "test", now=NOW)
    assert "XML_TOO_LARGE" not in report.codes()
    assert report.ok, report.problems
