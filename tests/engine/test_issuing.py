"""Issuing: invoice + number + outbox entry in one transaction; numbers never reused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fakturnik.base.warsaw import warsaw_today
from fakturnik.engine import fields
from fakturnik.engine.companies import add_company
from fakturnik.engine.context import EngineContext, open_context
from fakturnik.engine.issuing import issue, json_to_xml, validation_env
from fakturnik.errors import DuplicateNumberError, EngineError, InvoiceValidationError, StoreError
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.store import repo, states
from tests.engine.helpers import NIP, fast_settings, sample_invoice


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EngineContext:
    monkeypatch.delenv("FAKTURNIK_MASTER_KEY", raising=False)
    context = open_context(tmp_path, None, fast_settings(), use_keyring=False)
    add_company(context, nip=NIP, name="ACME", base_url="http://127.0.0.1:9/v2")
    return context


def _count(ctx: EngineContext) -> tuple[int, int]:
    with ctx.db.transaction() as s:
        return len(repo.list_invoices(s)), sum(repo.outbox_counts(s).values())


def test_auto_numbers_are_written_into_the_xml_and_hashed(ctx: EngineContext) -> None:
    a = issue(ctx, company_nip=NIP, xml=sample_invoice())
    b = issue(ctx, company_nip=NIP, xml=sample_invoice())
    kept = issue(ctx, company_nip=NIP, xml=sample_invoice(number="RĘCZNY/1"))
    assert (a.number, b.number, kept.number) == ("FV/2026/000001", "FV/2026/000002", "RĘCZNY/1")
    with ctx.db.transaction() as s:
        inv = repo.list_invoices(s)[0]
        assert fields.read_fields(inv.xml).number == "FV/2026/000001"
        assert inv.sha256 == sha256_b64(inv.xml) == a.sha256
        entry = repo.outbox_for(s, inv.id)
        assert entry is not None and entry.state == states.QUEUED and entry.invoice_hash == inv.sha256
        assert inv.seller_nip == NIP and inv.gross is not None and inv.issue_date == warsaw_today()
        # what the lists show, filter and sum: the file's summary (net, VAT, dates too)
        described = repo.summary_columns(fields.read_fields(inv.xml))
        assert {column: getattr(inv, column) for column in described} == described
        assert inv.net is not None and inv.vat is not None
    assert _count(ctx) == (3, 3)


def test_a_failed_enqueue_leaves_nothing_and_the_number_is_not_lost(
    ctx: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(repo, "enqueue", broken)
    with pytest.raises(RuntimeError):
        issue(ctx, company_nip=NIP, xml=sample_invoice())
    assert _count(ctx) == (0, 0)
    monkeypatch.undo()
    assert issue(ctx, company_nip=NIP, xml=sample_invoice()).number == "FV/2026/000001"


def test_a_number_is_never_used_twice_for_a_seller_and_kind(ctx: EngineContext) -> None:
    issue(ctx, company_nip=NIP, xml=sample_invoice(number="X/1"))
    with pytest.raises(DuplicateNumberError, match="X/1 już istnieje"):
        issue(ctx, company_nip=NIP, xml=sample_invoice(number="X/1"))
    assert _count(ctx) == (1, 1)


def test_a_race_for_one_number_ends_in_the_same_polish_refusal(
    ctx: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakturnik.store import repo

    issue(ctx, company_nip=NIP, xml=sample_invoice(number="X/2"))
    monkeypatch.setattr(repo, "invoice_by_number", lambda *a, **k: None)  # the other process won
    with pytest.raises(DuplicateNumberError, match="X/2 już istnieje"):
        issue(ctx, company_nip=NIP, xml=sample_invoice(number="X/2"))
    assert _count(ctx) == (1, 1)


def test_foreign_seller_and_unknown_company_are_refused(ctx: EngineContext) -> None:
    with pytest.raises(EngineError):
        issue(ctx, company_nip=NIP, xml=sample_invoice(seller_nip="1111111111"))
    with pytest.raises(StoreError):
        issue(ctx, company_nip="1111111111", xml=sample_invoice(seller_nip="1111111111"))
    assert _count(ctx) == (0, 0)


def test_json_draft_is_issued_through_the_fa3_writer(ctx: EngineContext) -> None:
    draft = make_sample_draft(NIP, "AUTO", 2, issue_date=warsaw_today())
    xml = json_to_xml(json.dumps(draft, default=str).encode())
    issued = issue(ctx, company_nip=NIP, xml=xml)
    assert issued.number == "FV/2026/000001"


def test_announced_unavailability_and_failure_deadlines_follow_the_outage_end(ctx: EngineContext) -> None:
    from datetime import UTC, datetime

    from fakturnik.base.warsaw import warsaw_today
    from fakturnik.engine.availability import end_outage, start_outage
    from fakturnik.engine.business_days import add_business_days

    api = "http://127.0.0.1:9/v2"
    with ctx.db.transaction() as s:
        start_outage(s, api, mode="offline")
    waiting = issue(ctx, company_nip=NIP, xml=sample_invoice())
    assert (
        waiting.status == states.OFFLINE
        and waiting.offline_kind == "offline"
        and waiting.offline_deadline is None
    )
    with ctx.db.transaction() as s:
        end_outage(s, api, now=datetime.now(UTC))
    today = warsaw_today()
    with ctx.db.transaction() as s:
        inv = repo.list_invoices(s)[0]
        assert inv.offline_deadline == add_business_days(today, 1)
    # a failure announced while it is still pending restarts the count: 7 business days after its end
    with ctx.db.transaction() as s:
        start_outage(s, api, mode="failure")
    issued_in_failure = issue(ctx, company_nip=NIP, xml=sample_invoice())
    assert issued_in_failure.offline_kind == "failure"
    with ctx.db.transaction() as s:
        end_outage(s, api, now=datetime.now(UTC))
    with ctx.db.transaction() as s:
        first, second = repo.list_invoices(s)
        assert first.offline_deadline == second.offline_deadline == add_business_days(today, 7)
        assert repo.open_outage(s, api) is None


def _without(xml: bytes, element: str) -> bytes:
    return re.sub(rf"<{element}>[^<]*</{element}>".encode(), b"", xml, count=1)


def test_an_invalid_invoice_is_refused_with_every_problem_and_nothing_is_kept(ctx: EngineContext) -> None:
    broken = _without(sample_invoice(), "P_15")  # XSD: P_15 is required
    broken = broken.replace(b"<P_13_1>", b"<P_13_1>1", 1)  # and a per-rate total that disagrees
    with pytest.raises(InvoiceValidationError) as refused:
        issue(ctx, company_nip=NIP, xml=broken)
    codes = {p.code for p in refused.value.problems}
    assert {"XSD_UNEXPECTED_ELEMENT", "TOTALS_MISMATCH"} <= codes  # the element after P_15 comes too early
    assert all(p.message and p.path for p in refused.value.problems)
    assert _count(ctx) == (0, 0)
    assert issue(ctx, company_nip=NIP, xml=sample_invoice()).number == "FV/2026/000001"  # none consumed


def test_the_number_is_filled_in_before_the_check(ctx: EngineContext) -> None:
    assert b"<P_2>AUTO</P_2>" in sample_invoice()
    assert issue(ctx, company_nip=NIP, xml=sample_invoice()).number == "FV/2026/000001"
    with pytest.raises(InvoiceValidationError):
        issue(ctx, company_nip=NIP, xml=sample_invoice(number="X" * 257), auto_number=False)  # P_2: max 256


@pytest.mark.parametrize(
    ("environment", "refused"),
    [("local", False), ("test", False), ("demo", False), ("prod", True), ("custom", True)],
)
def test_a_bad_buyer_nip_checksum_is_an_error_only_for_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environment: str, refused: bool
) -> None:
    monkeypatch.delenv("FAKTURNIK_MASTER_KEY", raising=False)
    context = open_context(tmp_path, None, fast_settings(), use_keyring=False)
    where = {"local": "http://127.0.0.1:9/v2", "custom": "https://ksef.example.invalid/v2"}
    add_company(context, nip=NIP, name="ACME", environment=environment, base_url=where.get(environment))
    assert validation_env(environment) == ("prod" if refused else environment.replace("local", "test"))
    with context.db.transaction() as s:
        assert repo.company_by_nip(s, NIP).environment == environment
    xml = fields.fill_template(sample_invoice(), buyer_nip="1234567890")  # checksum digit wrong
    if refused:
        with pytest.raises(InvoiceValidationError) as error:
            issue(context, company_nip=NIP, xml=xml)
        assert [p.code for p in error.value.problems] == ["NIP_CHECKSUM"]
    else:
        issued = issue(context, company_nip=NIP, xml=xml)
        assert [w.code for w in issued.warnings] == ["NIP_CHECKSUM"]  # noted, not refused


def test_a_company_is_registered_in_its_own_context_and_audited_with_the_actor(ctx: EngineContext) -> None:
    from sqlalchemy import select

    from fakturnik.store.models import AuditEntry

    add_company(ctx, nip="9166568761", name="Beta", base_url="http://127.0.0.1:9/v2", actor="demo")
    with ctx.db.transaction() as s:
        company = repo.company_by_nip(s, "9166568761")
        assert (company.context_type, company.context_value) == ("Nip", "9166568761")
        actors = s.scalars(
            select(AuditEntry.actor).where(
                AuditEntry.action == "company.add", AuditEntry.company_id == company.id
            )
        ).all()
        assert actors == ["demo"]
