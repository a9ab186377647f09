"""Payment lists: CSV and Elixir-O, titles with KSeF numbers or the collective identifier."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import pytest

from fakturnik.payments import (
    Party,
    PaymentListError,
    Transfer,
    normalize_account,
    to_csv,
    to_elixir,
    transfer_title,
)

SELLER_ACCOUNT = "PL61 1090 1014 0000 0712 1981 2874"  # a valid NRB (checksum mod 97)
BUYER_ACCOUNT = "27 1140 2004 0000 3002 0135 5387"
K1 = "5265877635-20261207-0100001AF629-AF"
K2 = "5265877635-20261207-0100001AF62A-12"
IZ = "5265877635-IZ202612-65ED02180000-00"


def seller() -> Party:
    return Party("Firma Sprzedająca Sp. z o.o.", SELLER_ACCOUNT, "ul. Złota 1, 00-001 Warszawa")


def test_account_numbers_are_normalized_and_checked() -> None:
    assert normalize_account(SELLER_ACCOUNT) == "61109010140000071219812874"
    with pytest.raises(PaymentListError, match="rachunku"):
        normalize_account("61 1090 1014 0000 0712 1981 2875")


def test_title_uses_ksef_numbers_when_they_fit_else_the_identifier() -> None:
    few = Transfer(seller(), Decimal("10"), ksef_numbers=[K1, K2])
    assert transfer_title(few) == [K1, K2]
    many = Transfer(seller(), Decimal("10"), ksef_numbers=[K1] * 5, collective_identifier=IZ)
    assert transfer_title(many) == [IZ]
    with pytest.raises(PaymentListError, match="identyfikator zbiorczy"):
        transfer_title(Transfer(seller(), Decimal("10"), ksef_numbers=[K1] * 5))
    assert max(len(line) for line in transfer_title(few)) <= 35


def test_csv_in_polish_format() -> None:
    text = to_csv([Transfer(seller(), Decimal("1234.5"), ksef_numbers=[K1])])
    header, row, _ = text.split("\r\n")
    assert header.startswith("Odbiorca;Rachunek;Kwota;Waluta;Tytuł")
    assert row.split(";")[:5] == [
        "Firma Sprzedająca Sp. z o.o.",
        "61109010140000071219812874",
        "1234,50",
        "PLN",
        K1,
    ]


def test_elixir_o_line() -> None:
    payer = Party("Kupujący S.A.", BUYER_ACCOUNT, "ul. Długa 2, Kraków")
    data = to_elixir(
        [Transfer(seller(), Decimal("303.30"), ksef_numbers=[K1] * 9, collective_identifier=IZ)],
        payer,
        date(2026, 12, 8),
    )
    assert data.endswith(b"\r\n")
    line = data.decode("cp1250").rstrip("\r\n")
    assert line.startswith(
        '110,20261208,30330,11402004,0,"27114020040000300201355387","61109010140000071219812874",'
    )
    fields = next(csv.reader([line]))  # quoted text may hold commas
    assert len(fields) == 15
    assert fields[7] == "Kupujący S.A.|ul. Długa 2, Kraków"
    assert fields[8] == "Firma Sprzedająca Sp. z o.o.|ul. Złota 1, 00-001 Warszawa"
    assert fields[-5:] == ["10901014", IZ, "", "", "51"]


def test_elixir_refuses_what_a_bank_would() -> None:
    payer = Party("Kupujący", BUYER_ACCOUNT)
    with pytest.raises(PaymentListError, match="złote"):
        to_elixir(
            [Transfer(seller(), Decimal("1"), ksef_numbers=[K1], currency="EUR")], payer, date(2026, 12, 8)
        )
    with pytest.raises(PaymentListError, match="dodatnia"):
        to_elixir([Transfer(seller(), Decimal("0"), ksef_numbers=[K1])], payer, date(2026, 12, 8))
