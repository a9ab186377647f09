"""Fuzzers: the JSON form (build + write), FA(3) XML mutations (validate, parse, issue), the simulator's
JSON endpoints. Each runs a bounded number of examples here; ``make fuzz`` runs them long
(``FAKTURNIK_FUZZ_EXAMPLES``). The outcome allowed is a result or a FakturnikError; anything else is a
crash, and a crash found is kept below as an ``@example``.
"""

from __future__ import annotations

import contextlib
import copy
import os
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import FakturnikError
from fakturnik.fa3.jsonform import invoice_from_draft, xml_from_draft
from fakturnik.fa3.parser import parse_invoice
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.fa3.validation import validate_xml
from fakturnik.fa3.writer import write_invoice
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer
from tests.conftest import SAMPLES_DIR

EXAMPLES = int(os.environ.get("FAKTURNIK_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
    derandomize=EXAMPLES <= 200,  # the suite is reproducible; long runs explore
)
SELLER = "5261040828"
SAMPLES = sorted(SAMPLES_DIR.glob("*.xml"))

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**45), max_value=10**45),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        ["", "1E+999999", "9" * 40, "-0", "1e-30", "NaN", "\ud800", 'x="1"><a/>', "{urn:x", "PLN"]
    ),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


BASE_DRAFT = make_sample_draft(SELLER, "FV/F/1", lines=2)
DRAFT_PATHS = _paths(BASE_DRAFT)[1:]
FIELD_NAMES = sorted({p[-1] for p in DRAFT_PATHS if isinstance(p[-1], str)} | {"xml_attrs", "xml_extra"})


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = value


def _allowed(action: Any) -> Any:
    try:
        return action()
    except FakturnikError:
        return None


@FUZZ
@given(
    edits=st.lists(st.tuples(st.sampled_from(DRAFT_PATHS), _values), max_size=4),
    extra=st.lists(st.tuples(st.sampled_from(FIELD_NAMES), _values), max_size=2),
)
@example(edits=[(("Fa", "FaWiersz", 0, "P_9A"), "9" * 40)], extra=[])
@example(edits=[], extra=[("xml_attrs", {'x="1"><P_99>INJ</P_99><y z': "v"})])
@example(edits=[], extra=[("xml_attrs", {"{urn:x": "v"})])
def test_fuzz_json_form_build_and_write(edits: list[tuple[Any, Any]], extra: list[tuple[str, Any]]) -> None:
    draft = copy.deepcopy(BASE_DRAFT)
    for path, value in edits:
        with contextlib.suppress(KeyError, IndexError, TypeError):
            _set(draft, path, value)
    for name, value in extra:
        if isinstance(draft.get("Fa"), dict):
            draft["Fa"][name] = value
    for build in (xml_from_draft, lambda d: write_invoice(invoice_from_draft(d))):
        data = _allowed(lambda b=build: b(copy.deepcopy(draft)))  # type: ignore[misc]
        if data is not None:
            parse_xml(data)  # whatever the writer emits is well-formed


@FUZZ
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
@example(text="[" * 5000)
@example(text=b'{"a": "\xff"}')
def test_fuzz_json_text(text: str | bytes) -> None:
    _allowed(lambda: invoice_from_draft(text))


_MUTATIONS = ["delete", "duplicate", "text", "comment", "cdata", "attr", "truncate", "byte"]
_texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["9" * 40, "1E+999999", "-0.001", "2026-02-30", "0000-00-00", "77400<!---->01455", "&#0;"]
    ),
)


def _mutate(data: bytes, rnd: random.Random, kind: str, text: str) -> bytes:
    if not data:
        return data
    if kind == "truncate":
        return data[: rnd.randrange(len(data))]
    if kind == "byte":
        i = rnd.randrange(len(data))
        return data[:i] + bytes([rnd.randrange(256)]) + data[i + 1 :]
    root = etree.fromstring(data)
    elements = [e for e in root.iter() if isinstance(e.tag, str) and e is not root]
    el = rnd.choice(elements)
    if kind == "delete":
        el.getparent().remove(el)  # type: ignore[union-attr]
    elif kind == "duplicate":
        el.addnext(copy.deepcopy(el))
    elif kind == "text":
        el.text = "".join(c for c in text if c.isprintable() and ord(c) < 0xD800)
    elif kind == "comment":
        el.append(etree.Comment("x"))
    elif kind == "cdata" and len(el) == 0:
        el.text = etree.CDATA("".join(c for c in text if c.isalnum()))
    elif kind == "attr":
        el.set("extra", "".join(c for c in text if c.isalnum()) or "v")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@FUZZ
@given(
    sample=st.sampled_from(SAMPLES),
    seed=st.integers(0, 2**32),
    steps=st.lists(st.tuples(st.sampled_from(_MUTATIONS), _texts), min_size=1, max_size=3),
)
def test_fuzz_fa3_xml_mutations(sample: Any, seed: int, steps: list[tuple[str, str]]) -> None:
    rnd = random.Random(seed)
    data = sample.read_bytes()
    for kind, text in steps:
        try:
            data = _mutate(data, rnd, kind, text)
        except etree.XMLSyntaxError:
            break  # an earlier byte mutation broke it: that is the case to feed in
    report = validate_xml(data, "prod")
    assert all(p.message for p in report.problems)
    invoice = _allowed(lambda: parse_invoice(data))
    if invoice is not None:
        out = _allowed(lambda: write_invoice(invoice))
        if out is not None:
            parse_xml(out)


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[SimulatorServer, httpx.Client]]:
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as server:
        tokens = mint_session(
            server.sim, context_type="Nip", context_value=SELLER, subject_type="Nip", subject_value=SELLER
        )
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {tokens['accessToken']}"}, timeout=30
        ) as client:
            yield server, client


JSON_ROUTES = [
    "/invoices/query/metadata",
    "/invoices/exports",
    "/sessions/online",
    "/sessions/batch",
    "/auth/challenge",
    "/auth/ksef-token",
    "/auth/token/redeem",
    "/tokens",
    "/certificates/query",
    "/certificates/enrollments",
    "/permissions/persons/grants",
    "/permissions/query/persons/grants",
    "/testdata/subject",
    "/testdata/rate-limits",
]


@FUZZ
@given(route=st.sampled_from(JSON_ROUTES), body=_values)
@example(
    route="/invoices/query/metadata",
    body={"subjectType": "Subject1", "dateRange": {"dateType": "Issue", "from": "9999-12-31T23:59:59"}},
)
@example(
    route="/sessions/online",
    body={"formCode": {"systemCode": "\ud800", "schemaVersion": "1-0E", "value": "FA"}},
)
def test_fuzz_simulator_json_endpoints(
    sim: tuple[SimulatorServer, httpx.Client], route: str, body: Any
) -> None:
    _, client = sim
    try:
        content = __import__("json").dumps(body).encode()
    except (ValueError, TypeError):
        return
    response = client.post(route, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, (route, body, response.text[:500])
