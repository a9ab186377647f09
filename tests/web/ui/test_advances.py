"""Advance invoices in the browser: a ZAL, the ROZ that settles it (the advance ticked in the form),
and a correction of each (KOR_ZAL, KOR_ROZ), all accepted by the simulator."""

from __future__ import annotations

import re
from typing import Any

from tests.web.ui.conftest import axe_violations, shot, sign_in

INVOICE_URL = re.compile(r".*/faktury/\d+$")
NBSP = "\u00a0"


def _buyer(page: Any) -> None:
    page.fill("#f-buyer_nip", "7740001454")
    page.press("#f-buyer_nip", "Tab")
    page.fill("#f-buyer_name", "Klient S.A.")
    page.fill("#f-buyer_address1", "ul. Długa 2")


def _order_lines(page: Any) -> None:
    page.fill("#f-line-0-name", "Zabudowa kuchenna")
    page.fill("#f-line-0-price", "10 000")
    # the form's own requests (kind, buyer lookup) answered first: htmx marks them while in flight
    page.wait_for_function("!document.querySelector('.htmx-request')")
    page.click("text=+ Dodaj pozycję")
    page.wait_for_selector("#f-line-1-name")
    page.fill("#f-line-1-name", "Montaż")
    page.fill("#f-line-1-price", "2 000")
    page.select_option("#f-line-1-rate", "8")


def _accepted(page: Any) -> str:
    page.wait_for_url(INVOICE_URL)
    page.wait_for_selector("#ksef-number", timeout=60_000)
    assert "Przyjęta w KSeF" in page.inner_text("#status-text")
    return str(page.inner_text("#ksef-number"))


def _totals(page: Any, element: str, text: str) -> None:
    page.wait_for_function(
        f"(document.querySelector('#{element}') || {{textContent: ''}}).textContent.includes('{text}')"
    )


def test_advance_settlement_and_their_corrections(page: Any, demo_login: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)

    # the advance invoice: the order's lines and the advance received
    page.goto("/faktury/nowa")
    page.select_option("#f-kind", "ZAL")
    page.wait_for_selector("#f-advance_amount")
    _buyer(page)
    _order_lines(page)
    page.fill("#f-advance_amount", "3 000")
    page.fill("#f-order_number", "ZAM/7/2026")
    _totals(page, "order-total", f"14{NBSP}460,00")
    _totals(page, "total-gross", f"3{NBSP}000,00")
    assert axe_violations(page) == []
    page.click("#issue-btn")
    advance_ksef = _accepted(page)
    advance_url = page.url
    assert "Zamówienie" in page.inner_text("#lines-h")

    # a correction of the advance (KOR_ZAL): 4 000 received, not 3 000
    page.click("#correct-link")
    page.wait_for_url("**/faktury/nowa?korekta=*")
    assert page.input_value("#f-kind") == "KOR_ZAL"
    assert page.input_value("#f-corrected_ksef") == advance_ksef
    assert page.locator("tr.before").count() == 2
    assert page.input_value("#f-advance_amount") == "3000"
    page.fill("#f-correction_reason", "Zaliczka była wyższa")
    page.fill("#f-advance_amount", "4000")
    _totals(page, "advance-after", f"4{NBSP}000,00")
    _totals(page, "total-gross", f"1{NBSP}000,00")
    shot(page, "advance-correction-form")
    page.click("#issue-btn")
    _accepted(page)
    assert "KOR_ZAL" in page.inner_text("h1")

    # "Rozlicz zaliczkę" on an advance prefills the settlement with its buyer, order and tick
    page.goto(advance_url)
    assert page.locator("#settle-link").count() == 1
    page.click("#settle-link")
    page.wait_for_url("**/faktury/nowa?zaliczka=*")
    assert page.input_value("#f-kind") == "ROZ"
    assert page.input_value("#f-buyer_nip") == "7740001454"
    assert page.input_value("#f-line-0-name") == "Zabudowa kuchenna"
    assert page.is_checked("#advances input[type=checkbox]")

    # the settlement: the form lists the buyer's advances, the person ticks the one it settles
    page.goto("/faktury/nowa")
    page.select_option("#f-kind", "ROZ")
    page.wait_for_selector("#advances")
    _buyer(page)
    page.wait_for_selector("#advances input[type=checkbox]")
    rows = page.inner_text("#advances table")
    assert "ZAM/7/2026" in rows and advance_ksef in rows and f"4{NBSP}000,00" in rows
    _order_lines(page)
    _totals(page, "total-gross", f"14{NBSP}460,00")  # nothing ticked: the whole order
    page.check("#advances input[type=checkbox]")
    _totals(page, "to-pay", f"10{NBSP}460,00")
    _totals(page, "advances-total", f"4{NBSP}000,00")
    assert page.inner_text("#total-gross").startswith(f"10{NBSP}460,00")
    assert axe_violations(page) == []
    shot(page, "settlement-form")
    page.click("#issue-btn")
    _accepted(page)
    assert advance_ksef in page.inner_text("#settled-advances")
    settlement_url = page.url

    # settled: the advance is no longer offered, and its page offers no second settlement of it
    page.goto("/faktury/nowa?kind=ROZ")
    _buyer(page)
    page.wait_for_selector("#no-advances")
    page.goto(advance_url)
    assert page.locator("#settle-link").count() == 0
    assert "Zaliczka rozliczona fakturą" in page.inner_text("#settled-note")
    page.click("#settled-note a")
    page.wait_for_url(settlement_url)
    page.goto(advance_url.replace("/faktury/", "/faktury/nowa?zaliczka="))
    page.wait_for_url(advance_url)  # the settled advance's page, never a second settlement form

    # a correction of the settlement (KOR_ROZ): the assembly was cheaper
    page.goto(settlement_url)
    page.click("#correct-link")
    page.wait_for_url("**/faktury/nowa?korekta=*")
    assert page.input_value("#f-kind") == "KOR_ROZ"
    assert page.locator("tr.before").count() == 2
    page.fill("#f-correction_reason", "Rabat na montaż")
    after = page.locator("#lines-body tr:not(.before) input[name$='-price']").nth(1)
    after.fill("1 500")
    _totals(page, "to-pay", f"9{NBSP}920,00")
    _totals(page, "total-gross", "-540,00")
    page.click("#issue-btn")
    _accepted(page)
    assert "KOR_ROZ" in page.inner_text("h1")

    # the list's kind filter: the order's invoices together, the corrections together, no VAT ones here
    page.goto("/faktury?kind=ZAL")
    table = page.inner_text("table")
    assert all(kind in table for kind in ("ZAL", "KOR_ZAL", "ROZ", "KOR_ROZ"))
    assert page.inner_text("#total-count") == "4"
    page.goto("/faktury?kind=KOR")
    assert page.inner_text("#total-count") == "2"
    page.goto("/faktury?kind=VAT")
    assert "Brak faktur spełniających kryteria" in page.inner_text("table")
    assert page.input_value("#f-kind") == "VAT"


def test_a_settlement_of_advances_invoiced_outside_fakturnik(page: Any, demo_login: Any) -> None:
    from datetime import date

    from fakturnik.base.ksef_numbers import make_ksef_number

    elsewhere_ksef = make_ksef_number("5265877635", date(2026, 1, 5))
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/faktury/nowa")
    page.select_option("#f-kind", "ROZ")
    page.wait_for_selector("#f-ext-0-number")
    _buyer(page)
    _order_lines(page)
    # an advance from the previous program, without a KSeF number, typed by number and amount
    page.fill("#f-ext-0-number", "FZ/3/2025")
    page.fill("#f-ext-0-amount", "2 000")
    _totals(page, "to-pay", f"12{NBSP}460,00")
    # and one sent to KSeF by another program: a second row
    page.click("#add-external")
    page.wait_for_selector("#f-ext-1-number")
    page.fill("#f-ext-1-number", "ZAL-2026-01")
    page.fill("#f-ext-1-ksef", elsewhere_ksef[:-2] + ("00" if not elsewhere_ksef.endswith("00") else "01"))
    page.fill("#f-ext-1-amount", "1000")
    page.click("#issue-btn")
    page.wait_for_selector("#err-ext-1-ksef:not(:empty)")  # a KSeF number with a wrong checksum
    assert "Niepoprawny numer KSeF" in page.inner_text("#err-ext-1-ksef")
    assert page.get_attribute("#f-ext-1-ksef", "aria-invalid") == "true"
    assert page.input_value("#f-ext-0-number") == "FZ/3/2025"  # kept as typed
    page.fill("#f-ext-1-ksef", elsewhere_ksef)
    page.wait_for_function("document.querySelector('#err-ext-1-ksef').textContent === ''")  # checked live
    _totals(page, "to-pay", f"11{NBSP}460,00")
    _totals(page, "advances-total", f"3{NBSP}000,00")
    assert axe_violations(page) == []
    shot(page, "settlement-external-form")
    page.click("#issue-btn")
    _accepted(page)
    settled = page.inner_text("#settled-advances")
    assert "FZ/3/2025" in settled and elsewhere_ksef in settled

    # the same advance cannot be settled twice
    page.goto("/faktury/nowa?kind=ROZ")
    page.wait_for_selector("#f-ext-0-number")
    _buyer(page)
    _order_lines(page)
    page.fill("#f-ext-0-number", "FZ/3/2025")
    page.fill("#f-ext-0-amount", "2000")
    page.click("#issue-btn")
    page.wait_for_selector("#err-advances:not(:empty)")
    assert "już rozliczona" in page.inner_text("#err-advances")
