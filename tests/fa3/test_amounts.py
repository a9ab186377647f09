"""The VAT-rate vocabulary against the XSD, and the pure arithmetic of fakturnik.fa3.amounts."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from lxml import etree

from fakturnik.fa3.amounts import (
    MARGIN_FIELDS,
    OSS_FIELDS,
    RATE_FIELDS,
    SUMMARY_FIELDS_ORDER,
    VAT_RATES,
    LineAmount,
    compute_totals,
    line_value,
    round_grosze,
    summary_fields_for,
)
from fakturnik.fa3.model import Fa
from tests.conftest import SCHEMA_DIR

XS = "{http://www.w3.org/2001/XMLSchema}"
FA3_XSD = SCHEMA_DIR / "FA" / "schemat_FA(3)_v1-0E.xsd"


def _xsd() -> etree._Element:
    return etree.parse(str(FA3_XSD)).getroot()


def test_vat_rates_are_exactly_the_schema_enumeration() -> None:
    st = _xsd().find(f"{XS}simpleType[@name='TStawkaPodatku']")
    assert st is not None
    assert tuple(e.get("value") for e in st.iter(f"{XS}enumeration")) == VAT_RATES
    assert set(RATE_FIELDS) == set(VAT_RATES)


def test_summary_fields_exist_in_fa_in_schema_order() -> None:
    fields = list(Fa.model_fields)
    positions = [fields.index(name) for name in SUMMARY_FIELDS_ORDER]
    assert positions == sorted(positions)
    for group in [*RATE_FIELDS.values(), OSS_FIELDS, MARGIN_FIELDS]:
        for name in (group.net, group.vat, group.vat_pln):
            assert name is None or name in SUMMARY_FIELDS_ORDER


@pytest.mark.parametrize(
    ("rate", "net", "vat"),
    [
        ("23", "P_13_1", "P_14_1"),
        ("22", "P_13_1", "P_14_1"),
        ("8", "P_13_2", "P_14_2"),
        ("7", "P_13_2", "P_14_2"),
        ("5", "P_13_3", "P_14_3"),
        ("4", "P_13_4", "P_14_4"),
        ("3", "P_13_4", "P_14_4"),
        ("0 KR", "P_13_6_1", None),
        ("0 WDT", "P_13_6_2", None),
        ("0 EX", "P_13_6_3", None),
        ("zw", "P_13_7", None),
        ("np I", "P_13_8", None),
        ("np II", "P_13_9", None),
        ("oo", "P_13_10", None),
    ],
)
def test_rate_mapping(rate: str, net: str, vat: str | None) -> None:
    fields = summary_fields_for(rate)
    assert (fields.net, fields.vat) == (net, vat)


def test_oss_and_margin_mapping_and_errors() -> None:
    assert summary_fields_for(None, oss_rate=D("19")).net == "P_13_5"
    assert summary_fields_for("23", margin=True).net == "P_13_11"
    with pytest.raises(ValueError, match="P_12"):
        summary_fields_for(None)
    with pytest.raises(ValueError, match="Nieznana stawka"):
        summary_fields_for("24")


def test_rounding_is_half_up_to_grosze() -> None:
    assert round_grosze(D("0.005")) == D("0.01")
    assert round_grosze(D("-0.005")) == D("-0.01")
    assert round_grosze(D("2.675")) == D("2.68")
    assert line_value(D("3"), D("0.335")) == D("1.01")
    assert line_value(None, D("10")) == D("10.00")
    assert line_value(D("2"), D("10"), D("1.50")) == D("18.50")


def test_net_method_taxes_the_per_rate_sum_not_each_line() -> None:
    lines = [LineAmount("23", D("0.02")) for _ in range(3)]  # per line 0.0046 -> 0.00 each
    totals = compute_totals(lines)
    assert totals.fields == {"P_13_1": D("0.06"), "P_14_1": D("0.01")}
    assert totals.p_15 == D("0.07")


def test_line_method_sums_rounded_line_taxes() -> None:
    lines = [LineAmount("23", D("0.02")) for _ in range(3)]
    totals = compute_totals(lines, method="line")
    assert totals.fields["P_14_1"] == D("0.00")
    assert totals.per_line_vat == [D("0.00")] * 3


def test_gross_method_extracts_tax_from_gross_sum() -> None:
    totals = compute_totals([LineAmount("23", D("100.00")), LineAmount("8", D("54.00"))], method="gross")
    assert totals.fields == {
        "P_13_1": D("81.30"),
        "P_14_1": D("18.70"),
        "P_13_2": D("50.00"),
        "P_14_2": D("4.00"),
    }
    assert totals.p_15 == D("154.00")


def test_untaxed_groups_and_mixed_invoice() -> None:
    lines = [
        LineAmount("23", D("100")),
        LineAmount("zw", D("10")),
        LineAmount("0 WDT", D("5")),
        LineAmount("np II", D("7")),
        LineAmount(None, D("19.99"), oss_rate=D("19")),
    ]
    totals = compute_totals(lines)
    assert totals.fields["P_13_7"] == D("10")
    assert totals.fields["P_13_6_2"] == D("5")
    assert totals.fields["P_13_9"] == D("7")
    assert totals.fields["P_13_5"] == D("19.99")
    assert totals.fields["P_14_5"] == D("3.80")
    assert list(totals.fields) == [f for f in SUMMARY_FIELDS_ORDER if f in totals.fields]
    assert totals.p_15 == D("100") + D("23.00") + D("10") + D("5") + D("7") + D("19.99") + D("3.80")


def test_foreign_currency_tax_in_pln_uses_each_lines_rate() -> None:
    # The Ministry's example FA_3_Przyklad_21: three lines in EUR at three rates of exchange.
    lines = [
        LineAmount("23", D("4060"), exchange_rate=D("4.4080")),
        LineAmount("23", D("5000"), exchange_rate=D("4.5005")),
        LineAmount("23", D("4500"), exchange_rate=D("4.3250")),
    ]
    totals = compute_totals(lines)
    assert totals.fields == {"P_13_1": D("13560"), "P_14_1": D("3118.80"), "P_14_1W": D("13768.14")}


def test_invoice_level_rate_of_exchange_and_no_w_field_without_tax() -> None:
    totals = compute_totals([LineAmount("23", D("100")), LineAmount("zw", D("50"))], exchange_rate=D("4.2"))
    assert totals.fields["P_14_1W"] == D("96.60")
    assert "P_14_1W" in totals.fields and all(not k.startswith("P_14_7") for k in totals.fields)


def test_correction_lines_with_negative_values() -> None:
    totals = compute_totals([LineAmount("23", D("-100.00")), LineAmount("23", D("80.00"))])
    assert totals.fields == {"P_13_1": D("-20.00"), "P_14_1": D("-4.60")}
    assert totals.p_15 == D("-24.60")


def test_margin_lines_sum_to_p_13_11_without_tax() -> None:
    totals = compute_totals([LineAmount(None, D("2000"), margin=True)], method="gross")
    assert totals.fields == {"P_13_11": D("2000")}
    assert totals.p_15 == D("2000")
