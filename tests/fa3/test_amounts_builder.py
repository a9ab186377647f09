"""Builder: totals computed from drafts, supplied amounts checked against the lines (Polish messages)."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from fakturnik.errors import InvoiceValidationError
from fakturnik.fa3.amounts import SUMMARY_FIELDS_ORDER
from fakturnik.fa3.builder import TOTALS_CODE, build_invoice, check_totals, expected_totals
from fakturnik.fa3.parser import parse_invoice
from fakturnik.fa3.samples import make_nip, make_sample_draft
from fakturnik.fa3.writer import write_invoice
from tests.conftest import SAMPLES_DIR
from tests.fa3.xsd import assert_xsd_valid

SELLER = "5260250274"

# Samples whose amounts disagree with their own lines, each with the reason (the samples are wrong).
INCONSISTENT_SAMPLES = {
    # 23%: 1666.66 + 383.33, 5%: 0.95 + 0.05 -> 2050.99; the sample rounds P_15 up to whole złoty.
    "ksef2__FA_3_Przyklad_1.xml": ["Fa/P_15"],
    # margin invoice with one 23% gross line of 1000: 813.01 net + 186.99 tax; the sample shows 813 / 187.
    "ksef2__Fa_3_Przyklad_19.xml": ["Fa/P_13_1", "Fa/P_14_1"],
    # the line is an export ("0 EX", P_13_6_3) but the summary puts it in P_13_6_2 (intra-EU supply).
    "ksef2__KSEF_06_EXP.xml": ["Fa/P_13_6_2", "Fa/P_13_6_3"],
}


def _draft(**overrides: Any) -> dict[str, Any]:
    draft = make_sample_draft(SELLER, "FV/B/1", lines=3)
    draft["Fa"].update(overrides)
    return draft


@pytest.mark.parametrize("path", sorted(SAMPLES_DIR.glob("*.xml")), ids=lambda p: p.name)
def test_sample_amounts_agree_with_their_lines(path: Path) -> None:
    invoice = parse_invoice(path.read_bytes())
    problems = check_totals(invoice)
    assert [p.path for p in problems] == INCONSISTENT_SAMPLES.get(path.name, [])
    assert all(p.code == TOTALS_CODE for p in problems)


def _derivable_samples() -> list[Path]:
    """Samples whose summary follows from their lines (not advance / settlement / rate-less ones)."""
    return [
        p
        for p in sorted(SAMPLES_DIR.glob("*.xml"))
        if p.name not in INCONSISTENT_SAMPLES and expected_totals(parse_invoice(p.read_bytes())) is not None
    ]


def test_most_samples_have_a_derivable_summary() -> None:
    assert len(_derivable_samples()) >= 30


@pytest.mark.parametrize("path", _derivable_samples(), ids=lambda p: p.name)
def test_rebuilding_a_sample_without_totals_gives_its_totals(path: Path) -> None:
    invoice = parse_invoice(path.read_bytes())
    draft = invoice.model_dump(exclude_none=True)
    for name in SUMMARY_FIELDS_ORDER:
        draft["Fa"].pop(name, None)
    rebuilt = build_invoice(draft)
    for name in SUMMARY_FIELDS_ORDER:
        assert getattr(rebuilt.Fa, name) == getattr(invoice.Fa, name), name


def test_draft_gets_line_values_totals_and_defaults() -> None:
    draft = make_sample_draft(SELLER, "FV/B/1", lines=3)
    invoice = build_invoice(draft)
    fa = invoice.Fa
    assert [w.NrWierszaFa for w in fa.FaWiersz] == [1, 2, 3]
    for w in fa.FaWiersz:
        assert (w.P_8B * w.P_9A).quantize(D("0.01")) == w.P_11  # type: ignore[operator]
    assert sum((getattr(fa, n) or D(0) for n in SUMMARY_FIELDS_ORDER[:-1]), D(0)) == fa.P_15
    assert fa.Adnotacje.P_16 == 2 and fa.RodzajFaktury == "VAT"
    assert invoice.Naglowek.KodFormularza.kodSystemowy == "FA (3)"
    assert check_totals(invoice) == []
    assert_xsd_valid(write_invoice(invoice))


def test_draft_without_header_gets_creation_time() -> None:
    draft = _draft()
    del draft["Naglowek"]
    invoice = build_invoice(draft)
    assert invoice.Naglowek.DataWytworzeniaFa.endswith("Z")


def test_supplied_total_that_disagrees_names_both_values() -> None:
    good = build_invoice(_draft())
    with pytest.raises(InvoiceValidationError) as info:
        build_invoice(_draft(P_13_1=str(good.Fa.P_13_1 + D("0.01")), P_15="1.00"))
    problems = {p.path: p.message for p in info.value.problems}
    assert problems["Fa/P_13_1"] == (
        f"Pole P_13_1 ma wartość {good.Fa.P_13_1 + D('0.01')}, a z pozycji faktury wynika {good.Fa.P_13_1}."
    )
    assert problems["Fa/P_15"] == f"Pole P_15 ma wartość 1.00, a z pozycji faktury wynika {good.Fa.P_15}."


def test_supplied_line_value_that_disagrees() -> None:
    draft = _draft()
    draft["Fa"]["FaWiersz"][1]["P_11"] = "1.00"
    with pytest.raises(InvoiceValidationError) as info:
        build_invoice(draft)
    assert info.value.problems[0].path == "Fa/FaWiersz[2]/P_11"
    assert "ma wartość 1.00, a z pozycji faktury wynika" in info.value.problems[0].message


def test_supplied_field_for_a_rate_that_has_no_lines() -> None:
    with pytest.raises(InvoiceValidationError) as info:
        build_invoice(_draft(P_13_7="5.00"))
    assert [p.path for p in info.value.problems] == ["Fa/P_13_7"]  # P_15 left out: computed
    assert "nie dają kwoty" in info.value.problems[0].message


def test_correct_supplied_totals_are_accepted_as_written() -> None:
    built = build_invoice(_draft())
    draft = _draft(P_13_1=str(built.Fa.P_13_1), P_15=str(built.Fa.P_15))
    assert build_invoice(draft).Fa.P_15 == built.Fa.P_15


def test_discount_p_10_is_per_unit_like_the_ministry_examples_and_total_is_accepted() -> None:
    line = {"P_7": "x", "P_8A": "szt.", "P_8B": "20", "P_9A": "1000", "P_10": "100", "P_12": "23"}
    invoice = build_invoice(_draft(FaWiersz=[line]))
    assert D("18000.00") == invoice.Fa.FaWiersz[0].P_11
    assert check_totals(build_invoice(_draft(FaWiersz=[{**line, "P_11": "19900"}]))) == []


def test_gross_entry() -> None:
    lines = [
        {"P_7": "a", "P_8B": "1", "P_9B": "100", "P_12": "23"},
        {"P_7": "b", "P_8B": "2", "P_9B": "27", "P_12": "8"},
    ]
    fa = build_invoice(_draft(FaWiersz=lines)).Fa
    assert [w.P_11A for w in fa.FaWiersz] == [D("100.00"), D("54.00")]
    assert (
        D("81.30"), D("18.70"), D("50.00"), D("4.00"), D("154.00"),
    ) == (fa.P_13_1, fa.P_14_1, fa.P_13_2, fa.P_14_2, fa.P_15)  # fmt: skip


def test_per_line_method_fills_p_11vat() -> None:
    lines = [{"P_7": "a", "P_8B": "1", "P_9A": "0.02", "P_12": "23"} for _ in range(3)]
    fa = build_invoice(_draft(FaWiersz=lines), method="line").Fa
    assert [w.P_11Vat for w in fa.FaWiersz] == [D("0.00")] * 3
    assert D("0.00") == fa.P_14_1
    fa_net = build_invoice(_draft(FaWiersz=lines)).Fa
    assert D("0.01") == fa_net.P_14_1


def test_foreign_currency_fills_p_14_w() -> None:
    draft = make_sample_draft(SELLER, "FV/B/EUR", lines=2, currency="EUR", exchange_rate=D("4.30"))
    fa = build_invoice(draft).Fa
    assert fa.P_14_1W is not None
    assert ((fa.P_13_1 * D("4.30")).quantize(D("0.01")) * D("0.23")).quantize(D("0.01")) == fa.P_14_1W  # type: ignore[operator]
    assert_xsd_valid(write_invoice(build_invoice(draft)))


def test_correction_before_and_after_lines() -> None:
    lines = [
        {"P_7": "a", "P_8B": "10", "P_9A": "10", "P_12": "23", "StanPrzed": 1},
        {"P_7": "a", "P_8B": "8", "P_9A": "10", "P_12": "23"},
    ]
    correction = _draft(
        RodzajFaktury="KOR",
        PrzyczynaKorekty="Zwrot 2 sztuk",
        TypKorekty=2,
        DaneFaKorygowanej=[{"DataWystFaKorygowanej": "2026-01-15", "NrFaKorygowanej": "FV/1", "NrKSeFN": 1}],
        FaWiersz=lines,
    )
    invoice = build_invoice(correction)
    assert (D("-20.00"), D("-4.60"), D("-24.60")) == (invoice.Fa.P_13_1, invoice.Fa.P_14_1, invoice.Fa.P_15)
    assert_xsd_valid(write_invoice(invoice))


def test_advance_invoice_without_lines_checks_p_15_only() -> None:
    advance = _draft(RodzajFaktury="ZAL", FaWiersz=[], P_13_1="1000.00", P_14_1="230.00")
    advance["Fa"]["Zamowienie"] = {
        "WartoscZamowienia": "12300.00",
        "ZamowienieWiersz": [{"NrWierszaZam": 1, "P_7Z": "Serwer", "P_8BZ": "1", "P_9AZ": "10000",
                              "P_11NettoZ": "10000", "P_11VatZ": "2300", "P_12Z": "23"}],
    }  # fmt: skip
    invoice = build_invoice(advance)
    assert D("1230.00") == invoice.Fa.P_15
    assert_xsd_valid(write_invoice(invoice))
    with pytest.raises(InvoiceValidationError, match="P_15"):
        build_invoice({**advance, "Fa": {**advance["Fa"], "P_15": "1000"}})


def test_settlement_invoice_p_15_is_not_checked_against_lines() -> None:
    built = build_invoice(_draft())
    settlement = _draft(RodzajFaktury="ROZ", P_13_1="10.00", P_14_1="2.30", P_15="12.30")
    settlement["Fa"]["FakturaZaliczkowa"] = [{"NrKSeFFaZaliczkowej": "5260250274-20260101-0100A0B0C0D0-1F"}]
    invoice = build_invoice(settlement)
    assert invoice.Fa.P_15 == D("12.30") != built.Fa.P_15


def test_margin_invoice() -> None:
    annotations = {
        "P_16": 2, "P_17": 2, "P_18": 2, "P_18A": 2, "Zwolnienie": {"P_19N": 1},
        "NoweSrodkiTransportu": {"P_22N": 1}, "P_23": 2, "PMarzy": {"P_PMarzy": 1, "P_PMarzy_2": 1},
    }  # fmt: skip
    invoice = build_invoice(
        _draft(Adnotacje=annotations, FaWiersz=[{"P_7": "Wycieczka", "P_8B": "2", "P_9B": "1500"}])
    )
    assert (D("3000.00"), D("3000.00")) == (invoice.Fa.P_13_11, invoice.Fa.P_15)
    assert D("3000.00") == invoice.Fa.FaWiersz[0].P_11A


def test_line_without_rate_on_ordinary_invoice_gives_no_derivable_totals() -> None:
    invoice = build_invoice(
        _draft(FaWiersz=[{"P_7": "x", "P_8B": "1", "P_9A": "5"}], P_13_1="5", P_14_1="1.15")
    )
    assert expected_totals(invoice) is None
    assert D("6.15") == invoice.Fa.P_15


def test_make_nip_has_valid_checksums() -> None:
    from stdnum.pl import nip

    nips = {make_nip(i) for i in range(200)}
    assert len(nips) == 200
    assert all(nip.is_valid(n) for n in nips)


def test_per_line_method_with_gross_lines() -> None:
    lines = [{"P_7": "a", "P_8B": "1", "P_9B": "1.23", "P_12": "23"} for _ in range(3)]
    fa = build_invoice(_draft(FaWiersz=lines), method="line").Fa
    assert [w.P_11Vat for w in fa.FaWiersz] == [D("0.23")] * 3
    assert (D("3.00"), D("0.69"), D("3.69")) == (fa.P_13_1, fa.P_14_1, fa.P_15)
    assert check_totals(build_invoice(_draft(FaWiersz=lines), method="line")) == []


def test_mixing_net_and_gross_lines_is_refused() -> None:
    lines = [
        {"P_7": "a", "P_8B": "1", "P_9A": "10", "P_12": "23"},
        {"P_7": "b", "P_8B": "1", "P_9B": "12.30", "P_12": "23"},
    ]
    with pytest.raises(InvoiceValidationError) as info:
        build_invoice(_draft(FaWiersz=lines))
    assert info.value.problems[0].path == "Fa/FaWiersz[2]"
    assert "nie można mieszać" in info.value.problems[0].message
    with pytest.raises(InvoiceValidationError, match="tylko kwoty netto"):
        build_invoice(_draft(FaWiersz=lines), method="gross")


def test_simplified_invoice_without_rates() -> None:
    lines = [{"P_7": "Paliwo", "P_8B": "2", "P_9B": "6.50"}, {"P_7": "Kawa", "P_8B": "1", "P_9B": "12.00"}]
    invoice = build_invoice(_draft(RodzajFaktury="UPR", FaWiersz=lines))
    assert expected_totals(invoice) is None
    assert D("25.00") == invoice.Fa.P_15
    assert_xsd_valid(write_invoice(invoice))
    with pytest.raises(InvoiceValidationError, match="Pole P_15 ma wartość 30"):
        build_invoice(_draft(RodzajFaktury="UPR", FaWiersz=lines, P_13_1="20.33", P_14_1="4.67", P_15="30"))
