"""The session UPO through the front door, against the embedded simulator with the engine in-process:
not there while the invoice waits, then the session's reference, dates and pages, and the page that
lists the invoice — online and in a batch whose UPO comes in pages. And who issued each invoice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from fakturnik.app import Actor, Fakturnik
from fakturnik.engine.planner import PlannerSettings
from fakturnik.engine.settings import EngineSettings
from fakturnik.errors import InputError, NotFoundError
from tests.app.kit import NIP_A, NIP_B, draft, user_with_role


@pytest.fixture
def fk_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fakturnik]:
    from fakturnik.engine import worker

    # an online session's UPO is asked for in the worker's UPO round once the session closed
    # (every 60 s); every second here
    monkeypatch.setattr(worker, "UPO_RETRY_EVERY", 1.0)
    settings = replace(EngineSettings.fast(), planner=PlannerSettings(batch_min_invoices=5))
    with Fakturnik.open(tmp_path, simulator=True, settings=settings) as app:
        app.companies.add(NIP_A, "Firma A", environment="local")
        yield app


def _wait_session_upo(fk: Fakturnik, company: int, invoice_id: int, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fk.invoices.get(company, invoice_id).session_upo_available:
            return
        time.sleep(0.2)
    raise AssertionError("the session UPO was not stored in time")


def test_an_online_invoice_gets_its_session_upo(fk_fast: Fakturnik) -> None:
    a = fk_fast.companies.by_nip(NIP_A).id
    issued = fk_fast.invoices.issue(a, draft(buyer=NIP_B), urgent=True).invoice
    assert not issued.session_upo_available and issued.session_reference is None
    with pytest.raises(NotFoundError, match="UPO sesji"):
        fk_fast.invoices.session_upo(a, issued.id)
    with pytest.raises(NotFoundError, match="UPO sesji"):
        fk_fast.invoices.session_upo_xml(a, issued.id)
    with fk_fast.running_worker():
        done = fk_fast.invoices.wait(a, issued.id, timeout=60)
        assert done.status == "accepted" and done.ksef_number
        _wait_session_upo(fk_fast, a, issued.id)  # the online session closes when idle, then KSeF issues it
    view = fk_fast.invoices.session_upo(a, issued.id)
    assert view.ksef_number == done.ksef_number and view.session_kind == "online"
    assert view.session_reference == fk_fast.invoices.get(a, issued.id).session_reference
    assert view.closed_at is not None and view.opened_at <= view.closed_at
    assert [p.page for p in view.pages] == [1] and view.invoice_page == 1 and view.pages[0].lists_invoice
    xml = fk_fast.invoices.session_upo_xml(a, issued.id)
    assert xml.startswith(b"<?xml") and b"Potwierdzenie" in xml
    assert view.session_reference.encode() in xml and done.ksef_number.encode() in xml
    assert view.pages[0].size == len(xml)
    assert fk_fast.invoices.session_upo_xml(a, issued.id, page=1) == xml
    with pytest.raises(NotFoundError, match="strony 2"):
        fk_fast.invoices.session_upo_xml(a, issued.id, page=2)
    with pytest.raises(InputError):
        fk_fast.invoices.session_upo_xml(a, issued.id, page=0)
    # the invoice's own UPO is another document
    assert fk_fast.invoices.upo(a, issued.id) != xml


def test_a_batch_session_upo_in_pages_gives_the_page_of_each_invoice(
    fk_fast: Fakturnik, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakturnik.simulator import upo

    monkeypatch.setattr(upo, "PAGE_SIZE", 2)  # KSeF pages a big session's UPO; here every 2 invoices
    a = fk_fast.companies.by_nip(NIP_A).id
    ids = [item.invoice.id for item in fk_fast.invoices.issue_many(a, [draft() for _ in range(5)]).items]
    with fk_fast.running_worker():
        for invoice_id in ids:
            assert fk_fast.invoices.wait(a, invoice_id, timeout=60).status == "accepted"
        for invoice_id in ids:
            _wait_session_upo(fk_fast, a, invoice_id)
    views = [fk_fast.invoices.session_upo(a, i) for i in ids]
    assert {v.session_kind for v in views} == {"batch"} and len({v.session_reference for v in views}) == 1
    assert [p.page for p in views[0].pages] == [1, 2, 3] and views[0].invoice_count == 5
    pages = {i: v.invoice_page for i, v in zip(ids, views, strict=True)}
    assert sorted(pages.values()) == [1, 1, 2, 2, 3]
    for invoice_id, view in zip(ids, views, strict=True):
        xml = fk_fast.invoices.session_upo_xml(a, invoice_id)
        assert view.ksef_number.encode() in xml  # the page that confirms this invoice
        assert xml == fk_fast.invoices.session_upo_xml(a, invoice_id, page=view.invoice_page)
        others = [p.page for p in view.pages if p.page != view.invoice_page]
        assert all(
            view.ksef_number.encode() not in fk_fast.invoices.session_upo_xml(a, invoice_id, page=p)
            for p in others
        )


def test_who_issued_is_on_the_invoice(fk_fast: Fakturnik) -> None:
    a = fk_fast.companies.by_nip(NIP_A).id
    by_library = fk_fast.invoices.issue(a, draft()).invoice
    assert by_library.issued_by is not None and by_library.issued_by.kind == "system"
    assert fk_fast.invoices.get(a, by_library.id).issued_by == by_library.issued_by
    actor = user_with_role(fk_fast, a, "anna@firma-a.pl", "issuer")
    by_anna = fk_fast.acting_as(actor).invoices.issue(a, draft()).invoice
    issuer = fk_fast.invoices.get(a, by_anna.id).issued_by
    assert issuer is not None and issuer.kind == "user" and issuer.email == "anna@firma-a.pl"
    assert issuer.user_id == actor.user_id and issuer.label == "Jan <anna@firma-a.pl>"
    key = fk_fast.api_keys.create(a, "Sklep internetowy", ["invoices:write", "invoices:read"])
    by_key = fk_fast.acting_as(fk_fast.api_keys.authenticate(key.token)).invoices.issue(a, draft()).invoice
    issuer = fk_fast.invoices.get(a, by_key.id).issued_by
    assert issuer is not None and issuer.kind == "api_key" and issuer.api_key_id == key.key.id
    assert issuer.label == "klucz API „Sklep internetowy”"
    # the REST face reads the same (coworkers.issued_by: the raw audit label)
    assert fk_fast.coworkers.issued_by(a, by_key.id) == f"key:{key.key.id} (Sklep internetowy)"
    assert fk_fast.acting_as(Actor.system("cli")).invoices.get(a, by_key.id).issued_by == issuer
