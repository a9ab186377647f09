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
from fakturnik.fa3.rules.usual import LINE_COLUMNS, usual_invoice_passes
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.fa3.schemas import FILES, default_store, load_schema
from fakturnik.fa3.validation import validate_xml
from fakturnik.fa3.writer import write_invoice
from tests.conftest import SAMPLES_DIR
from tests.fa3.negative.cases import CASES, VALID
from tests.fa3.test_properties import drafts

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
        if name == "NrWierszaFa":  # counts the lines
            assert declared[0].get("minOccurs", "1") == "1"
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
