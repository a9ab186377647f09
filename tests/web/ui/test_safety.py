"""Bad input in every form gives a Polish message at the field and stores nothing; no script ever runs;
the main pages have no serious or critical accessibility violations."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fakturnik.base.warsaw import warsaw_today
from tests.web.ui.conftest import axe_violations, shot, sign_in

SCRIPT = "<script>alert('xss')</script><img src=x onerror=alert(1)>"


def _csrf(page: Any) -> str:
    headers = page.evaluate("document.body.getAttribute('hx-headers')")
    match = re.search(r'"X-CSRF-Token": "([^"]+)"', headers)
    assert match
    return match.group(1)


def _count_invoices(app_server: Any, company_id: int) -> int:
    page = app_server.runtime.fk.invoices.list(company_id, with_totals=True)
    return int(page.total_count or 0)


def test_script_in_every_text_field_of_the_invoice_form_is_only_text(page: Any, demo_login: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/faktury/nowa")
    for selector in ("#f-place", "#f-buyer_name", "#f-buyer_address1", "#f-buyer_address2", "#f-line-0-name",
                     "#f-line-0-unit", "#f-bank_name", "#f-notes", "#f-number"):  # fmt: skip
        page.fill(selector, SCRIPT[:200] if selector != "#f-number" else "<b>x</b>")
    page.fill("#f-buyer_nip", "7740001454")
    page.fill("#f-line-0-price", "10")
    page.click("#issue-btn")
    page.wait_for_url(re.compile(r".*/faktury/\d+$"))
    # the page shows the text as typed, escaped; no element was created from it, no dialog opened
    assert page.locator("img[src=x]").count() == 0
    assert "<script>alert('xss')</script>" in page.inner_text("body")
    page.goto("/faktury")
    assert page.locator("img[src=x]").count() == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "buyer_nip", "Podaj NIP nabywcy."),
        ({"buyer_nip": "1234567890"}, "buyer_nip", "Niepoprawny NIP"),
        ({"line-0-price": "dziesięć"}, "line-0-price", "To nie jest liczba"),
        ({"line-0-qty": "-1"}, "line-0-qty", "większa od zera"),
        ({"issue_date": "2026-02-31"}, "issue_date", "Niepoprawna data"),
        ({"line-0-rate": "17"}, "line-0-rate", "Wybierz stawkę VAT"),
        ({"currency": "EURO"}, "currency", "trzy litery"),
        ({"buyer_email": "nie-email"}, "buyer_email", "Niepoprawny adres e-mail"),
        ({"due_days": "tydzień"}, "due_days", "liczbę dni"),
        ({"bank_account": "123"}, "bank_account", "Niepoprawny numer rachunku"),
        ({"line-0-name": "x" * 600}, "line-0-name", "Za długi tekst"),
        ({"kind": "ROZ"}, "advances", "Zaznacz faktury zaliczkowe"),
        (
            {"kind": "ROZ", "ext-0-number": "FZ/1", "ext-0-amount": "abc"},
            "ext-0-amount",
            "To nie jest liczba",
        ),
        ({"kind": "ROZ", "ext-0-number": "FZ/1", "ext-0-amount": "-5"}, "ext-0-amount", "większa od zera"),
        ({"kind": "ROZ", "ext-0-amount": "10"}, "ext-0-number", "Podaj numer"),
        (
            {"kind": "ROZ", "ext-0-number": "F", "ext-0-ksef": "12", "ext-0-amount": "5"},
            "ext-0-ksef",
            "numer KSeF",
        ),
        ({"kind": "ROZ", "ext-0-number": "x" * 300, "ext-0-amount": "5"}, "ext-0-number", "Za długi numer"),
    ],
)
def test_bad_input_is_refused_at_the_field(
    page: Any, demo_login: Any, app_server: Any, fields: dict[str, str], field: str, message: str
) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/faktury/nowa")
    before = _count_invoices(app_server, demo_login.company_id)
    form = {
        "csrf": _csrf(page),
        "action": "issue",
        "issue_date": "2026-12-01",
        "buyer_nip": "" if not fields else "7740001454",
        "buyer_name": "Klient",
        "line-0-name": "Usługa",
        "line-0-qty": "1",
        "line-0-price": "100",
        "line-0-rate": "23",
        "payment_method": "6",
        **fields,
    }
    response = page.request.post("/faktury/nowa", form=form)
    assert response.status == 422
    page.set_content(response.text())
    assert message in page.inner_text(f"#err-{field}")
    assert _count_invoices(app_server, demo_login.company_id) == before


def test_script_in_a_settled_advance_number_is_only_text(page: Any, demo_login: Any, app_server: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/faktury/nowa")
    form = {
        "csrf": _csrf(page),
        "action": "issue",
        "kind": "ROZ",
        "buyer_nip": "7740001454",
        "buyer_name": "Klient",
        "line-0-name": "Usługa",
        "line-0-price": "100",
        "line-0-rate": "23",
        "issue_date": warsaw_today().isoformat(),
        "payment_method": "6",
        "ext-0-number": SCRIPT,
        "ext-0-amount": "10",
    }
    response = page.request.post("/faktury/nowa", form=form, max_redirects=0)
    assert response.status == 303, re.findall(r"error-text[^>]*>([^<]+)<", response.text())
    page.goto(response.headers["location"])
    assert page.locator("img[src=x]").count() == 0
    assert "<script>alert('xss')</script>" in page.inner_text("#settled-advances")


def test_ten_thousand_lines_are_refused_in_polish(page: Any, demo_login: Any, app_server: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/faktury/nowa")
    before = _count_invoices(app_server, demo_login.company_id)
    form = {"csrf": _csrf(page), "action": "issue", "buyer_nip": "7740001454", "buyer_name": "K"}
    for i in range(10_000):
        form[f"line-{i}-name"] = "x"
        form[f"line-{i}-price"] = "1"
    response = page.request.post("/faktury/nowa", form=form)
    assert response.status in (413, 422)
    if response.status == 422:
        page.set_content(response.text())
        assert "Za dużo pozycji" in page.inner_text("#err-lines")
    assert _count_invoices(app_server, demo_login.company_id) == before


def test_bad_contractor_and_product_forms(page: Any, demo_login: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/kontrahenci")
    page.fill("#f-nip", "1234567890")
    page.fill("#f-name", SCRIPT)
    page.click("button:has-text('Dodaj')")
    page.wait_for_selector("#err-nip:not(:empty)")
    assert "Niepoprawny NIP" in page.inner_text("#err-nip")
    assert page.input_value("#f-name") == SCRIPT
    page.goto("/produkty")
    page.fill("#f-name", SCRIPT)
    page.fill("#f-price", "abc")
    page.click("button:has-text('Dodaj')")
    page.wait_for_selector("#err-price:not(:empty)")
    assert "Podaj cenę" in page.inner_text("#err-price")
    assert page.locator("img[src=x]").count() == 0


def test_login_errors_and_no_open_redirect(page: Any, demo_login: Any) -> None:
    page.goto("/logowanie?next=https://evil.example/")
    page.fill("#email", demo_login.email)
    page.fill("#password", "zle-haslo")
    page.click("button[type=submit]")
    assert "Nieprawidłowy e-mail lub hasło." in page.inner_text("#login-error")
    page.fill("#password", demo_login.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/faktury")
    assert page.url.startswith("http://127.0.0.1")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/faktury/nowa", None),
        ("/faktury", None),
        ("/kontrahenci", "contractors"),
        ("/produkty", "products"),
        ("/otrzymane", None),
        ("/ustawienia", None),
    ],
)
def test_main_pages_are_accessible(page: Any, demo_login: Any, path: str, name: str | None) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto(path)
    assert axe_violations(page) == []
    if name:
        shot(page, name)


def test_login_page_is_accessible_and_works_on_a_phone(browser: Any, app_server: Any) -> None:
    context = browser.new_context(
        base_url=app_server.url, viewport={"width": 390, "height": 844}, bypass_csp=True
    )
    pg = context.new_page()
    pg.goto("/logowanie")
    assert axe_violations(pg) == []
    shot(pg, "login-phone")
    context.close()
