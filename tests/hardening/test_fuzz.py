"""Fuzzers: the JSON form (build + write), FA(3) XML mutations (validate, parse, write, and engine
``issue`` into a real SQLite store), the simulator's JSON endpoints. Each runs a bounded number of
examples here; ``make fuzz`` runs them long (``FUZZ_EXAMPLES=N`` examples or ``FUZZ_SECONDS=S`` seconds
per target, tests/hardening/fuzzing.py). The outcome allowed is a result or a FakturnikError; anything
else is a crash, and a crash found is kept below as an ``@example``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree
from sqlalchemy import func, select

from fakturnik.engine.companies import add_company
from fakturnik.engine.context import EngineContext, open_context
from fakturnik.engine.fields import fill_template, read_fields
from fakturnik.engine.issuing import issue
from fakturnik.engine.settings import EngineSettings
from fakturnik.errors import FakturnikError
from fakturnik.fa3.jsonform import invoice_from_draft, xml_from_draft
from fakturnik.fa3.parser import parse_invoice
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.fa3.validation import validate_xml
from fakturnik.fa3.writer import write_invoice
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store.models import AuditEntry, Invoice, NumberingSeries, OutboxEntry
from tests.conftest import SAMPLES_DIR
from tests.hardening.fuzzing import Case, ServerError, allowed, fuzz_settings, tally, target

FUZZ = fuzz_settings()
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


@target("json_form")
@FUZZ
@given(
    edits=st.lists(st.tuples(st.sampled_from(DRAFT_PATHS), _values), max_size=4),
    extra=st.lists(st.tuples(st.sampled_from(FIELD_NAMES), _values), max_size=2),
)
@example(edits=[(("Fa", "FaWiersz", 0, "P_9A"), "9" * 40)], extra=[])
@example(edits=[], extra=[("xml_attrs", {'x="1"><P_99>INJ</P_99><y z': "v"})])
@example(edits=[], extra=[("xml_attrs", {"{urn:x": "v"})])
def test_fuzz_json_form_build_and_write(edits: list[tuple[Any, Any]], extra: list[tuple[str, Any]]) -> None:
    with tally("json_form").case((edits, extra)) as case:
        draft = copy.deepcopy(BASE_DRAFT)
        for path, value in edits:
            with contextlib.suppress(KeyError, IndexError, TypeError):
                _set(draft, path, value)
        for name, value in extra:
            if isinstance(draft.get("Fa"), dict):
                draft["Fa"][name] = value
        for build in (xml_from_draft, lambda d: write_invoice(invoice_from_draft(d))):
            data = allowed(lambda b=build: b(copy.deepcopy(draft)))  # type: ignore[misc]
            if data is not None:
                case.well_formed(data)  # whatever the writer emits is well-formed


@target("json_text")
@FUZZ
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
@example(text="[" * 5000)
@example(text=b'{"a": "\xff"}')
def test_fuzz_json_text(text: str | bytes) -> None:
    with tally("json_text").case(text):
        allowed(lambda: invoice_from_draft(text))


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


@dataclass
class _Store:
    """A real SQLite store with a company for every sample's seller; numbers kept unique per example."""

    ctx: EngineContext
    sellers: dict[Path, str]
    serial: int = 0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Store]:
    ctx = open_context(tmp_path_factory.mktemp("fuzz-store"), None, EngineSettings.fast(), use_keyring=False)
    sellers = {p: read_fields(p.read_bytes()).seller_nip for p in SAMPLES}
    for nip in sorted(set(sellers.values())):
        add_company(ctx, nip=nip, name=f"Sprzedawca {nip}", base_url="http://127.0.0.1:9")  # never contacted
    yield _Store(ctx, sellers)
    ctx.close()


def _rows(ctx: EngineContext) -> tuple[int, ...]:
    with ctx.db.transaction() as s:
        tables = (Invoice, OutboxEntry, AuditEntry)
        counts = [s.scalar(select(func.count()).select_from(t)) or 0 for t in tables]
        return (*counts, s.scalar(select(func.coalesce(func.sum(NumberingSeries.next_value), 0))) or 0)


def _issue_into_store(store: _Store, seller: str, data: bytes, case: Case) -> None:
    """Engine ``issue``: an accepted document is stored whole (with its outbox entry), a refused one
    leaves nothing (no row, no audit line, no number consumed)."""
    before = _rows(store.ctx)
    try:
        issued = issue(store.ctx, company_nip=seller, xml=data)
    except FakturnikError:
        assert _rows(store.ctx) == before, "a refused invoice left something in the store"
        case.outcome("refused")
        return
    case.outcome("issued")
    with store.ctx.db.transaction() as s:
        row = s.get(Invoice, issued.invoice_id)
        assert row is not None
        stored = bytes(row.xml)
        assert row.sha256 == issued.sha256 == sha256_b64(stored)
        assert row.number == issued.number
        entry = s.scalar(select(OutboxEntry).where(OutboxEntry.invoice_id == row.id))
        assert entry is not None, "an issued invoice without its outbox entry"
    if stored != data:  # numbered on issue: only P_2 and DataWytworzeniaFa may differ
        stamp = datetime(2026, 1, 1, tzinfo=UTC)
        same = fill_template(stored, number=issued.number, created_at=stamp)
        assert same == fill_template(data, number=issued.number, created_at=stamp), "stored not whole"
    case.well_formed(stored)
    after = _rows(store.ctx)
    assert after[:3] == (before[0] + 1, before[1] + 1, before[2] + 1), (before, after)


@target("fa3_xml_mutations")
@FUZZ
@given(
    sample=st.sampled_from(SAMPLES),
    seed=st.integers(0, 2**32),
    steps=st.lists(st.tuples(st.sampled_from(_MUTATIONS), _texts), min_size=1, max_size=3),
)
def test_fuzz_fa3_xml_mutations(store: _Store, sample: Path, seed: int, steps: list[tuple[str, str]]) -> None:
    with tally("fa3_xml_mutations").case((sample.name, seed, steps)) as case:
        rnd = random.Random(seed)
        store.serial += 1
        data = fill_template(sample.read_bytes(), number=f"FUZZ/{store.serial}")  # never a duplicate
        for kind, text in steps:
            try:
                data = _mutate(data, rnd, kind, text)
            except etree.XMLSyntaxError:
                break  # an earlier byte mutation broke it: that is the case to feed in
        report = validate_xml(data, "prod")
        assert all(p.message for p in report.problems)
        invoice = allowed(lambda: parse_invoice(data))
        if invoice is not None:
            out = allowed(lambda: write_invoice(invoice))
            if out is not None:
                case.well_formed(out)
        _issue_into_store(store, store.sellers[sample], data, case)


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
    "/collective-identifiers",
    "/collective-identifiers/query",
    "/collective-identifiers/invoices",
]


@target("simulator_json")
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
    with tally("simulator_json").case((route, body)) as case:
        try:
            content = json.dumps(body).encode()
        except (ValueError, TypeError):
            return
        response = client.post(route, content=content, headers={"Content-Type": "application/json"})
        if response.status_code >= 500:  # the server's own traceback
            raise ServerError(f"{route}: {response.status_code} {response.text[:300]}")
        if response.headers.get("content-type", "").startswith("application/json"):
            case.well_formed_json(response.content)
