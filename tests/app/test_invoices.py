"""Issuing and reading invoices through the front door (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from datetime import date, timedelta
from decimal import Decimal

import pytest

from fakturnik.app import Fakturnik, InvoiceFilter
from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import (
    ConflictError,
    IdempotencyConflictError,
    InputError,
    InvoiceValidationError,
    NotFoundError,
)
from tests.app.conftest import company_id
from tests.app.kit import NIP_A, draft


def test_issue_from_a_draft_returns_a_typed_view_with_number_totals_and_parties(fk_db: Fakturnik) -> None:
    a = company_id(fk_db, NIP_A)
    result = fk_db.invoices.issue(a, draft(lines=2))
    inv = result.invoice
    year = warsaw_today().year
    assert inv.number == f"FV/{year}/000001"
    assert inv.status == "queued"
    assert inv.totals.net == Decimal("200.00") and inv.totals.vat == Decimal("46.00")
    assert inv.totals.gross == Decimal("246.00") and inv.totals.currency == "PLN"
    assert inv.seller.nip == NIP_A and inv.buyer.nip == "9166568761" and inv.buyer.name == "Klient S.A."
    assert inv.buyer.address == "ul. Długa 2, 30-001 Kraków" and inv.seller.address.startswith("ul. Prosta 1")
    assert inv.ksef_number is None and inv.ksef_error is None and not inv.upo_available
    assert [h.status for h in inv.history] == ["queued"]
    assert inv.payment.state == "unpaid"
    with pytest.raises(FrozenInstanceError):
        inv.number = "X"  # type: ignore[misc]
    assert fk_db.invoices.issue(a, draft()).invoice.number == f"FV/{year}/000002"
    xml = fk_db.invoices.xml(a, inv.id)
    assert f"<P_2>FV/{year}/000001</P_2>".encode() in xml


def test_issue_from_json_bytes_and_from_xml(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    first = fk.invoices.issue(a, json.dumps(draft()).encode()).invoice
    xml = fk.invoices.xml(a, first.id).replace(first.number.encode(), b"AUTO")
    second = fk.invoices.issue(a, xml=xml).invoice
    assert second.number != first.number and second.totals == first.totals
    empty = fk.invoices.xml(a, first.id).replace(f"<P_2>{first.number}</P_2>".encode(), b"<P_2></P_2>")
    third = fk.invoices.issue(a, xml=empty).invoice
    assert third.number.endswith("000003")


def test_an_invalid_draft_is_refused_with_paths_and_consumes_no_number(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    bad = draft()
    bad["Fa"]["FaWiersz"][0]["P_12"] = "24"
    with pytest.raises(InvoiceValidationError) as err:
        fk.invoices.issue(a, bad)
    assert any("FaWiersz" in p.path for p in err.value.problems)
    assert fk.invoices.list(a).items == ()
    assert fk.invoices.issue(a, draft()).invoice.number.endswith("000001")


def test_an_invoice_of_another_seller_is_refused(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    with pytest.raises(InputError):
        fk.invoices.issue(a, draft(seller="7740001454"))


def test_idempotency_same_body_replays_other_body_conflicts(fk_db: Fakturnik) -> None:
    a = company_id(fk_db, NIP_A)
    first = fk_db.invoices.issue(a, draft(), idempotency_key="order-1")
    again = fk_db.invoices.issue(a, draft(), idempotency_key="order-1")
    assert again.replayed and not first.replayed and again.invoice.id == first.invoice.id
    with pytest.raises(IdempotencyConflictError):
        fk_db.invoices.issue(a, draft(net="99.00"), idempotency_key="order-1")
    assert len(fk_db.invoices.list(a).items) == 1


def test_bulk_issue_reports_each_item_and_stores_only_the_good_ones(fk_db: Fakturnik) -> None:
    a = company_id(fk_db, NIP_A)
    bad = draft()
    bad["Fa"]["FaWiersz"][0]["P_9A"] = "abc"
    items = [draft(), bad, draft(), draft(number="RĘCZNY/1"), draft(number="RĘCZNY/1")]
    result = fk_db.invoices.issue_many(a, items)
    assert [i.ok for i in result.items] == [True, False, True, True, False]
    assert result.items[1].problems and result.items[1].error_code == "invoice_invalid"
    assert result.items[4].error_code == "conflict"
    numbers = [i.invoice.number for i in result.items if i.invoice]
    year = warsaw_today().year
    assert numbers == [f"FV/{year}/000001", f"FV/{year}/000002", "RĘCZNY/1"]
    assert fk_db.invoices.list(a, with_totals=True).total_count == 3


def test_bulk_limit_and_keys(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    with pytest.raises(InputError):
        fk.invoices.issue_many(a, [draft()] * 1001)
    result = fk.invoices.issue_many(a, [draft(), draft(), draft(net="5")], idempotency_keys=["k", "k", "k"])
    assert [i.ok for i in result.items] == [True, True, False]
    assert result.items[1].replayed and result.items[1].invoice.id == result.items[0].invoice.id  # type: ignore[union-attr]
    assert result.items[2].error_code == "idempotency_conflict"


def test_list_filters_and_cursor_paging(fk_db: Fakturnik) -> None:
    a = company_id(fk_db, NIP_A)
    today = warsaw_today()
    past = (today - timedelta(days=40)).isoformat()
    fk_db.invoices.issue_many(
        a,
        [draft(buyer="9166568761", due=(today - timedelta(days=1)).isoformat()) for _ in range(5)]
        + [draft(buyer="1181994512", buyer_name="Inny Klient", issue_date=past) for _ in range(3)],
    )
    page = fk_db.invoices.list(a, limit=3, with_totals=True)
    assert len(page.items) == 3 and page.total_count == 8 and page.total_gross == Decimal("984.00")
    seen = [i.id for i in page.items]
    while page.next_cursor:
        page = fk_db.invoices.list(a, limit=3, cursor=page.next_cursor)
        seen += [i.id for i in page.items]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 8
    assert len(fk_db.invoices.list(a, InvoiceFilter(buyer_nip="1181994512")).items) == 3
    assert len(fk_db.invoices.list(a, InvoiceFilter(q="inny")).items) == 3
    assert len(fk_db.invoices.list(a, InvoiceFilter(month=today.strftime("%Y-%m"))).items) == 5
    assert len(fk_db.invoices.list(a, InvoiceFilter(issue_to=today - timedelta(days=30))).items) == 3
    assert len(fk_db.invoices.list(a, InvoiceFilter(status=("queued",))).items) == 8
    assert len(fk_db.invoices.list(a, InvoiceFilter(paid="overdue")).items) == 5
    one = fk_db.invoices.list(a, limit=1).items[0]
    assert fk_db.invoices.list(a, InvoiceFilter(number=one.number)).items[0].id == one.id
    fk_db.invoices.record_payment(a, one.id)
    assert [i.id for i in fk_db.invoices.list(a, InvoiceFilter(paid="paid")).items] == [one.id]
    assert len(fk_db.invoices.list(a, InvoiceFilter(paid="unpaid")).items) == 7
    with pytest.raises(InputError):
        fk_db.invoices.list(a, cursor="garbage!")
    with pytest.raises(InputError):
        fk_db.invoices.list(a, InvoiceFilter(q="x" * 201))


def test_payments_partly_then_fully(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    inv = fk.invoices.issue(a, draft()).invoice  # 123.00 gross
    view = fk.invoices.record_payment(a, inv.id, "23.00", date(2026, 1, 2))
    assert view.payment.state == "partly_paid" and view.payment.paid_amount == Decimal("23.00")
    view = fk.invoices.record_payment(a, inv.id, Decimal("100.00"))
    assert view.payment.state == "paid"
    with pytest.raises(InputError):
        fk.invoices.record_payment(a, inv.id, "0.01")
    with pytest.raises(InputError):
        fk.invoices.record_payment(a, inv.id, "-1")
    assert fk.invoices.clear_payment(a, inv.id).payment.state == "unpaid"


def test_correction_from_an_existing_invoice(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    original = fk.invoices.issue(a, draft(net="100.00")).invoice
    kor = fk.invoices.correction_draft(a, original.id, reason="Rabat")
    lines = kor["Fa"]["FaWiersz"]
    assert len(lines) == 2 and lines[0]["StanPrzed"] == 1 and "StanPrzed" not in lines[1]
    assert kor["Fa"]["DaneFaKorygowanej"][0]["NrFaKorygowanej"] == original.number
    lines[1]["P_9A"] = "80.00"
    result = fk.invoices.correct(a, original.id, kor)
    assert result.invoice.kind == "KOR" and result.invoice.corrects_id == original.id
    assert result.invoice.number.startswith("KOR/")
    assert result.invoice.totals.net == Decimal("-20.00")
    other = fk.invoices.issue(a, draft()).invoice
    with pytest.raises(InputError):
        fk.invoices.correct(a, other.id, kor)  # names the first invoice, not this one


def test_duplicate_draft_and_preview(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    inv = fk.invoices.issue(a, draft(lines=3)).invoice
    dup = fk.invoices.duplicate_draft(a, inv.id)
    assert dup["Fa"]["P_2"] == "AUTO" and "P_15" not in dup["Fa"]
    again = fk.invoices.issue(a, dup).invoice
    assert again.totals == inv.totals and again.number != inv.number
    half = {"Fa": {"FaWiersz": [{"P_7": "x", "P_8B": "2", "P_9A": "10", "P_12": "8"}]}}
    preview = fk.invoices.preview(a, half)
    assert preview.gross == Decimal("21.60") and preview.rates[0].rate == "8"


def test_get_unknown_and_history_and_upo_missing(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    inv = fk.invoices.issue(a, draft()).invoice
    assert [h.status for h in fk.invoices.history(a, inv.id)] == ["queued"]
    with pytest.raises(NotFoundError):
        fk.invoices.upo(a, inv.id)
    with pytest.raises(NotFoundError):
        fk.invoices.get(a, 999_999)
    with pytest.raises(NotFoundError):
        fk.received.get(a, inv.id)  # an issued invoice is not a received one


def test_duplicate_manual_number_is_a_conflict(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    fk.invoices.issue(a, draft(number="A/1"))
    with pytest.raises(ConflictError):
        fk.invoices.issue(a, draft(number="A/1"))
