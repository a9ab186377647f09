"""The shortcuts taken for throughput give the same answers as the plain ways they replace."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import InvoiceError
from fakturnik.fa3.amounts import line_value
from fakturnik.fa3.builder import _priced_value
from fakturnik.fa3.model import NS
from fakturnik.fa3.rules import RuleContext, run_rules
from fakturnik.fa3.rules.base import Invoice
from fakturnik.fa3.samples import make_sample_invoice
from fakturnik.fa3.validation import byte_problem, validate_xml
from fakturnik.fa3.writer import write_invoice, write_invoice_text

SELLER = "5260250274"


@pytest.mark.parametrize(
    "char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ud800", "\ufffe", "\uffff"]
)
def test_write_invoice_refuses_what_write_invoice_text_refuses(char: str) -> None:
    invoice = make_sample_invoice(SELLER, "FV/F/1", lines=2)
    invoice.Fa.FaWiersz[1].__dict__["P_7"] = f"zły{char}znak"
    with pytest.raises(InvoiceError) as from_text:
        write_invoice_text(invoice)
    with pytest.raises(InvoiceError) as from_bytes:
        write_invoice(invoice)
    assert str(from_bytes.value) == str(from_text.value)


@pytest.mark.parametrize("char", ["\t", "\n", "\r", "\x7f", "\ufffd", "\ufdd0", "\U0001f600", "ż"])
def test_write_invoice_accepts_what_xml_allows(char: str) -> None:
    invoice = make_sample_invoice(SELLER, "FV/F/2", lines=2)
    invoice.Fa.FaWiersz[0].__dict__["P_7"] = f"a{char}b"
    assert write_invoice(invoice) == write_invoice_text(invoice).encode("utf-8")


def test_priced_value_equals_line_value_including_negative_zero() -> None:
    quantities = [
        None,
        Decimal(1),
        Decimal(-1),
        Decimal("-0"),
        Decimal("2.5"),
        Decimal("0.333"),
        Decimal("1E+2"),
    ]
    prices = [Decimal(0), Decimal("-0"), Decimal("0.00"), Decimal("12.345"), Decimal(-5), Decimal("0.005")]
    discounts = [None, Decimal(0), Decimal("1.10"), Decimal("12.345")]
    for q, p, d in itertools.product(quantities, prices, discounts):
        want = line_value(q, p - (d or Decimal(0)))
        got = _priced_value(q, p, d)
        assert str(got) == str(want), (q, p, d)


def _line_xml(extra: str) -> bytes:
    xml = write_invoice(make_sample_invoice(SELLER, "FV/F/3", lines=1)).decode()
    return xml.replace("<P_7>", f"{extra}<P_7>", 1).encode()


def test_one_line_path_has_no_index_and_comments_in_a_line_are_ignored() -> None:
    root = parse_xml(_line_xml("<!-- uwaga -->"))
    inv = Invoice.of(root)
    assert [line.path for line in inv.lines] == ["Fa/FaWiersz"]
    assert inv.lines[0].get("P_7") is not None and inv.lines[0].has("P_12")
    assert run_rules(root, RuleContext(env="prod")) == []


def test_rules_see_the_same_with_a_prefixed_namespace() -> None:
    xml = write_invoice(make_sample_invoice(SELLER, "FV/F/4", lines=3))
    prefixed = xml.replace(f'<Faktura xmlns="{NS}"'.encode(), f'<f:Faktura xmlns:f="{NS}"'.encode())
    text = prefixed.decode()
    head, body = text.split("?>", 1)
    body = re.sub(r"<(/?)(?!f:)([A-Za-z_])", r"<\1f:\2", body)
    assert validate_xml(f"{head}?>{body}".encode(), "prod").ok


def test_byte_checks_still_find_dtd_and_size() -> None:
    xml = write_invoice(make_sample_invoice(SELLER, "FV/F/5", lines=1))
    with_dtd = xml.replace(b"?>\n", b'?>\n<!DOCTYPE Faktura [<!ENTITY x "y">]>\n', 1)
    problem = byte_problem(with_dtd)
    assert problem is not None and problem.code == "XML_DTD"
    big = xml.replace(b"</Faktura>", b"<!-- " + b"x" * 1_000_001 + b" --></Faktura>")
    problem = byte_problem(big)
    assert problem is not None and problem.code == "XML_TOO_LARGE"
    assert byte_problem(xml) is None


def _bounded_decimal(value: str) -> Decimal | None:
    """rules.base.decimal as it was written before its shortcut: every bound looked at."""
    from decimal import InvalidOperation

    if len(value) > 64:
        return None
    try:
        result = Decimal(value)
    except InvalidOperation:
        return None
    if not result.is_finite() or result.adjusted() >= 23 or result.as_tuple().exponent < -20:  # type: ignore[operator]
        return None
    return result


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789.-+eE_ ", max_size=30) | st.decimals(allow_nan=False).map(str))
def test_the_rules_decimal_reading_keeps_every_bound(value: str) -> None:
    from fakturnik.fa3.rules.base import decimal

    assert repr(decimal(value)) == repr(_bounded_decimal(value))


@pytest.mark.parametrize(
    "value",
    ["0.12345678901234567890", "0.1234567890123456789", "1.000000000000000000001", "1E-21", "1e-20", "-.1"],
)
def test_the_rules_decimal_reading_at_the_decimal_places_bound(value: str) -> None:
    from fakturnik.fa3.rules.base import decimal

    assert repr(decimal(value)) == repr(_bounded_decimal(value))
