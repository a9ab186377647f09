"""The direct writer's own shortcuts give the bytes of the general path.

- texts are written as they are and looked at once per document: a text that needs escaping (``&``,
  ``<``, ``>``, CR) anywhere makes the whole document written again with escaping, one with a
  character XML may forbid (or any control or separator character) takes the exact byte check;
- an element's emitter writes its scalars as one text when no value is None, else field by field;
- :func:`fakturnik.fa3.amounts.rate_summary` is :func:`~fakturnik.fa3.amounts.compute_totals` for
  lines that each name a rate (net and gross method, with PLN sums for a foreign currency).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from bench.bench_fa3 import mix_shapes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakturnik.fa3 import draft_xml
from fakturnik.fa3.amounts import (
    VAT_RATES,
    LineAmount,
    TaxMethod,
    compute_totals,
    rate_summary,
    round_grosze,
)
from fakturnik.fa3.builder import build_invoice
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.fa3.writer import write_invoice
from tests.fa3.test_draft_xml import assert_same
from tests.fa3.test_properties import drafts

SELLER = "5260250274"
SHAPES = mix_shapes()


@pytest.mark.parametrize(("name", "share", "make"), SHAPES, ids=[s[0] for s in SHAPES])
def test_every_draft_of_a_bench_shape_is_written_as_the_model_writes_it(
    name: str, share: float, make: Callable[[int], dict[str, Any]]
) -> None:
    for i in range(40):
        draft = make(i)
        assert assert_same(draft), name  # the direct writer wrote it, and wrote the model path's bytes


def _places(draft: dict[str, Any]) -> dict[str, Callable[[dict[str, Any], str], None]]:
    """Where a text goes: a party's name, an address, a line's name and unit, the place of issue, the
    header's system name, the form code's attribute, a payment's bank account."""

    def line(name: str) -> Callable[[dict[str, Any], str], None]:
        return lambda d, text: d["Fa"]["FaWiersz"][-1].update({name: text})

    return {
        "seller name": lambda d, text: d["Podmiot1"]["DaneIdentyfikacyjne"].update(Nazwa=text),
        "buyer address": lambda d, text: d["Podmiot2"]["Adres"].update(AdresL2=text),
        "line name": line("P_7"),
        "line unit": line("P_8A"),
        "place of issue": lambda d, text: d["Fa"].update(P_1M=text),
        "invoice number": lambda d, text: d["Fa"].update(P_2=text),
        "system name": lambda d, text: d["Naglowek"].update(SystemInfo=text),
        "form code attribute": lambda d, text: d["Naglowek"].update(
            KodFormularza={"kodSystemowy": text, "wersjaSchemy": "1-0E", "value": "FA"}
        ),
        "bank account": lambda d, text: d["Fa"]["Platnosc"]["RachunekBankowy"][0].update(NrRB=text),
    }


_PLACES = list(_places({}))
_TEXTS = [
    "Kowalski & Syn sp. j.",
    "<b>",
    "a > b",
    "wiersz\r\ndrugi",
    "tab\there",
    "nowa\nlinia",
    "twarda\u00a0spacja",
    "zły\x01znak",
    "\ufffe",
    "&amp; już",
    "\"cudzysłów\" i 'apostrof'",
    "zwykły tekst",
]


@pytest.mark.parametrize("place", _PLACES)
@pytest.mark.parametrize("text", _TEXTS)
def test_a_text_that_needs_a_look_anywhere_is_written_as_the_model_writes_it(place: str, text: str) -> None:
    draft = make_sample_draft(SELLER, "FV/TEXT/1", lines=2)
    _places(draft)[place](draft, text)
    direct = assert_same(draft)
    assert direct is (text not in ("zły\x01znak", "\ufffe"))  # a forbidden character: the model's error


def test_an_escaped_text_writes_the_whole_document_again_with_escaping() -> None:
    draft = make_sample_draft(SELLER, "FV/TEXT/2", lines=3)
    draft["Podmiot2"]["DaneIdentyfikacyjne"]["Nazwa"] = "Kowalski & Syn"
    xml = draft_xml._direct(copy.deepcopy(draft))
    assert xml is not None and b"Kowalski &amp; Syn" in xml
    assert xml == write_invoice(build_invoice(draft))
    assert xml.count(b"&") == 1  # only the one text escaped, once


def test_a_none_among_the_values_takes_the_field_by_field_emitter() -> None:
    changes: list[Callable[[dict[str, Any]], None]] = [
        lambda d: d["Fa"]["FaWiersz"][0].update(P_8A=None, P_10=None),
        lambda d: d["Naglowek"].update(SystemInfo=None),
        lambda d: d["Fa"].update(P_6=None, P_1M=None, Platnosc=None),
        lambda d: d["Podmiot2"]["Adres"].update(AdresL2=None),
    ]
    for change in changes:
        draft = make_sample_draft(SELLER, "FV/NONE/1", lines=2)
        change(draft)
        assert assert_same(draft)


def test_texts_of_every_kind_of_character_are_written_alike() -> None:
    for code in [*range(0x20), 0x7F, 0x85, 0xA0, 0x2028, 0xD7FF, 0xE000, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000]:
        draft = make_sample_draft(SELLER, "FV/CHAR/1", lines=1)
        draft["Fa"]["FaWiersz"][0]["P_7"] = f"a{chr(code)}b"
        assert_same(draft)


# --- rate_summary = compute_totals for lines that each name a rate --------------------------------

_values = st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("999999.99"), places=2)
_kurs = st.one_of(st.none(), st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("10"), places=4))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(VAT_RATES), _values, _kurs), min_size=1, max_size=12),
    st.booleans(),
    st.booleans(),
    _kurs,
)
def test_rate_summary_is_compute_totals(
    lines: list[tuple[str, Decimal, Decimal | None]], gross: bool, foreign: bool, invoice_kurs: Decimal | None
) -> None:
    method: TaxMethod = "gross" if gross else "net"
    amounts = [LineAmount(rate, value, exchange_rate=kurs) for rate, value, kurs in lines]
    want = compute_totals(amounts, method=method, exchange_rate=invoice_kurs if foreign else None)
    sums: dict[str, Decimal] = {}
    pln: dict[str, Decimal] | None = {} if foreign else None
    for rate, value, kurs in lines:
        sums[rate] = sums.get(rate, Decimal("0.00")) + value
        kurs = kurs if kurs is not None else invoice_kurs
        if pln is not None and kurs is not None:
            pln[rate] = pln.get(rate, Decimal("0.00")) + round_grosze(value * kurs)
    grouped, p_15 = rate_summary(sums, gross=gross, pln_sums=pln)
    fields = want.fields if foreign else {k: v for k, v in want.fields.items() if not k.endswith("W")}
    assert {k: str(v) for k, v in grouped.items()} == {k: str(v) for k, v in fields.items()}
    assert str(p_15) == str(want.p_15)


# --- constants: the default annotations, dates seen before -----------------------------------------


def test_the_default_annotations_are_written_from_their_text_while_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fakturnik.fa3.builder import DEFAULT_ANNOTATIONS

    draft = make_sample_draft(SELLER, "FV/ADN/1", lines=2)
    assert "Adnotacje" not in draft["Fa"]  # the default applies
    assert assert_same(draft)
    explicit = copy.deepcopy(draft)
    explicit["Fa"]["Adnotacje"] = copy.deepcopy(DEFAULT_ANNOTATIONS)  # equal, not the same object
    assert assert_same(explicit)
    assert draft_xml._direct(explicit) == draft_xml._direct(draft)
    # the module's default changed after the writer was made: written from the changed one
    monkeypatch.setitem(DEFAULT_ANNOTATIONS, "P_23", 1)
    monkeypatch.setitem(DEFAULT_ANNOTATIONS, "Zwolnienie", {"P_19": 1, "P_19A": "art. 43 ust. 1 pkt 2"})
    xml = draft_xml._direct(copy.deepcopy(draft))
    assert xml is not None and b"<P_23>1</P_23>" in xml and b"<P_19A>art. 43" in xml
    assert assert_same(draft)


def test_a_date_is_checked_once_and_only_a_canonical_text_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(draft_xml, "_MAX_DATES", 3)
    draft_xml._DATES.clear()
    for day in ("2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05", "2026-02-02"):
        draft = make_sample_draft(SELLER, "FV/DATE/1", lines=1)
        draft["Fa"]["P_6"] = day
        assert assert_same(draft)
        assert day in draft_xml._DATES and len(draft_xml._DATES) <= 3
    for text in ("20260202", "2026-02-30", "2026-2-02", "2026-02-02T00:00:00", "2026-W06-1"):
        draft = make_sample_draft(SELLER, "FV/DATE/2", lines=1)
        draft["Fa"]["P_6"] = text
        assert not assert_same(draft)
        assert text not in draft_xml._DATES


# --- amounts the draft gives: checked as the builder checks them, written as given ------------------


def _with_amounts(draft: dict[str, Any], pick: Callable[[str], bool] = lambda name: True) -> dict[str, Any]:
    """The draft with the line values and summary fields the model computes for it (those ``pick``
    chooses), as the JSON form writes them."""
    from fakturnik.fa3.jsonform import invoice_to_json

    built = invoice_to_json(build_invoice(copy.deepcopy(draft)))
    given = copy.deepcopy(draft)
    fa = given["Fa"]
    for name, value in built["Fa"].items():
        if (name.startswith(("P_13", "P_14")) or name == "P_15") and pick(name):
            fa[name] = value
    for line, done in zip(fa.get("FaWiersz", []), built["Fa"].get("FaWiersz", []), strict=True):
        for name in ("P_11", "P_11A"):
            if name in done and pick(name):
                line[name] = done[name]
    return given


@pytest.mark.parametrize(("name", "share", "make"), SHAPES, ids=[s[0] for s in SHAPES])
def test_a_draft_with_its_amounts_given_is_written_as_the_model_writes_it(
    name: str, share: float, make: Callable[[int], dict[str, Any]]
) -> None:
    for i in range(5):
        assert assert_same(_with_amounts(make(i))), name
        assert assert_same(_with_amounts(make(i), lambda n: n in ("P_11", "P_11A"))), name
        assert assert_same(_with_amounts(make(i), lambda n: n == "P_15")), name


def test_given_amounts_keep_their_text_and_a_wrong_one_takes_the_model_path() -> None:
    draft = _with_amounts(make_sample_draft(SELLER, "FV/GIVEN/1", lines=3))
    fa = draft["Fa"]
    fa["FaWiersz"][0]["P_11"] += "0"  # 1474.250: the same amount, another text
    fa["P_15"] = Decimal(fa["P_15"])
    fa["P_13_2"] = "0.00"  # no line at that rate: 0 is accepted
    fa["P_14_1W"] = "1.00"  # a PLN invoice: not checked
    xml = draft_xml._direct(copy.deepcopy(draft))
    assert xml is not None and b"0</P_11>" in xml and b"<P_13_2>0.00</P_13_2>" in xml
    assert assert_same(draft)
    for change in (
        lambda d: d["Fa"]["FaWiersz"][1].update(P_11="1.00"),
        lambda d: d["Fa"].update(P_13_1="1.00"),
        lambda d: d["Fa"].update(P_15="1.00"),
        lambda d: d["Fa"].update(P_13_2="0.01"),
        lambda d: d["Fa"].update(P_15=None),
        lambda d: d["Fa"].update(P_14_1="x"),
    ):
        wrong = copy.deepcopy(draft)
        change(wrong)
        assert assert_same(wrong) is False  # the model path's error, with its message


def test_a_line_value_after_a_discount_taken_once_is_accepted_as_the_builder_accepts_it() -> None:
    draft = make_sample_draft(SELLER, "FV/GIVEN/2", lines=2)
    line = draft["Fa"]["FaWiersz"][0]
    line.update(P_8B="3", P_9A="10.00", P_10="1.00")
    for value, direct in (("27.00", True), ("29.00", True), ("28.00", False)):  # per unit, once, neither
        line["P_11"] = value
        assert assert_same(draft) is direct, value


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts(), st.sets(st.sampled_from(["P_11", "P_11A", "P_13_1", "P_14_1", "P_13_2", "P_15", "P_14_1W"])))
def test_generated_drafts_with_some_amounts_given_build_the_same_both_ways(
    case: tuple[dict[str, Any], str | None], names: set[str]
) -> None:
    draft = case[0]
    try:
        given = _with_amounts(draft, names.__contains__)
    except Exception:
        return  # the builder refuses the draft itself
    assert_same(given)
