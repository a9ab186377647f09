"""Polish formatting filters: amounts, dates, rates."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from fakturnik.web.ui.formatting import (
    format_amount,
    format_date,
    format_datetime,
    format_money,
    format_quantity,
    parse_amount,
    rate_label,
)

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.56"), f"1{NB}234,56"),
        ("1234567.5", f"1{NB}234{NB}567,50"),
        (0, "0,00"),
        (Decimal("-1234.005"), f"-1{NB}234,01"),
        (Decimal("999.994"), "999,99"),
        (None, ""),
        ("abc", ""),
    ],
)
def test_amounts(value: object, expected: str) -> None:
    assert format_amount(value) == expected


def test_money_has_currency() -> None:
    assert format_money(Decimal("1234.56")) == f"1{NB}234,56{NB}zł"
    assert format_money(Decimal("10"), "EUR") == f"10,00{NB}EUR"


def test_quantities_keep_precision() -> None:
    assert format_quantity(Decimal("12.500")) == "12,5"
    assert format_quantity(Decimal("1000")) == f"1{NB}000"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,56", Decimal("1234.56")),
        ("1234.56", Decimal("1234.56")),
        ("1.234,56", Decimal("1234.56")),
        (f"1{NB}234,5 zł", Decimal("1234.5")),
        ("12,5", Decimal("12.5")),
        ("", None),
        ("abc", None),
        ("1.2.3", None),
        ("NaN", None),
        ("Infinity", None),
    ],
)
def test_parse_amount(text: str, expected: Decimal | None) -> None:
    assert parse_amount(text) == expected


def test_dates() -> None:
    assert format_date(date(2026, 2, 2)) == "02.02.2026"
    assert format_date("2026-12-07") == "07.12.2026"
    # 23:30 UTC on 31 Dec is already 1 Jan in Warsaw
    assert format_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "01.01.2027"
    assert format_datetime(datetime(2026, 7, 1, 8, 42, tzinfo=UTC)) == "01.07.2026 10:42"
    assert format_date(None) == ""


def test_rates() -> None:
    assert rate_label("23") == "23%"
    assert rate_label("zw") == "zw."
    assert rate_label("np I").startswith("np.")
