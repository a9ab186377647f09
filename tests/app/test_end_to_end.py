"""The front door against the embedded simulator with the engine in-process: KSeF numbers, UPO,
received invoices, outages — and 20 concurrent issues with one idempotency key."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from fakturnik.app import Fakturnik, InvoiceFilter
from fakturnik.engine.settings import EngineSettings
from fakturnik.errors import FakturnikError
from tests.app.conftest import company_id
from tests.app.kit import NIP_A, NIP_B, draft
from tests.store.pg import fresh_pg_database
from tests.threads import run_threads


def test_issue_to_accepted_with_ksef_number_and_upo_then_received_by_the_buyer(fk_sim: Fakturnik) -> None:
    a = company_id(fk_sim, NIP_A)
    b = fk_sim.companies.add(NIP_B, "Nabywca", environment="local").id
    with fk_sim.running_worker():
        issued = fk_sim.invoices.issue(a, draft(buyer=NIP_B)).invoice
        done = fk_sim.invoices.wait(a, issued.id, timeout=60)
        assert done.status == "accepted" and done.ksef_number and done.ksef_number.startswith(NIP_A)
        assert done.acquired_at is not None and done.offline_deadline is None
        assert done.history[0].status == "queued" and done.history[-1].status == "accepted"
        for _ in range(100):
            if fk_sim.invoices.get(a, issued.id).upo_available:
                break
            import time

            time.sleep(0.1)
        assert b"Potwierdzenie" in fk_sim.invoices.upo(a, issued.id) or fk_sim.invoices.upo(a, issued.id)
        html = fk_sim.invoices.html(a, issued.id)
        assert done.ksef_number in html and issued.number in html and "<script" not in html
        page = fk_sim.invoices.list(a, InvoiceFilter(ksef_number=done.ksef_number))
        assert [i.id for i in page.items] == [issued.id]
    result = fk_sim.ksef.sync(b)
    assert result.new == 1
    received = fk_sim.received.list(b).items
    assert len(received) == 1 and received[0].ksef_number == done.ksef_number
    assert received[0].seller.nip == NIP_A and received[0].status == "received"
    assert received[0].totals == done.totals and received[0].payment.due_date == done.payment.due_date
    booked = fk_sim.received.mark_booked(b, received[0].id)
    assert booked.booked_at is not None
    assert fk_sim.received.list(b, InvoiceFilter(booked=False)).items == ()
    assert fk_sim.received.xml(b, received[0].id) == fk_sim.invoices.xml(a, issued.id)


def test_outage_issues_offline_with_a_deadline_then_recovers(fk_sim: Fakturnik) -> None:
    a = company_id(fk_sim, NIP_A)
    state = fk_sim.ksef.start_outage(a, "offline")
    assert state.outage and state.offline_issuing and state.mode == "offline" and state.since is not None
    inv = fk_sim.invoices.issue(a, draft()).invoice
    assert inv.status == "offline"
    assert fk_sim.ksef.availability(a).pending_offline == 1
    ended = fk_sim.ksef.end_outage(a)
    assert not ended.outage and ended.ended_at is not None
    view = fk_sim.invoices.get(a, inv.id)
    assert view.offline_mode and view.offline_deadline is not None
    with fk_sim.running_worker():
        assert fk_sim.invoices.wait(a, inv.id, timeout=60).status == "accepted"


def _twenty_at_once(fk: Fakturnik, a: int) -> list[object]:
    results: list[object] = []
    barrier = threading.Barrier(20)

    def go() -> None:
        barrier.wait()
        try:
            results.append(fk.invoices.issue(a, draft(), idempotency_key="zamowienie-77").invoice.id)
        except FakturnikError as exc:  # pragma: no cover - reported by the assertion
            results.append(exc)

    run_threads([go] * 20)
    return results


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_twenty_concurrent_issues_with_one_key_make_one_invoice(tmp_path: Path, backend: str) -> None:
    def check(fk: Fakturnik) -> None:
        a = fk.companies.add(NIP_A, "Firma A").id
        results = _twenty_at_once(fk, a)
        assert all(isinstance(r, int) for r in results), results
        assert len(set(results)) == 1
        assert fk.invoices.list(a, with_totals=True).total_count == 1

    if backend == "sqlite":
        with Fakturnik.open(tmp_path, settings=EngineSettings.fast()) as fk:
            check(fk)
    else:
        with fresh_pg_database() as url, Fakturnik.open(tmp_path, database_url=url) as fk:
            check(fk)


def test_connection_check_says_what_works(fk_sim: Fakturnik) -> None:
    a = company_id(fk_sim, NIP_A)
    check = fk_sim.ksef.check_connection(a)
    assert check.ok and [s.ok for s in check.steps] == [True, True, True]
    assert check.steps[-1].message == "Połączenie z KSeF działa: logowanie udane."
    fk_sim.companies.set_ksef_token(a, "zły-token")
    bad = fk_sim.ksef.check_connection(a)
    assert not bad.ok and bad.steps[-1].label == "Logowanie do KSeF" and not bad.steps[-1].ok
    b = fk_sim.companies.add(NIP_B, "B", environment="test", base_url="http://127.0.0.1:9").id
    none = fk_sim.ksef.check_connection(b)
    assert not none.ok and "Brak danych" in none.steps[0].message
    fk_sim.companies.set_ksef_token(b, "token")
    down = fk_sim.ksef.check_connection(b)
    assert not down.ok and down.steps[-1].message.startswith("KSeF nie odpowiada")


def test_a_rejected_invoice_shows_ksef_code_and_reason(fk_sim: Fakturnik) -> None:
    from fakturnik.engine.issuing import issue

    a = company_id(fk_sim, NIP_A)
    good = fk_sim.invoices.issue(a, draft()).invoice
    xml = fk_sim.invoices.xml(a, good.id)
    start, end = xml.index(b"<P_15>"), xml.index(b"</P_15>") + len(b"</P_15>")
    broken = xml[:start] + xml[end:]  # XSD: P_15 is required — past our own check, KSeF must refuse it
    bad_id = issue(
        fk_sim.ctx, company_nip=NIP_A, xml=broken.replace(good.number.encode(), b"AUTO"), check=False
    )
    with fk_sim.running_worker():
        view = fk_sim.invoices.wait(a, bad_id.invoice_id, timeout=60)
    assert view.status == "rejected" and view.ksef_number is None
    assert view.ksef_error is not None and view.ksef_error.code and view.ksef_error.message
    assert view.history[-1].status == "rejected"
    rejected = fk_sim.invoices.list(a, InvoiceFilter(status=("rejected",))).items
    assert [i.id for i in rejected] == [bad_id.invoice_id]
