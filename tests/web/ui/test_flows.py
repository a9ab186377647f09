"""The rest of an invoice's life on the page: correction, rejection, outage, received invoices, roles."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from fakturnik.base.warsaw import warsaw_today
from tests.web.ui.conftest import axe_violations, shot, sign_in

INVOICE_URL = re.compile(r".*/faktury/\d+$")


def _issue_simple(page: Any, *, issue_date: str | None = None, name: str = "Opieka serwisowa") -> None:
    page.goto("/faktury/nowa")
    if issue_date:
        page.fill("#f-issue_date", issue_date)
    page.fill("#f-buyer_nip", "7740001454")
    page.fill("#f-buyer_name", "Klient S.A.")
    page.fill("#f-buyer_address1", "ul. Długa 2")
    page.fill("#f-line-0-name", name)
    page.fill("#f-line-0-qty", "2")
    page.fill("#f-line-0-price", "499")
    page.click("#issue-btn")
    page.wait_for_url(INVOICE_URL)


def test_correction_from_an_accepted_invoice(page: Any, demo_login: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    _issue_simple(page)
    page.wait_for_selector("#ksef-number", timeout=60_000)
    original = page.inner_text("#ksef-number")
    page.click("#correct-link")
    page.wait_for_url("**/faktury/nowa?korekta=*")
    # prefilled: the line before (read-only marker) and after, the corrected invoice's KSeF number
    assert page.input_value("#f-corrected_ksef") == original
    assert page.locator("tr.before").count() >= 1
    page.fill("#f-correction_reason", "Rabat udzielony po sprzedaży")
    after = page.locator("#lines-body tr:not(.before) input[name$='-price']").first
    after.fill("449")
    page.wait_for_function("document.querySelector('#total-gross').textContent.includes('-123')")
    shot(page, "correction-form")
    page.click("#issue-btn")
    page.wait_for_url(INVOICE_URL)
    page.wait_for_selector("#ksef-number", timeout=60_000)
    assert "KOR" in page.inner_text("h1")


def test_rejected_invoice_shows_ksef_reason_at_the_field(page: Any, demo_login: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    # one day ahead passes our own check (time zones) but not KSeF's: P_1 after the day it receives it
    tomorrow = (warsaw_today() + timedelta(days=1)).isoformat()  # KSeF counts days in Warsaw
    _issue_simple(page, issue_date=tomorrow)
    page.wait_for_selector("#ksef-rejection", timeout=60_000)
    assert "Odrzucona" in page.inner_text("#status-text")
    assert "Co zrobić" in page.inner_text("#ksef-rejection")
    shot(page, "invoice-rejected")
    page.click("text=Popraw i wystaw ponownie")
    page.wait_for_url("**/faktury/nowa?z=*")
    assert "KSeF odrzucił fakturę" in page.inner_text("#err-issue_date")
    assert page.get_attribute("#f-issue_date", "aria-invalid") == "true"


def test_outage_banner_offline_invoice_then_recovery(page: Any, demo_login: Any, app_server: Any) -> None:
    fk = app_server.runtime.fk
    sign_in(page, demo_login.email, demo_login.password)
    fk.ksef.start_outage(demo_login.company_id, mode="offline24")  # what the engine declares on failures
    try:
        page.goto("/faktury")
        banner = page.inner_text("#outage-banner")
        assert banner.startswith("KSeF nie odpowiada od ")
        assert "trybie offline" in banner
        _issue_simple(page, name="Szkolenie w czasie awarii")
        page.wait_for_selector("#offline-note", timeout=30_000)
        assert re.search(r"\d{2}\.\d{2}\.\d{4}", page.inner_text("#offline-deadline"))
        shot(page, "invoice-offline")
    finally:
        fk.ksef.end_outage(demo_login.company_id)
    page.wait_for_selector("#ksef-number", timeout=90_000)  # the same page, no reload
    assert "Przyjęta w KSeF" in page.inner_text("#status-text")


def test_received_invoice_appears_in_the_inbox_after_sync(
    page: Any, demo_login: Any, app_server: Any
) -> None:
    from fakturnik.fa3.jsonform import invoice_to_json
    from fakturnik.fa3.samples import make_sample_invoice

    fk = app_server.runtime.fk
    seller = fk.companies.add(nip="5261040828", name="Dostawca Sp. z o.o.", environment="local")
    draft = invoice_to_json(make_sample_invoice("5261040828", "FS/1/2026", 2, issue_date=warsaw_today()))
    draft["Podmiot2"]["DaneIdentyfikacyjne"]["NIP"] = "5265877635"
    issued = fk.invoices.issue(seller.id, draft).invoice
    fk.invoices.wait(seller.id, issued.id, timeout=60)
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/otrzymane")
    page.click("#sync-btn")
    page.wait_for_url("**/otrzymane?pobrano=*")
    table = page.inner_text("table")
    assert "FS/1/2026" in table and "nowa" in table
    assert axe_violations(page) == []
    shot(page, "received")
    page.click("button:has-text('Zaksięgowana')")
    page.wait_for_url("**/otrzymane")
    assert "zaksięgowana" in page.inner_text("table")


def test_a_viewer_cannot_issue(page: Any, demo_login: Any, app_server: Any) -> None:
    fk = app_server.runtime.fk
    user = fk.accounts.register_user("podglad@fakturnik.local", "haslo-podgladu-1", name="Piotr Podgląd")
    fk.accounts.add_member(demo_login.company_id, user.id, "viewer")
    sign_in(page, "podglad@fakturnik.local", "haslo-podgladu-1")
    assert page.locator("#new-invoice").count() == 0
    assert "Nowa faktura" not in page.inner_text("nav")
    response = page.goto("/faktury/nowa")
    assert response is not None and response.status == 403
    csrf = page.evaluate("document.body.getAttribute('hx-headers')")
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', csrf).group(1)
    answer = page.request.post("/faktury/nowa", form={"csrf": token, "action": "issue", "line-0-name": "x"})
    assert answer.status == 403
    first = page.goto("/faktury")
    assert first is not None and first.status == 200


def test_invite_a_user_with_a_role(page: Any, demo_login: Any, browser: Any, app_server: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/ustawienia")
    page.fill("#f-email", "ksiegowa@biuro.example")
    page.select_option("#f-role", "accountant")
    page.click("button:has-text('Zaproś')")
    link = page.inner_text("#invite-link")
    assert axe_violations(page) == []
    shot(page, "settings")
    other = browser.new_context(base_url=app_server.url, bypass_csp=True)
    invited = other.new_page()
    invited.goto(link)
    invited.fill("#f-name", "Ewa Księgowa")
    invited.fill("#f-password", "bardzo-tajne-haslo")
    invited.fill("#f-password2", "bardzo-tajne-haslo")
    invited.click("button:has-text('Dołącz')")
    invited.wait_for_url("**/faktury")
    assert "księgowy" in invited.inner_text("header")
    other.close()


def test_a_half_typed_invoice_is_saved_as_a_draft(page: Any, demo_login: Any, app_server: Any) -> None:
    fk = app_server.runtime.fk
    before = fk.invoices.list(demo_login.company_id, with_totals=True).total_count
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/faktury/nowa")
    page.fill("#f-buyer_nip", "123")  # not valid yet: a draft keeps it as typed
    page.fill("#f-buyer_name", "Firma Jeszcze Nieznana")
    page.fill("#f-line-0-name", "Projekt logo")
    page.fill("#f-line-0-price", "1 200,00")
    page.click("button:has-text('Zapisz szkic')")
    page.wait_for_selector("#draft-saved")
    page.click("text=Firma Jeszcze Nieznana")
    page.wait_for_url("**/faktury/szkice/*")
    assert page.input_value("#f-buyer_nip") == "123"
    assert page.input_value("#f-line-0-price") == "1 200,00"
    assert fk.invoices.list(demo_login.company_id, with_totals=True).total_count == before


def test_an_accountant_switches_between_companies(page: Any, demo_login: Any, app_server: Any) -> None:
    fk = app_server.runtime.fk
    other = fk.companies.add(nip="5270103391", name="Druga Firma Sp. z o.o.", environment="local")
    user = fk.accounts.user_by_email(demo_login.email)
    fk.accounts.add_member(other.id, user.id, "accountant")
    sign_in(page, demo_login.email, demo_login.password)
    page.select_option("#company-switch", str(other.id))
    page.click("button:has-text('Przełącz')")
    page.wait_for_url("**/faktury")
    assert "księgowy" in page.inner_text("header")
    assert page.locator("#company-switch option:checked").inner_text() == "Druga Firma Sp. z o.o."
    # the settings of the other company are not the owner's any more: no users and roles section
    page.goto("/ustawienia")
    assert "Druga Firma Sp. z o.o." in page.inner_text("h1")
    assert page.locator("#users-h").count() == 0
    fk.accounts.remove_member(other.id, user.id)  # the other tests act in the demo company


def test_numbering_series_pattern(page: Any, demo_login: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/ustawienia")
    page.select_option("#f-series-kind", "UPR")
    page.fill("#f-series-pattern", "PARAGON")  # no sequence, no year: numbers would repeat
    page.click("button:has-text('Zapisz wzór')")
    page.wait_for_selector("#err-series_pattern:not(:empty)")
    page.fill("#f-series-pattern", "U/{yyyy}/{mm}/{seq}")
    page.select_option("#f-series-reset", "monthly")
    page.click("button:has-text('Zapisz wzór')")
    page.wait_for_url("**/ustawienia")
    assert re.search(
        r"U/\d{4}/\d{2}/1", page.inner_text("#series-h + table, section[aria-labelledby=series-h]")
    )


def test_recurring_invoice_issued_on_its_day_once(page: Any, demo_login: Any, app_server: Any) -> None:
    fk = app_server.runtime.fk
    sign_in(page, demo_login.email, demo_login.password)
    _issue_simple(page, name="Abonament miesięczny")
    invoice_url = page.url
    page.fill("#f-day", "31")
    page.click("#recurring-btn")
    assert "od 1 do 28" in page.inner_text("#err-day")
    page.goto(invoice_url)
    day = min(warsaw_today().day, 28)
    page.fill("#f-day", str(day))
    page.click("#recurring-btn")
    page.wait_for_url("**/faktury/cykliczne")
    before = fk.invoices.list(demo_login.company_id, with_totals=True).total_count
    page.click("#run-now")
    page.wait_for_selector("#run-result")
    due_today = warsaw_today().day <= 28
    assert page.inner_text("#run-result") == f"Wystawiono faktur: {1 if due_today else 0}."
    page.click("#run-now")  # the same day again: nothing twice
    page.wait_for_selector("#run-result")
    assert page.inner_text("#run-result") == "Wystawiono faktur: 0."
    after = fk.invoices.list(demo_login.company_id, with_totals=True).total_count
    assert after == before + (1 if due_today else 0)
    shot(page, "recurring")


def test_csv_export_and_zip_of_the_list(page: Any, demo_login: Any) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    _issue_simple(page, name='=HYPERLINK("http://evil.example")')
    page.goto("/faktury")
    with page.expect_download() as download_info:
        page.click("button[value=csv]")
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    header, *rows = text.splitlines()
    assert header.startswith("Numer;Data wystawienia;Nabywca")
    assert rows and all(re.match(r"^[^;]+;\d{2}\.\d{2}\.\d{4};", row) for row in rows)
    with page.expect_download() as download_info:
        page.click("button[value=zip]")
    import zipfile

    with zipfile.ZipFile(download_info.value.path()) as archive:
        names = archive.namelist()
    assert names and all(n.endswith((".pdf", ".xml")) for n in names)
