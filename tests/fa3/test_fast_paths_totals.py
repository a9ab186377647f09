"""The net-entry shortcuts for totals (builder and rules) give exactly what the general code gives."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import InvoiceValidationError
from fakturnik.fa3.amounts import compute_totals
from fakturnik.fa3.builder import (
    _NOT_PLAIN,
    _line_amounts,
    _plain_net_totals,
    build_invoice,
    invoice_tax_method,
)
from fakturnik.fa3.rules.base import Invoice, tag
from fakturnik.fa3.rules.totals import _differences, _net_reading_agrees, supplied_totals
from fakturnik.fa3.rules.totals import _line_amounts as rule_line_amounts
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.fa3.writer import write_invoice
from tests.fa3.test_properties import drafts

SELLER = "5260250274"


def _general_builder_totals(invoice: Any) -> tuple[dict[str, str], str] | None:
    amounts = _line_amounts(invoice.Fa, "net")
    if amounts is None:
        return None
    totals = compute_totals(amounts, method="net")
    return {k: str(v) for k, v in totals.fields.items() if not k.endswith("W")}, str(totals.p_15)


def _check_builder(invoice: Any) -> None:
    plain = _plain_net_totals(invoice.Fa)
    if plain is _NOT_PLAIN:
        return
    want = _general_builder_totals(invoice)
    got = None if plain is None else ({k: str(v) for k, v in plain.fields.items()}, str(plain.p_15))
    assert got == want  # same values written the same way (str), same field order


def _check_rules(xml: bytes) -> None:
    inv = Invoice.of(parse_xml(xml))
    supplied = supplied_totals(inv)
    amounts = rule_line_amounts(inv, "net")
    general = amounts is not None and not _differences(supplied, compute_totals(amounts, method="net").fields)
    fast = _net_reading_agrees(inv, supplied)
    assert not fast or general
    plain_lines = all(
        line.has("P_11") and line.has("P_12") and not line.has("P_12_XII") and not line.has("StanPrzed")
        for line in inv.lines
    )
    if plain_lines:
        assert fast == general


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts(), st.integers(min_value=0, max_value=3))
def test_shortcuts_agree_with_the_general_code(case: tuple[dict[str, Any], str | None], tweak: int) -> None:
    draft, method = case
    try:
        invoice = build_invoice(draft, method=method)  # type: ignore[arg-type]
    except (InvoiceValidationError, ValueError):
        return
    _check_builder(invoice)
    xml = write_invoice(invoice)
    _check_rules(xml)
    if tweak and invoice.Fa.P_13_1 is not None:  # a supplied total off by 0.01 * tweak
        changed = invoice.Fa.P_13_1 + Decimal(tweak) / 100
        _check_rules(re.sub(rb"<P_13_1>[^<]*<", b"<P_13_1>" + str(changed).encode() + b"<", xml, count=1))


@pytest.mark.parametrize(
    "change",
    [
        lambda line: line.update(StanPrzed=1),
        lambda line: line.update(P_9A="100", P_8B="1", P_11="100"),
        lambda line: line.update(P_9A="100", P_8B="1", P_11="100", StanPrzed=1),
        lambda line: line.update(P_8B="-1"),
        lambda line: line.update(P_9A="0.00", P_8B="-1"),
        lambda line: line.update(P_12="0 KR"),
        lambda line: line.update(P_12="np I"),
        lambda line: line.update(P_9A="1234567890.12", P_8B="999999"),
    ],
)
def test_shortcuts_agree_on_unusual_lines(change: Any) -> None:
    draft = make_sample_draft(SELLER, "FV/FAST/1", lines=4)
    for line in draft["Fa"]["FaWiersz"][::2]:
        change(line)
    try:
        invoice = build_invoice(draft)
    except InvoiceValidationError:
        return
    _check_builder(invoice)
    _check_rules(write_invoice(invoice))


def test_rules_shortcut_leaves_odd_values_to_the_general_code() -> None:
    xml = write_invoice(build_invoice(make_sample_draft(SELLER, "FV/FAST/2", lines=3)))
    text = xml.decode()
    first_net = text.split("<P_11>", 1)[1].split("<", 1)[0]
    for odd in (f" {first_net} ", f"{first_net}0", f"+{first_net}", "NaN", "1E+2", ""):
        _check_rules(text.replace(f"<P_11>{first_net}<", f"<P_11>{odd}<", 1).encode())
    assert tag("P_11") in Invoice.of(parse_xml(xml)).lines[0].values


def _built_both_ways(draft: dict[str, Any]) -> tuple[Any, Any] | None:
    """(the default build, the general path's build) of a draft, or None when the draft is refused."""
    try:
        fast = build_invoice(copy.deepcopy(draft))
    except (InvoiceValidationError, ValueError):
        return None
    general = build_invoice(copy.deepcopy(draft), method=invoice_tax_method(fast.Fa))
    return fast, general


def _assert_same_build(draft: dict[str, Any]) -> None:
    built = _built_both_ways(draft)
    if built is None:
        return
    fast, general = built
    assert write_invoice(fast) == write_invoice(general)
    assert fast.Fa.model_fields_set == general.Fa.model_fields_set
    for a, b in zip(fast.Fa.FaWiersz, general.Fa.FaWiersz, strict=True):
        assert a.model_fields_set == b.model_fields_set


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts())
def test_builder_one_pass_equals_the_general_path(case: tuple[dict[str, Any], str | None]) -> None:
    _assert_same_build(case[0])


@pytest.mark.parametrize(
    "change",
    [
        lambda d: None,
        lambda d: d["Fa"]["FaWiersz"][0].update(P_10="0.50"),
        lambda d: d["Fa"]["FaWiersz"][0].pop("P_8B"),
        lambda d: d["Fa"]["FaWiersz"][1].update(P_8B="-2"),
        lambda d: d["Fa"]["FaWiersz"][1].update(P_12="np II"),
        lambda d: d["Fa"]["FaWiersz"][1].update(StanPrzed=1),
        lambda d: d["Fa"]["FaWiersz"][1].update(P_11="1.00"),
        lambda d: d["Fa"].update(P_15="1.00"),
        lambda d: d["Fa"].update(P_13_1="1.00"),
        lambda d: d["Fa"].update(RodzajFaktury="ROZ"),
    ],
)
def test_builder_one_pass_equals_the_general_path_on_edges(change: Any) -> None:
    draft = make_sample_draft(SELLER, "FV/FAST/3", lines=4)
    change(draft)
    _assert_same_build(draft)
    assert _built_both_ways(make_sample_draft(SELLER, "FV/FAST/4", lines=10)) is not None
