"""A person signs in, issues an invoice in the form, watches it get its KSeF number, corrects it."""

from __future__ import annotations

import re
from typing import Any

from tests.web.ui.conftest import axe_violations, shot, sign_in

KSEF_NUMBER = re.compile(r"^\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}$")


def _fill_line(page: Any, index: int, name: str, qty: str, price: str, rate: str, unit: str) -> None:
    page.fill(f"#f-line-{index}-name", name)
    page.press(f"#f-line-{index}-name", "Tab")
    # a product of that name fills unit, price, rate and GTU from the list of products
    page.wait_for_function(f"document.querySelector('#f-line-{index}-unit').value === '{unit}'")
    page.fill(f"#f-line-{index}-qty", qty)
    page.fill(f"#f-line-{index}-price", price)
    page.select_option(f"#f-line-{index}-rate", rate)


def test_issue_an_invoice_and_see_it_accepted(page: Any, demo_login: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.click("#new-invoice")
    page.wait_for_url("**/faktury/nowa")
    page.fill("#f-buyer_nip", "7740001454")
    page.fill("#f-buyer_name", "Klient S.A.")
    page.fill("#f-buyer_address1", "ul. Długa 2")
    page.fill("#f-buyer_address2", "30-001 Kraków")
    _fill_line(page, 0, "Wdrożenie systemu", "12,5", "180", "23", "godz.")
    page.click("text=+ Dodaj pozycję")
    page.wait_for_selector("#f-line-1-name")
    _fill_line(page, 1, "Catering na szkolenie", "1", "600", "8", "usł.")
    # the totals come from the server as the person types
    page.wait_for_function("document.querySelector('#total-gross').textContent.includes('3\u00a0415,50')")
    assert axe_violations(page) == []
    shot(page, "invoice-form")
    page.click("#issue-btn")
    page.wait_for_url(re.compile(r".*/faktury/\d+$"))
    page.wait_for_selector("#ksef-number", timeout=60_000)
    number = page.inner_text("#ksef-number")
    assert KSEF_NUMBER.match(number), number
    assert "Przyjęta w KSeF" in page.inner_text("#status-text")
    assert axe_violations(page) == []
    shot(page, "invoice-accepted")
    page.click("#mark-paid")
    page.wait_for_selector("#payment-state .pill-green")
    assert "zapłacona" in page.inner_text("#payment-state")

    # the list shows it with a green pill and the totals of what is shown
    page.goto("/faktury?paid=paid")
    assert "Przyjęta w KSeF" in page.inner_text("table")
    assert "zapłacona" in page.inner_text("table")
    page.goto("/faktury")
    assert axe_violations(page) == []
    shot(page, "invoice-list")
