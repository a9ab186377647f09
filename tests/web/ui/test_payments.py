"""Payments and the live list: a part paid on the invoice page (bad amounts refused at the field), the
rest marked paid in bulk from the filtered list, and a list row whose KSeF status changes while the
person looks at it (an invoice issued offline during an outage, accepted after it), and the outage
banner that comes and goes on an open page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fakturnik.base.warsaw import warsaw_today
from tests.web.ui.conftest import axe_violations, shot, sign_in


def _issue(app_server: Any, company_id: int, number: str) -> Any:
    from fakturnik.fa3.jsonform import invoice_to_json
    from fakturnik.fa3.samples import make_sample_invoice

    draft = invoice_to_json(make_sample_invoice("5265877635", number, 1, issue_date=warsaw_today()))
    return app_server.runtime.fk.invoices.issue(company_id, draft).invoice


def test_a_part_paid_then_the_rest_in_bulk(page: Any, demo_login: Any, app_server: Any) -> None:
    fk = app_server.runtime.fk
    invoice = fk.invoices.wait(demo_login.company_id, _issue(app_server, demo_login.company_id, "FV/P/1").id)
    gross = invoice.totals.gross
    sign_in(page, demo_login.email, demo_login.password)
    page.goto(f"/faktury/{invoice.id}")
    page.click("text=Wpłata częściowa albo z inną datą")
    for bad, message in (
        ("abc", "większą od zera"),
        ("-5", "większą od zera"),
        (f"{gross + 1}", "przekracza"),
    ):
        page.fill("#f-pay-amount", bad)
        page.click("#record-payment")
        page.wait_for_selector("#err-pay-amount:not(:empty)")
        assert message in page.inner_text("#err-pay-amount"), bad
        assert page.get_attribute("#f-pay-amount", "aria-invalid") == "true"
    page.fill("#f-pay-amount", "100,00")
    page.fill("#f-pay-date", (warsaw_today() + timedelta(days=2)).isoformat())
    page.click("#record-payment")
    assert "z przyszłości" in page.inner_text("#err-pay-date")
    page.fill("#f-pay-date", (warsaw_today() - timedelta(days=3)).isoformat())
    page.click("#record-payment")
    page.wait_for_selector("#payment-state .pill-amber")
    state = page.inner_text("#payment-state")
    assert "zapłacono 100,00" in state and "zostało" in state
    assert fk.invoices.get(demo_login.company_id, invoice.id).payment.state == "partly_paid"
    assert axe_violations(page) == []

    # the rest from the list of unpaid invoices, ticked and marked paid in one go
    page.goto("/faktury?paid=unpaid")
    page.check(f"input[name=ids][value='{invoice.id}']")
    page.click("#bulk-paid")
    page.wait_for_selector("#bulk-result")
    assert "Oznaczono jako zapłacone: 1." in page.inner_text("#bulk-result")
    assert "paid=unpaid" in page.url  # back to the same filtered list
    assert fk.invoices.get(demo_login.company_id, invoice.id).payment.state == "paid"


def test_the_list_follows_ksef_without_reloading(page: Any, demo_login: Any, app_server: Any) -> None:
    fk = app_server.runtime.fk
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/faktury")
    assert page.locator("#outage-banner").count() == 0
    fk.ksef.start_outage(demo_login.company_id, mode="offline24")
    try:
        page.wait_for_selector("#outage-banner", timeout=30_000)  # the banner comes without reloading
        assert "KSeF nie odpowiada od" in page.inner_text("#outage-banner")
        invoice = _issue(app_server, demo_login.company_id, "FV/L/1")
        fk.invoices.wait(demo_login.company_id, invoice.id, timeout=30, until=("offline",))
        page.goto("/faktury")
        cell = f"#row-status-{invoice.id}"
        label = page.inner_text(cell).lower()
        # the worker may already have found KSeF answering (a declared outage ends then) and sent it
        assert any(word in label for word in ("offline", "wysłana", "przyjęta")), label
        if "offline" in label:
            shot(page, "invoice-list-offline")
    finally:
        fk.ksef.end_outage(demo_login.company_id)
    page.wait_for_function(
        f"document.querySelector('{cell}').textContent.includes('Przyjęta')", timeout=90_000
    )
    assert page.locator(f"{cell}[hx-trigger]").count() == 0  # decided: no more asking
    page.wait_for_selector("#outage-banner", state="detached", timeout=30_000)  # and goes the same way
