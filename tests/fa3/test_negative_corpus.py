"""The negative corpus: every broken invoice gives exactly the expected errors (path + code)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fakturnik.fa3.validation import validate_xml
from tests.fa3.negative.cases import CASES, VALID, Case

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _found(case: Case) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    report = validate_xml(case.data(), case.env, now=NOW)  # type: ignore[arg-type]
    return {(p.path, p.code) for p in report.problems}, {(w.path, w.code) for w in report.warnings}


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_broken_invoice_reports_exactly_the_expected_errors(case: Case) -> None:
    errors, warnings = _found(case)
    assert errors == set(case.errors)
    assert set(case.warnings) <= warnings


@pytest.mark.parametrize("case", VALID, ids=lambda c: c.name)
def test_lawful_variation_is_valid(case: Case) -> None:
    errors, warnings = _found(case)
    assert errors == set()
    assert not {code for _, code in warnings} - {"LINE_QTY_PRICE_MISSING"}, warnings
