"""Advance (ZAL) and settlement (ROZ) amounts, checked against the Ministry's FA(3) examples 10-14."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from fakturnik.app.advances import (
    AdvanceView,
    ExternalAdvance,
    advance_correction_draft,
    advance_draft,
    external_advance,
    settlement_correction_draft,
    settlement_draft,
    summary_fields,
)
from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import InputError, InvoiceValidationError

D = Decimal


def _line(name: str, price: str, rate: str, *, before: bool = False) -> dict[str, Any]:
    line: dict[str, Any] = {"P_7": name, "P_8A": "szt.", "P_8B": "1", "P_9A": price, "P_12": rate}
    if before:
        line["StanPrzed"] = 1
    return line


def _draft(*lines: dict[str, Any], kind: str = "ZAL") -> dict[str, Any]:
    return {
        "Fa": {
            "KodWaluty": "PLN",
            "P_1": "2026-02-15",
            "P_2": "AUTO",
            "RodzajFaktury": kind,
            "FaWiersz": list(lines),
        }
    }


def _view(draft: dict[str, Any], *, ksef: str = "9999999999-20230908-8BEF280C8D35-4D") -> AdvanceView:
    fa = draft["Fa"]
    summary = summary_fields(fa)
    return AdvanceView(
        id=1,
        number="FZ2026/02/150",
        ksef_number=ksef,
        issue_date=None,
        status="accepted",
        buyer_nip="7740001454",
        buyer_name="Nabywca",
        currency="PLN",
        amount=D(str(fa["P_15"])),
        net=sum((v for k, v in summary.items() if k.startswith("P_13")), D(0)),
        vat=sum((v for k, v in summary.items() if k.startswith("P_14")), D(0)),
        order_value=D(str(fa["Zamowienie"]["WartoscZamowienia"])),
        order_number="",
        summary=summary,
        order_lines=tuple(fa["Zamowienie"]["ZamowienieWiersz"]),
    )


def _merge(view: AdvanceView, correction: dict[str, Any]) -> AdvanceView:
    summary = dict(view.summary)
    for k, v in summary_fields(correction["Fa"]).items():
        summary[k] = summary.get(k, D(0)) + v
    return AdvanceView(
        **{**view.__dict__, "summary": summary, "amount": view.amount + D(str(correction["Fa"]["P_15"]))}
    )


FLAT = _line("mieszkanie 50m^2", "300000", "23")
EXTRAS = _line("usługi dodatkowe", "5000", "23")


def test_advance_invoice_like_example_10() -> None:
    zal = advance_draft(_draft(FLAT, EXTRAS), "20000")
    fa = zal["Fa"]
    assert "FaWiersz" not in fa
    assert (fa["P_13_1"], fa["P_14_1"], fa["P_15"]) == (D("16260.16"), D("3739.84"), D("20000"))
    assert fa["Zamowienie"]["WartoscZamowienia"] == D("375150.00")
    rows = fa["Zamowienie"]["ZamowienieWiersz"]
    assert [(r["P_11NettoZ"], r["P_11VatZ"], r["P_12Z"]) for r in rows] == [
        (D("300000.00"), D("69000.00"), "23"),
        (D("5000.00"), D("1150.00"), "23"),
    ]


def test_corrections_of_the_advance_and_the_settlement_like_examples_11_to_14() -> None:
    zal = _view(advance_draft(_draft(FLAT, EXTRAS), "20000"))
    flat_8 = _line("mieszkanie 50m^2", "341666.67", "8")
    # example 11: the rate of the flat was wrong (23 -> 8), the advance stays 20 000
    kor = advance_correction_draft(
        _draft({**FLAT, "StanPrzed": 1}, flat_8, {**EXTRAS, "StanPrzed": 1}, EXTRAS, kind="KOR_ZAL"),
        zal,
        "20000",
    )
    fa = kor["Fa"]
    assert {k: fa[k] for k in ("P_13_1", "P_14_1", "P_13_2", "P_14_2")} == {
        "P_13_1": D("-15993.60"),
        "P_14_1": D("-3678.53"),
        "P_13_2": D("18214.94"),
        "P_14_2": D("1457.19"),
    }
    assert (fa["P_15"], fa["P_15ZK"]) == (D("0"), D("20000"))
    assert [r.get("StanPrzedZ") for r in fa["Zamowienie"]["ZamowienieWiersz"]] == [1, None, 1, None]
    zal = _merge(zal, kor)
    # example 12: the advance was 30 000, not 20 000
    kor = advance_correction_draft(
        _draft({**flat_8, "StanPrzed": 1}, flat_8, {**EXTRAS, "StanPrzed": 1}, EXTRAS, kind="KOR_ZAL"),
        zal,
        "30000",
    )
    fa = kor["Fa"]
    assert {k: fa[k] for k in ("P_13_1", "P_14_1", "P_13_2", "P_14_2", "P_15", "P_15ZK")} == {
        "P_13_1": D("133.28"),
        "P_14_1": D("30.65"),
        "P_13_2": D("9107.47"),
        "P_14_2": D("728.60"),
        "P_15": D("10000"),
        "P_15ZK": D("20000"),
    }
    zal = _merge(zal, kor)
    # example 14: the settlement of the order as finally agreed
    roz = settlement_draft(
        _draft(_line("mieszkanie 50m^2", "307500", "8"), _line("usługi dodatkowe", "4500", "23"), kind="ROZ"),
        [zal],
    )
    fa = roz["Fa"]
    assert {k: fa[k] for k in ("P_13_1", "P_14_1", "P_13_2", "P_14_2", "P_15")} == {
        "P_13_1": D("4100.16"),
        "P_14_1": D("943.04"),
        "P_13_2": D("280177.59"),
        "P_14_2": D("22414.21"),
        "P_15": D("307635.00"),
    }
    assert fa["FakturaZaliczkowa"] == [{"NrKSeFFaZaliczkowej": "9999999999-20230908-8BEF280C8D35-4D"}]
    # a correction of the settlement: only the change of the lines
    kor_roz = settlement_correction_draft(
        _draft(
            {**_line("usługi dodatkowe", "4500", "23"), "StanPrzed": 1},
            _line("usługi dodatkowe", "4000", "23"),
            kind="KOR_ROZ",
        ),
        fa["P_15"],
        fa["FakturaZaliczkowa"],
    )
    kfa = kor_roz["Fa"]
    assert (kfa["P_13_1"], kfa["P_14_1"], kfa["P_15"], kfa["P_15ZK"]) == (
        D("-500.00"),
        D("-115.00"),
        D("-615.00"),
        D("307635.00"),
    )
    assert kfa["FakturaZaliczkowa"] == fa["FakturaZaliczkowa"]


def test_an_advance_split_over_two_rates_adds_up_to_the_grosz() -> None:
    zal = advance_draft(
        _draft(_line("a", "1000", "23"), _line("b", "333.33", "8"), _line("c", "100", "zw")), "777.77"
    )
    fa = zal["Fa"]
    parts = fa["P_13_1"] + fa["P_14_1"] + fa["P_13_2"] + fa["P_14_2"] + fa["P_13_7"]
    assert parts == D("777.77") == fa["P_15"]


def test_refusals_name_the_field() -> None:
    with pytest.raises(InputError) as exc:
        advance_draft(_draft(FLAT), "0")
    assert exc.value.problems[0].path == "Fa/P_15"
    with pytest.raises(InputError) as exc:
        advance_draft(_draft(_line("a", "100", "23")), "200")
    assert "większa niż wartość zamówienia" in str(exc.value.problems[0].message)
    with pytest.raises(InvoiceValidationError):
        advance_draft(_draft(), "100")
    with pytest.raises(InputError) as exc:
        settlement_draft(_draft(FLAT, kind="ROZ"), [])
    assert exc.value.problems[0].path == "Fa/FakturaZaliczkowa"


def test_an_advance_invoiced_elsewhere_is_settled_like_one_of_ours() -> None:
    order = (_line("zabudowa kuchenna", "10000", "23"), _line("montaż", "2000", "8"))
    zal = advance_draft(_draft(*order), "3000")["Fa"]
    ours = AdvanceView(
        id=1, number="ZAL/1", ksef_number=None, issue_date=None, status="accepted", buyer_nip="",
        buyer_name="", currency="PLN", amount=D("3000"), net=D("0"), vat=D("0"), order_value=None,
        order_number="", summary=summary_fields(zal),
    )  # fmt: skip
    by_us = settlement_draft(_draft(*order, kind="ROZ"), [ours])["Fa"]
    elsewhere = settlement_draft(_draft(*order, kind="ROZ"), [], [external_advance("FZ/3/2025", "3000")])[
        "Fa"
    ]
    assert summary_fields(elsewhere) == summary_fields(by_us)
    assert elsewhere["P_15"] == by_us["P_15"] == D("11460.00")
    assert elsewhere["FakturaZaliczkowa"] == [{"NrKSeFZN": 1, "NrFaZaliczkowej": "FZ/3/2025"}]
    # with a KSeF number, the reference is the KSeF number; both kinds together
    ksef = "5265877635-20260105-2743E015EAD0-31"
    both = settlement_draft(
        _draft(*order, kind="ROZ"), [ours], [ExternalAdvance("ZAL-2026-01", D("1000"), ksef)]
    )["Fa"]
    assert both["P_15"] == D("10460.00")
    assert both["FakturaZaliczkowa"][1] == {"NrKSeFFaZaliczkowej": ksef}


@pytest.mark.parametrize(
    ("number", "amount", "ksef", "message"),
    [
        ("", "100", None, "podaj numer"),
        ("FZ/1", "0", None, "podaj kwotę"),
        ("FZ/1", "10.001", None, "podaj kwotę"),
        ("FZ/1", "abc", None, "podaj kwotę"),
        ("FZ/1", "100", "5265877635-20260105-2743E015EAD0-00", "niepoprawny numer KSeF"),
        ("x" * 257, "100", None, "256"),
    ],
)
def test_an_advance_typed_by_hand_is_checked(
    number: str, amount: str, ksef: str | None, message: str
) -> None:
    with pytest.raises(InputError) as exc:
        external_advance(number, amount, ksef)
    assert message in exc.value.problems[0].message
    assert exc.value.problems[0].path == "Fa/FakturaZaliczkowa"


def _order_draft(kind: str, *lines: dict[str, Any], buyer: str = "7740001454") -> dict[str, Any]:
    from tests.app.kit import draft as kit_draft

    out = kit_draft(buyer=buyer)
    out["Fa"] = {"P_1": warsaw_today().isoformat(), "RodzajFaktury": kind, "FaWiersz": list(lines)}
    return out


def test_the_service_settles_the_advances_it_issued_and_ksef_accepts_all_four_kinds(fk_sim: Any) -> None:
    from tests.app.conftest import company_id
    from tests.app.kit import NIP_A

    a = company_id(fk_sim, NIP_A)
    kitchen = _line("zabudowa kuchenna", "10000", "23")
    assembly = _line("montaż", "2000", "8")
    with fk_sim.running_worker():
        zal_draft = fk_sim.advances.complete(a, _order_draft("ZAL", kitchen, assembly), advance="3000")
        zal = fk_sim.invoices.issue(a, zal_draft).invoice
        assert fk_sim.invoices.wait(a, zal.id, timeout=60).status == "accepted"
        other = fk_sim.invoices.issue(
            a, fk_sim.advances.complete(a, _order_draft("ZAL", kitchen, buyer="5213017228"), advance="100")
        ).invoice
        listed = fk_sim.advances.list(a, "7740001454")
        assert [v.id for v in listed] == [zal.id]
        view = listed[0]
        assert view.amount == D("3000") and view.order_value == D("14460.00") and view.ksef_number
        assert view.net + view.vat == D("3000.00")

        # a correction of the advance: 4 000 instead of 3 000
        kor_zal = fk_sim.advances.complete(
            a,
            {
                **_order_draft(
                    "KOR_ZAL", {**kitchen, "StanPrzed": 1}, kitchen, {**assembly, "StanPrzed": 1}, assembly
                ),
                "Fa": {
                    **_correction_fa(fk_sim, a, zal.id),
                    "FaWiersz": [
                        {**kitchen, "StanPrzed": 1},
                        kitchen,
                        {**assembly, "StanPrzed": 1},
                        assembly,
                    ],
                },
            },
            advance="4000",
            corrects_id=zal.id,
        )
        assert (kor_zal["Fa"]["P_15"], kor_zal["Fa"]["P_15ZK"]) == (D("1000"), D("3000"))
        corrected = fk_sim.invoices.correct(a, zal.id, kor_zal).invoice
        assert fk_sim.invoices.wait(a, corrected.id, timeout=60).status == "accepted"
        assert fk_sim.advances.get(a, zal.id).amount == D("4000")

        # the settlement of that buyer's advance, refused for another buyer's
        with pytest.raises(InputError):
            fk_sim.advances.complete(a, _order_draft("ROZ", kitchen, assembly), advance_ids=[other.id])
        roz_draft = fk_sim.advances.complete(a, _order_draft("ROZ", kitchen, assembly), advance_ids=[zal.id])
        assert roz_draft["Fa"]["P_15"] == D("10460.00")
        roz = fk_sim.invoices.issue(a, roz_draft).invoice
        assert fk_sim.invoices.wait(a, roz.id, timeout=60).status == "accepted"
        assert fk_sim.advances.get(a, zal.id).settled_by == roz.number
        assert fk_sim.advances.get(a, zal.id).settled_by_id == roz.id
        assert fk_sim.advances.list(a, "7740001454", open_only=True) == ()
        # settled once: never again, neither ticked nor typed in by hand
        with pytest.raises(InputError, match="już rozliczona"):
            fk_sim.advances.complete(a, _order_draft("ROZ", kitchen, assembly), advance_ids=[zal.id])
        with pytest.raises(InputError, match="wystawiona w Fakturniku"):
            fk_sim.advances.complete(
                a,
                _order_draft("ROZ", kitchen, assembly),
                external_advances=[external_advance(zal.number, "4000", None)],
            )

        kor_roz_draft = fk_sim.invoices.correction_draft(a, roz.id, "rabat na montaż")
        lines = kor_roz_draft["Fa"]["FaWiersz"]
        lines[-1]["P_9A"] = "1500"
        kor_roz = fk_sim.advances.complete(a, kor_roz_draft, corrects_id=roz.id)
        assert (kor_roz["Fa"]["P_15"], kor_roz["Fa"]["P_15ZK"]) == (D("-540.00"), D("10460.00"))
        done = fk_sim.invoices.correct(a, roz.id, kor_roz).invoice
        assert fk_sim.invoices.wait(a, done.id, timeout=60).status == "accepted"
        assert done.kind == "KOR_ROZ"

        # an advance invoiced in another program, settled by number and amount, accepted by KSeF
        elsewhere = [external_advance("FZ/3/2025", "2000")]
        roz2 = fk_sim.invoices.issue(
            a,
            fk_sim.advances.complete(a, _order_draft("ROZ", kitchen, assembly), external_advances=elsewhere),
        ).invoice
        assert fk_sim.invoices.wait(a, roz2.id, timeout=60).status == "accepted"
        with pytest.raises(InputError, match="już rozliczona fakturą"):
            fk_sim.advances.complete(a, _order_draft("ROZ", kitchen), external_advances=elsewhere)
        with pytest.raises(InputError, match="dwa razy"):
            twice = [external_advance("FZ/9", "10"), external_advance("FZ/9", "20")]
            fk_sim.advances.complete(a, _order_draft("ROZ", kitchen), external_advances=twice)


def _correction_fa(fk: Any, company: int, invoice_id: int) -> dict[str, Any]:
    fa = fk.invoices.correction_draft(company, invoice_id, "zaliczka była wyższa")["Fa"]
    fa.pop("Zamowienie", None)
    return fa
