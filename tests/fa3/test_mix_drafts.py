"""The FA(3) benchmark's mix of drafts as people write them: each valid, and both draft paths agree."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from bench.bench_fa3 import _interleaved, mix_shapes

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.fa3.builder import build_invoice
from fakturnik.fa3.draft_xml import _direct, draft_to_xml
from fakturnik.fa3.rules import RuleContext
from fakturnik.fa3.rules.usual import usual_invoice_passes
from fakturnik.fa3.validation import validate_xml
from fakturnik.fa3.writer import write_invoice

SHAPES = mix_shapes()


@pytest.mark.parametrize(("name", "share", "make"), SHAPES, ids=[s[0] for s in SHAPES])
def test_a_shape_is_valid_and_written_alike_by_both_paths(
    name: str, share: float, make: Callable[[int], dict[str, Any]]
) -> None:
    for i in (0, 7):
        draft = make(i)
        xml = draft_to_xml(draft)
        assert xml == write_invoice(build_invoice(draft))
        report = validate_xml(xml, "prod")
        assert report.ok, report.problems
        assert not report.warnings, report.warnings
    # every shape is one the direct writer takes and the usual-invoice gate accepts
    assert _direct(copy.deepcopy(make(0))) is not None
    assert usual_invoice_passes(parse_xml(draft_to_xml(make(0))), RuleContext(env="prod"))


def test_the_mix_adds_up_and_interleaves_by_share() -> None:
    shares = [share for _, share, _ in SHAPES]
    assert sum(shares) == pytest.approx(1.0)
    order = _interleaved(shares, 1000)
    for k, share in enumerate(shares):
        assert order.count(k) == pytest.approx(share * 1000, abs=1)
    assert order[:50].count(0) in (10, 11, 12)  # interleaved, not in blocks


def test_the_issues_case_takes_the_direct_writer_with_strings_and_with_numbers() -> None:
    """The 10-line invoice with payment terms and a bank account, amounts as JSON strings or numbers."""
    from bench.bench_fa3 import _as_json, _lines, _with_numbers

    for convert in (_as_json, _with_numbers):
        draft = convert(_lines(10)(3))
        platnosc = draft["Fa"]["Platnosc"]
        assert platnosc["TerminPlatnosci"] and platnosc["RachunekBankowy"]
        direct = _direct(copy.deepcopy(draft))
        assert direct is not None
        assert direct == draft_to_xml(draft) == write_invoice(build_invoice(draft))
        assert validate_xml(direct, "prod").ok
    numbers = _with_numbers(_lines(10)(3))["Fa"]["FaWiersz"][0]
    assert type(numbers["P_9A"]) is float and type(numbers["P_8B"]) is int
