"""make_sample_invoice: quick, valid, distinct, deterministic invoices for other layers' tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from stdnum.pl import nip

from fakturnik.fa3.builder import check_totals
from fakturnik.fa3.samples import make_nip, make_sample_invoice
from fakturnik.fa3.writer import write_invoice
from tests.fa3.xsd import assert_xsd_valid

SELLER = "5260250274"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"lines": 1},
        {"lines": 50},
        {"currency": "EUR"},
        {"gross": True},
        {"method": "line"},
        {"issue_date": date(2027, 12, 31), "buyer_nip": "7740001454"},
    ],
    ids=str,
)
def test_sample_invoices_are_valid(kwargs: dict[str, object]) -> None:
    invoice = make_sample_invoice(SELLER, "FV/S/1", **kwargs)  # type: ignore[arg-type]
    assert_xsd_valid(write_invoice(invoice))
    assert check_totals(invoice) == []
    assert invoice.Podmiot1.DaneIdentyfikacyjne.NIP == SELLER
    assert nip.is_valid(invoice.Podmiot2.DaneIdentyfikacyjne.NIP)


def test_many_distinct_invoices_quickly() -> None:
    xmls = {write_invoice(make_sample_invoice(SELLER, f"FV/S/{i}")) for i in range(200)}
    assert len(xmls) == 200


def test_same_arguments_same_bytes() -> None:
    assert write_invoice(make_sample_invoice(SELLER, "FV/S/7")) == write_invoice(
        make_sample_invoice(SELLER, "FV/S/7")
    )


def test_foreign_currency_sample_has_tax_in_pln() -> None:
    fa = make_sample_invoice(SELLER, "FV/S/EUR", currency="EUR", exchange_rate=Decimal("4.3")).Fa
    assert fa.KodWaluty == "EUR" and fa.P_14_1W is not None and fa.P_14_1W > fa.P_14_1  # type: ignore[operator]


def test_make_nip_is_deterministic() -> None:
    assert make_nip("a") == make_nip("a") != make_nip("b")


@pytest.mark.parametrize("ksef_number", [None, "5260250274-20260202-0100A0B0C0D0-1F"])
def test_sample_correction_is_valid_and_references_the_original(ksef_number: str | None) -> None:
    from fakturnik.fa3.samples import make_sample_correction

    original = make_sample_invoice(SELLER, "FV/S/9", lines=3)
    correction = make_sample_correction(
        original, "KOR/S/1", ksef_number=ksef_number, issue_date=date(2026, 2, 5)
    )
    fa = correction.Fa
    assert fa.RodzajFaktury == "KOR" and fa.DaneFaKorygowanej[0].NrFaKorygowanej == "FV/S/9"
    assert fa.DaneFaKorygowanej[0].NrKSeFFaKorygowanej == ksef_number
    assert [w.StanPrzed for w in fa.FaWiersz] == [1, None]
    assert fa.P_15 < 0
    assert check_totals(correction) == []
    assert_xsd_valid(write_invoice(correction))
