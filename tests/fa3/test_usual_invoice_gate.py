"""The fast accept for the usual invoice never hides a problem the general rules would report.

``usual_invoice_passes`` answers True only when the indexed rules (dates, kinds, content, totals,
foreign currency) find nothing; run here on every sample, every case of the negative corpus, generated
invoices and one-change mutations of the usual invoice — both ways, with the same context.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import InvoiceValidationError, XmlSecurityError
from fakturnik.fa3.builder import build_invoice
from fakturnik.fa3.rules import _INDEXED_RULES, RuleContext, usual
from fakturnik.fa3.rules.base import Invoice, tag
from fakturnik.fa3.rules.document import holds_no_markup
from fakturnik.fa3.rules.usual import LINE_COLUMNS, usual_invoice_passes
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.fa3.schemas import FILES, default_store, load_schema
from fakturnik.fa3.validation import validate_xml
from fakturnik.fa3.writer import write_invoice
from tests.conftest import SAMPLES_DIR
from tests.fa3.negative.cases import CASES, VALID
from tests.fa3.test_properties import drafts, kinds

SELLER = "5260250274"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _general(root: etree._Element, ctx: RuleContext) -> list[tuple[str, str, str]]:
    invoice = Invoice.of(root)
    for rule in _INDEXED_RULES:
        rule(invoice, ctx)
    return [(p.path, p.code, p.severity) for p in ctx.problems]


def _gate_agrees(xml: bytes, now: datetime = NOW, env: str = "prod") -> bool:
    """For a schema-valid document: asserts "passes => the rules find nothing"; returns the answer."""
    try:
        root = parse_xml(xml)
    except XmlSecurityError:  # refused before any rule runs (the negative corpus has such cases)
        return False
    if not load_schema("FA (3)").validate(root):
        return False  # the gate is only asked about schema-valid documents
    passes = usual_invoice_passes(root, RuleContext(env=env, now=now))  # type: ignore[arg-type]
    if holds_no_markup(xml):  # each element's text is its value: the gate may read it so, alike
        assert usual_invoice_passes(root, RuleContext(env=env, now=now), True) == passes  # type: ignore[arg-type]
    if passes:
        assert _general(root, RuleContext(env=env, now=now)) == []  # type: ignore[arg-type]
    return passes


def _usual(lines: int = 4, number: str = "FV/GATE/1") -> bytes:
    draft = make_sample_draft(SELLER, number, lines=lines, issue_date=date(2026, 5, 20))
    return write_invoice(build_invoice(draft))


def test_the_usual_invoice_passes_and_the_bench_invoice_too() -> None:
    assert _gate_agrees(_usual())
    bench = write_invoice(build_invoice(make_sample_draft(SELLER, "FV/2026/02/0001", lines=10)))
    assert _gate_agrees(bench, now=datetime(2026, 2, 2, 12, tzinfo=UTC))


def test_samples() -> None:
    passed = [p.name for p in sorted(SAMPLES_DIR.glob("*.xml")) if _gate_agrees(p.read_bytes(), env="test")]
    assert passed  # some public samples are usual invoices


@pytest.mark.parametrize("case", [*CASES, *VALID], ids=lambda c: c.name)
def test_negative_corpus(case: Any) -> None:
    _gate_agrees(case.data(), env=case.env)


def _sub(pattern: str, repl: str, count: int = 1) -> Callable[[bytes], bytes]:
    return lambda xml: re.sub(pattern.encode(), repl.encode(), xml, count=count)


# One change each to the usual invoice; the gate may accept or refuse, but never wrongly accept.
MUTATIONS: dict[str, Callable[[bytes], bytes]] = {
    "future issue date": _sub(r"<P_1>[^<]*</P_1>", "<P_1>2026-06-03</P_1>"),
    "issue date tomorrow": _sub(r"<P_1>[^<]*</P_1>", "<P_1>2026-06-02</P_1>"),
    "issued 31 days early": _sub(r"<P_6>[^<]*</P_6>", "<P_6>2026-06-21</P_6>"),
    "issued 30 days early": _sub(r"<P_6>[^<]*</P_6>", "<P_6>2026-06-19</P_6>"),
    "created in the future": _sub(r"<DataWytworzeniaFa>[^<]*<", "<DataWytworzeniaFa>2026-06-03T00:00:00Z<"),
    "created local time": _sub(r"<DataWytworzeniaFa>[^<]*<", "<DataWytworzeniaFa>2026-06-02T11:00:00<"),
    "no sale date": _sub(r"<P_6>[^<]*</P_6>", ""),
    "kind KOR": _sub(r"<RodzajFaktury>VAT<", "<RodzajFaktury>KOR<"),
    "kind UPR": _sub(r"<RodzajFaktury>VAT<", "<RodzajFaktury>UPR<"),
    "currency EUR": _sub(r"<KodWaluty>PLN<", "<KodWaluty>EUR<"),
    "line without unit": _sub(r"<P_8A>[^<]*</P_8A>", ""),
    "line without name": _sub(r"<P_7>[^<]*</P_7>", ""),
    "line without price": _sub(r"<P_9A>[^<]*</P_9A>", ""),
    "line without value": _sub(r"<P_11>[^<]*</P_11>", ""),
    "line without rate": _sub(r"<P_12>[^<]*</P_12>", ""),
    "line value off": _sub(r"<P_11>([0-9]+)\.([0-9])([0-9])</P_11>", r"<P_11>\1.\g<2>9</P_11>"),
    "net total off": _sub(r"<P_13_1>([0-9]+)\.[0-9]+<", r"<P_13_1>\1.99<"),
    "tax total off": _sub(r"<P_14_1>([0-9]+)\.[0-9]+<", r"<P_14_1>\1.99<"),
    "P_15 off": _sub(r"<P_15>([0-9]+)\.[0-9]+<", r"<P_15>\1.99<"),
    "rate zw without basis": _sub(r"<P_12>23<", "<P_12>zw<"),
    "duplicate line number": _sub(r"<NrWierszaFa>2<", "<NrWierszaFa>1<"),
    "buyer without name": _sub(
        r"(<Podmiot2><DaneIdentyfikacyjne><NIP>[0-9]+</NIP>)<Nazwa>[^<]*</Nazwa>", r"\1"
    ),
    "buyer without address": _sub(r"(<Podmiot2>.*?)<Adres>.*?</Adres>", r"\1"),
    "buyer JST": _sub(r"<JST>2<", "<JST>1<"),
    "buyer GV": _sub(r"<GV>2<", "<GV>1<"),
    "state before": _sub(r"</P_12>", "</P_12><StanPrzed>1</StanPrzed>"),
    "period": _sub(
        r"<P_6>[^<]*</P_6>", "<OkresFa><P_6_Od>2026-05-01</P_6_Od><P_6_Do>2026-05-31</P_6_Do></OkresFa>"
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutations_of_the_usual_invoice(name: str) -> None:
    xml = _usual()
    changed = MUTATIONS[name](xml)
    assert changed != xml, f"mutation {name!r} changed nothing"
    _gate_agrees(changed)


@pytest.mark.parametrize("name", ["future issue date", "P_15 off", "rate zw without basis", "buyer JST"])
def test_mutations_that_break_a_rule_are_refused(name: str) -> None:
    changed = MUTATIONS[name](_usual())
    assert not usual_invoice_passes(parse_xml(changed), RuleContext(now=NOW))
    assert validate_xml(changed, now=NOW).all  # and the general rules report it


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts(), st.integers(min_value=-40, max_value=3))
def test_generated_invoices(case: tuple[dict[str, Any], str | None], days: int) -> None:
    draft, method = case
    try:
        xml = write_invoice(build_invoice(draft, method=method))  # type: ignore[arg-type]
    except (
        InvoiceValidationError,
        ValueError,
    ):  # a draft the builder refuses (pydantic's errors are ValueErrors)
        return
    issue = datetime.fromisoformat(draft["Fa"]["P_1"]).replace(tzinfo=UTC)
    _gate_agrees(xml, now=issue + timedelta(days=days))


@pytest.mark.parametrize(
    "name", ["issue date tomorrow", "issued 30 days early", "no sale date", "created local time"]
)
def test_lawful_edges_stay_on_the_fast_path(name: str) -> None:
    assert _gate_agrees(MUTATIONS[name](_usual()))


def test_the_schema_facts_the_column_reading_relies_on() -> None:
    """Each line field read by column is declared once in FA(3), inside FaWiersz, at most once per line;
    no schema file admits foreign elements (xs:any)."""
    xs = {"xs": "http://www.w3.org/2001/XMLSchema"}
    store = default_store()
    checked = 0
    for file in FILES:
        if file.relpath.startswith("FA/bazowe/") or file.relpath == "FA/schemat_FA(3)_v1-0E.xsd":
            doc = etree.fromstring(store.read(file.relpath))
            assert not doc.xpath("//xs:any", namespaces=xs), file.relpath
            if file.relpath.startswith("FA/bazowe/"):
                names = {el.get("name") for el in doc.iter(f"{{{xs['xs']}}}element")}
                assert not names & set(LINE_COLUMNS), file.relpath
            checked += 1
    assert checked >= 4
    fa3 = etree.fromstring(store.read("FA/schemat_FA(3)_v1-0E.xsd"))
    for name in LINE_COLUMNS:
        declared = fa3.xpath(f"//xs:element[@name='{name}']", namespaces=xs)
        assert len(declared) == 1, name
        owner = [a.get("name") for a in declared[0].iterancestors(f"{{{xs['xs']}}}element")]
        assert owner[0] == "FaWiersz", (name, owner)
        assert declared[0].get("maxOccurs", "1") == "1", name
        if name == "NrWierszaFa":  # counts the lines, and starts each
            assert declared[0].get("minOccurs", "1") == "1"
            assert declared[0].getprevious() is None
            assert declared[0].getparent().tag == f"{{{xs['xs']}}}sequence"
            assert declared[0].getparent().get("minOccurs", "1") == "1"


def test_the_schema_order_the_fa_walk_relies_on() -> None:
    """_fa_ok stops at the first FaWiersz: every Fa child it reads is declared before FaWiersz in Fa's
    sequence, and Rozliczenie (looked for on its own) after it."""
    xs = "http://www.w3.org/2001/XMLSchema"
    fa3 = etree.fromstring(default_store().read("FA/schemat_FA(3)_v1-0E.xsd"))
    (fa,) = [
        el
        for el in fa3.iter(f"{{{xs}}}element")
        if el.get("name") == "Fa" and next(el.iterancestors(f"{{{xs}}}element")).get("name") == "Faktura"
    ]
    order = [
        el.get("name")
        for el in fa.iter(f"{{{xs}}}element")
        if el is not fa and next(el.iterancestors(f"{{{xs}}}element")) is fa
    ]
    assert next(fa.iter(f"{{{xs}}}all"), None) is None  # xs:all would let the children come in any order
    lines = order.index("FaWiersz")
    read = {name[len(tag("")) :] for name in usual._FA_ROLE}
    assert read <= set(order[:lines]), read - set(order[:lines])
    assert order.index("Rozliczenie") > lines


# --- the other usual shapes: gross prices, foreign currency, corrections, advances ------------------


def _shape(name: str) -> bytes:
    """The XML of one shape of the benchmark's mix (tests/fa3/test_mix_drafts.py checks them valid)."""
    from bench.bench_fa3 import mix_shapes

    from fakturnik.fa3.draft_xml import draft_to_xml

    (make,) = [make for shape, _, make in mix_shapes() if shape == name]
    return draft_to_xml(make(1))


SHAPES = {
    "gross": "5 lines, gross prices (P_9B)",
    "EUR": "3 lines in EUR (rate of exchange, VAT in PLN)",
    "KOR": "correction (KOR) of one line of three",
    "ZAL": "advance (ZAL) on an order of three lines",
    "exempt": "2 lines, one exempt with its basis (zw, P_19A)",
}
SHAPE_NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)

# One change each to one of those shapes; again the gate may refuse, but never wrongly accept.
SHAPE_MUTATIONS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gross value off": (
        "gross",
        _sub(r"<P_11A>([0-9]+)\.([0-9])([0-9])</P_11A>", r"<P_11A>\1.\g<2>9</P_11A>"),
    ),
    "gross net total off": ("gross", _sub(r"<P_13_1>([0-9]+)\.[0-9]+<", r"<P_13_1>\1.99<")),
    "gross tax total off": ("gross", _sub(r"<P_14_1>([0-9]+)\.[0-9]+<", r"<P_14_1>\1.99<")),
    "gross tax off by a grosz": ("gross", _sub(r"<P_14_1>([0-9]+)\.([0-9])0<", r"<P_14_1>\1.\g<2>1<")),
    "gross line with a net value too": ("gross", _sub(r"<P_11A>", "<P_11>1.00</P_11><P_11A>")),
    "gross line without value": ("gross", _sub(r"<P_11A>[^<]*</P_11A>", "")),
    "gross line without price": ("gross", _sub(r"<P_9B>[^<]*</P_9B>", "")),
    "gross price and net price": ("gross", _sub(r"<P_9B>", "<P_9A>1.00</P_9A><P_9B>")),
    "gross state before": ("gross", _sub(r"</P_12>", "</P_12><StanPrzed>1</StanPrzed>")),
    "gross in EUR without tax in PLN": ("gross", _sub(r"<KodWaluty>PLN<", "<KodWaluty>EUR<")),
    "EUR without the first tax in PLN": ("EUR", _sub(r"<P_14_1W>[^<]*</P_14_1W>", "")),
    "EUR without any tax in PLN": ("EUR", _sub(r"<P_14_[0-9]W>[^<]*</P_14_[0-9]W>", "", 0)),
    "EUR tax in PLN off": ("EUR", _sub(r"<P_14_1W>([0-9]+)\.[0-9]+<", r"<P_14_1W>\1.99<")),
    "EUR as PLN": ("EUR", _sub(r"<KodWaluty>EUR<", "<KodWaluty>PLN<")),
    "EUR zero tax without PLN": (
        "EUR",
        lambda x: _sub(r"<P_14_3W>[^<]*</P_14_3W>", "")(_sub(r"<P_14_3>[^<]*<", "<P_14_3>0.00<")(x)),
    ),
    "EUR without rate of exchange": ("EUR", _sub(r"<KursWaluty>[^<]*</KursWaluty>", "", 0)),
    "EUR net total off": ("EUR", _sub(r"<P_13_1>([0-9]+)\.[0-9]+<", r"<P_13_1>\1.99<")),
    "KOR without state before": ("KOR", _sub(r"<StanPrzed>1</StanPrzed>", "")),
    "KOR state before twice": (
        "KOR",
        _sub(r"</P_12></FaWiersz>", "</P_12><StanPrzed>1</StanPrzed></FaWiersz>"),
    ),
    "KOR without reference": ("KOR", _sub(r"<DaneFaKorygowanej>.*?</DaneFaKorygowanej>", "")),
    "KOR corrected later": (
        "KOR",
        _sub(r"<DataWystFaKorygowanej>[^<]*<", "<DataWystFaKorygowanej>2026-02-03<"),
    ),
    "KOR corrected the day before": (
        "KOR",
        _sub(r"<DataWystFaKorygowanej>[^<]*<", "<DataWystFaKorygowanej>2026-02-01<"),
    ),
    "KOR as VAT": ("KOR", _sub(r"<RodzajFaktury>KOR<", "<RodzajFaktury>VAT<")),
    "KOR as KOR_ZAL": ("KOR", _sub(r"<RodzajFaktury>KOR<", "<RodzajFaktury>KOR_ZAL<")),
    "KOR total off": ("KOR", _sub(r"<P_13_1>-([0-9]+)\.[0-9]+<", r"<P_13_1>-\1.99<")),
    "KOR total positive": ("KOR", _sub(r"<P_13_1>-", "<P_13_1>")),
    "KOR same line numbers": ("KOR", _sub(r"<NrWierszaFa>2<", "<NrWierszaFa>1<")),
    "KOR exempt without basis": ("KOR", _sub(r"<P_12>23<", "<P_12>zw<", 0)),
    "KOR buyer without address": ("KOR", _sub(r"(<Podmiot2>.*?)<Adres>.*?</Adres>", r"\1")),
    "KOR buyer JST": ("KOR", _sub(r"<JST>2<", "<JST>1<")),
    "KOR line without name": ("KOR", _sub(r"<P_7>[^<]*</P_7>", "")),
    "KOR sold 40 days later": ("KOR", _sub(r"(<P_2>[^<]*</P_2>)", r"\1<P_6>2026-03-20</P_6>")),
    "ZAL without order": ("ZAL", _sub(r"<Zamowienie>.*</Zamowienie>", "")),
    "ZAL P_15 off": ("ZAL", _sub(r"<P_15>([0-9]+)\.[0-9]+<", r"<P_15>\1.99<")),
    "ZAL P_15 off by a grosz": ("ZAL", _sub(r"<P_15>([0-9]+)\.00<", r"<P_15>\1.01<")),
    "ZAL as VAT": ("ZAL", _sub(r"<RodzajFaktury>ZAL<", "<RodzajFaktury>VAT<")),
    "ZAL with correction data": (
        "ZAL",
        _sub(r"</RodzajFaktury>", "</RodzajFaktury><PrzyczynaKorekty>x</PrzyczynaKorekty>"),
    ),
    "ZAL buyer without name": (
        "ZAL",
        _sub(r"(<Podmiot2><DaneIdentyfikacyjne><NIP>[0-9]+</NIP>)<Nazwa>[^<]*</Nazwa>", r"\1"),
    ),
    "ZAL buyer GV": ("ZAL", _sub(r"<GV>2<", "<GV>1<")),
    "ZAL in the future": ("ZAL", _sub(r"<P_1>[^<]*</P_1>", "<P_1>2026-02-12</P_1>")),
    "ZAL sold 40 days later": ("ZAL", _sub(r"<P_6>[^<]*</P_6>", "<P_6>2026-03-20</P_6>")),
    "ZAL with an exemption basis": (
        "ZAL",
        _sub(r"<Zwolnienie><P_19N>1</P_19N>", "<Zwolnienie><P_19>1</P_19><P_19A>art. 43</P_19A>"),
    ),
    "ZAL in EUR without tax in PLN": ("ZAL", _sub(r"<KodWaluty>PLN<", "<KodWaluty>EUR<")),
    "exempt without basis": (
        "exempt",
        _sub(r"<Zwolnienie><P_19>1</P_19><P_19A>[^<]*</P_19A>", "<Zwolnienie><P_19N>1</P_19N>"),
    ),
    "exempt basis without exempt line": ("exempt", _sub(r"<P_12>zw<", "<P_12>23<")),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_other_usual_shapes_pass(shape: str) -> None:
    assert _gate_agrees(_shape(SHAPES[shape]), now=SHAPE_NOW)


@pytest.mark.parametrize("name", sorted(SHAPE_MUTATIONS))
def test_mutations_of_the_other_shapes(name: str) -> None:
    shape, change = SHAPE_MUTATIONS[name]
    xml = _shape(SHAPES[shape])
    changed = change(xml)
    assert changed != xml, f"mutation {name!r} changed nothing"
    _gate_agrees(changed, now=SHAPE_NOW)


@pytest.mark.parametrize(("shape", "name"), [(s, m) for s in sorted(SHAPES) for m in sorted(MUTATIONS)])
def test_every_mutation_of_the_usual_invoice_on_every_shape(shape: str, name: str) -> None:
    xml = _shape(SHAPES[shape])
    changed = MUTATIONS[name](xml)
    if changed != xml:
        _gate_agrees(changed, now=SHAPE_NOW)


@pytest.mark.parametrize(
    "name",
    [
        "gross value off",
        "EUR without the first tax in PLN",
        "KOR corrected later",
        "ZAL without order",
        "ZAL P_15 off",
    ],
)
def test_mutations_of_the_other_shapes_that_break_a_rule_are_refused(name: str) -> None:
    shape, change = SHAPE_MUTATIONS[name]
    changed = change(_shape(SHAPES[shape]))
    assert not usual_invoice_passes(parse_xml(changed), RuleContext(now=SHAPE_NOW))
    assert validate_xml(changed, now=SHAPE_NOW).all


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds(), st.integers(min_value=-40, max_value=3))
def test_generated_invoices_of_every_kind(draft: dict[str, Any], days: int) -> None:
    try:
        xml = write_invoice(build_invoice(draft))
    except (InvoiceValidationError, ValueError):
        return
    issue = datetime.fromisoformat(draft["Fa"]["P_1"]).replace(tzinfo=UTC)
    _gate_agrees(xml, now=issue + timedelta(days=days))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts(), st.sampled_from(sorted(SHAPES)), st.integers(min_value=-40, max_value=3))
def test_generated_lines_in_every_shape(
    case: tuple[dict[str, Any], str | None], shape: str, days: int
) -> None:
    """Generated lines (net or gross, PLN or not) put into each shape's invoice (a correction's or an
    advance's header, kind and references), so that the gate meets odd amounts in every shape."""
    from fakturnik.fa3.builder import build_invoice as build

    draft, method = case
    base = parse_xml(_shape(SHAPES[shape]))
    try:
        generated = parse_xml(write_invoice(build(draft, method=method)))  # type: ignore[arg-type]
    except (InvoiceValidationError, ValueError):
        return
    fa, other = base.find(tag("Fa")), generated.find(tag("Fa"))
    assert fa is not None and other is not None
    for old in fa.findall(tag("FaWiersz")):
        fa.remove(old)
    anchor = (
        fa.find(tag("Rozliczenie")) if fa.find(tag("Rozliczenie")) is not None else fa.find(tag("Platnosc"))
    )
    for line in other.findall(tag("FaWiersz")):
        if anchor is not None:
            anchor.addprevious(line)
        else:
            fa.append(line)
    copied = ("KodWaluty", "P_13_1", "P_14_1", "P_14_1W", "P_13_2", "P_14_2", "P_14_2W", "P_13_3", "P_15")
    for name in copied:  # the generated invoice's currency and totals where the shape has the field
        mine, theirs = fa.find(tag(name)), other.find(tag(name))
        if mine is not None and theirs is not None:
            mine.text = theirs.text
    _gate_agrees(
        etree.tostring(base, xml_declaration=True, encoding="UTF-8"), now=SHAPE_NOW + timedelta(days=days)
    )


def test_the_amount_facets_the_gate_relies_on() -> None:
    """The gate reads the per-rate totals and the line values with Decimal() alone (usual._amount), not
    with rules.base.decimal's bounds: every such field is a TKwotowy, whose pattern admits no exponent, at
    most 16 integer digits and 2 decimal places, so the bounds always hold for a schema-valid value."""
    from fakturnik.fa3.rules.base import decimal

    xs = "http://www.w3.org/2001/XMLSchema"
    fa3 = etree.fromstring(default_store().read("FA/schemat_FA(3)_v1-0E.xsd"))
    (kwotowy,) = [el for el in fa3.iter(f"{{{xs}}}simpleType") if el.get("name") == "TKwotowy"]
    restriction = kwotowy.find(f"{{{xs}}}restriction")
    assert restriction is not None and restriction.get("base") == "xsd:decimal"
    patterns = [p.get("value") for p in restriction.iter(f"{{{xs}}}pattern")]
    assert patterns == [r"-?([1-9]\d{0,15}|0)(\.\d{1,2})?"]
    read = {name[len(tag("")) :] for name in usual._NET_TAX} | {"P_11", "P_11A"}
    for name in read:
        declared = [el for el in fa3.iter(f"{{{xs}}}element") if el.get("name") == name]
        assert declared and all(el.get("type") == "tns:TKwotowy" for el in declared), name
    for text in ("-9999999999999999.99", "0", "0.5", " 12.30\n", "-0.01"):
        assert usual._amount(text) == decimal(text.strip())
