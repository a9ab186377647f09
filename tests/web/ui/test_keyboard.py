"""The form by keyboard alone: the skip link, a new line that takes the focus, Enter in a field that only
checks the invoice (an invoice is never sent to KSeF by a stray Enter), and a visible focus ring."""

from __future__ import annotations

import re
from typing import Any

from tests.web.ui.conftest import sign_in


def _active(page: Any) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))


def test_issue_an_invoice_with_the_keyboard_only(page: Any, demo_login: Any, app_server: Any) -> None:
    fk = app_server.runtime.fk
    before = fk.invoices.list(demo_login.company_id, with_totals=True).total_count
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/faktury/nowa")
    page.keyboard.press("Tab")
    assert _active(page) == "Przejdź do treści"
    page.keyboard.press("Enter")
    assert _active(page) == "main"

    page.focus("#f-buyer_nip")
    page.keyboard.type("7740001454")
    page.focus("#f-buyer_name")
    page.keyboard.type("Klient S.A.")
    page.focus("#f-line-0-name")
    page.keyboard.type("Audyt bezpieczeństwa")
    page.focus("#f-line-0-price")
    page.keyboard.type("1500")
    page.focus("button:has-text('+ Dodaj pozycję')")
    assert page.evaluate("getComputedStyle(document.activeElement).boxShadow") != "none"  # the ring is seen
    page.keyboard.press("Enter")
    page.wait_for_selector("#f-line-1-name")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'f-line-1-name'")
    page.keyboard.type("Raport")
    page.keyboard.press("Tab")
    assert _active(page) == "f-line-1-qty"
    page.focus("#f-line-1-price")
    page.keyboard.type("500")

    # Enter in a field checks the whole invoice and issues nothing
    page.keyboard.press("Enter")
    page.wait_for_selector("#form-checked")
    assert fk.invoices.list(demo_login.company_id, with_totals=True).total_count == before
    assert page.input_value("#f-line-1-name") == "Raport"
    page.wait_for_function("document.querySelector('#total-gross').textContent.includes('2\u00a0460,00')")

    # a problem found by Enter is shown at its field, still nothing issued
    page.fill("#f-buyer_nip", "1234567890")
    page.focus("#f-line-0-price")
    page.keyboard.press("Enter")
    page.wait_for_selector("#err-buyer_nip:not(:empty)")
    assert page.locator("#form-checked").count() == 0
    page.fill("#f-buyer_nip", "7740001454")

    page.focus("#issue-btn")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/faktury/\d+$"))
    page.wait_for_selector("#ksef-number", timeout=60_000)
    assert fk.invoices.list(demo_login.company_id, with_totals=True).total_count == (before or 0) + 1
