"""The rows of advances invoiced outside Fakturnik (the ROZ form) show their problems live as the
lines do: every field of a row once anything in it is typed, whether or not the lines read yet; an
emptied row loses them; adding or removing a row asks for the totals again."""

from __future__ import annotations

from typing import Any

from tests.web.ui.conftest import sign_in

NBSP = "\u00a0"


def _error(page: Any, name: str, text: str) -> None:
    page.wait_for_function(
        f"(document.querySelector('#err-{name}') || {{textContent: null}}).textContent === {text!r}"
    )


def _shows(page: Any, element: str, text: str) -> None:
    page.wait_for_function(
        f"(document.querySelector('#{element}') || {{textContent: ''}}).textContent.includes({text!r})"
    )


def test_an_advance_rows_problems_show_as_soon_as_it_is_typed(page: Any, demo_login: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/faktury/nowa?kind=ROZ")
    page.wait_for_selector("#f-ext-0-number")
    # a number typed, no amount yet, no line either: the amount is asked for at once
    page.fill("#f-ext-0-number", "FZ/7/2025")
    _error(page, "ext-0-amount", "Podaj wartość.")
    page.fill("#f-buyer_nip", "7740001454")
    page.fill("#f-buyer_name", "Klient S.A.")
    page.fill("#f-line-0-name", "Zabudowa kuchenna")
    page.fill("#f-line-0-price", "10 000")
    page.wait_for_function("document.querySelector('#total-gross').textContent.includes('12')")
    _error(page, "ext-0-amount", "Podaj wartość.")  # still there once the lines read
    # a second row: a wrong KSeF number and its missing amount, both at once
    page.wait_for_function("!document.querySelector('.htmx-request')")
    page.click("#add-external")
    page.wait_for_selector("#f-ext-1-ksef")
    page.fill("#f-ext-1-ksef", "5265877635-20260105-0123")
    _error(page, "ext-1-ksef", "Niepoprawny numer KSeF (np. 5265877635-20260202-0123456789AB-CD).")
    _error(page, "ext-1-amount", "Podaj wartość.")
    assert page.get_attribute("#f-ext-1-ksef", "aria-describedby") == "err-ext-1-ksef"
    page.fill("#f-ext-1-ksef", "")  # emptied: no row, no problem
    _error(page, "ext-1-ksef", "")
    _error(page, "ext-1-amount", "")
    page.fill("#f-ext-0-amount", "1 000")
    _error(page, "ext-0-amount", "")
    _shows(page, "to-pay", f"11{NBSP}300,00")
    page.click("#ext-0 button")  # removed: the totals follow without another keystroke
    _shows(page, "total-gross", f"12{NBSP}300,00")
    assert page.locator("#to-pay").count() == 0  # no advance left to settle
