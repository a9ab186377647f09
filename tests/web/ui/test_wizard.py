"""A new user, from an empty database through the wizard, to an accepted invoice with its KSeF number."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.ui.conftest import axe_violations, download, pdf_text, shot, web_server


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A ``fakturnik serve`` on a new, empty SQLite database: no demo company, no user."""
    with web_server(tmp_path_factory.mktemp("empty"), demo=False) as server:
        yield server


def test_new_user_through_the_wizard_to_an_accepted_invoice(
    browser: Any, empty_server: Any, tmp_path: Path
) -> None:
    fk = empty_server.runtime.fk
    assert fk.companies.list() == []  # nothing at all: the wizard makes the first company
    context = browser.new_context(base_url=empty_server.url, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/logowanie")
    page.click("text=Nie masz konta? Załóż je")
    page.fill("#f-email", "janina@nowafirma.example")
    page.fill("#f-name", "Janina Kowalska")
    page.fill("#f-password", "krotkie")
    page.click("button:has-text('Załóż konto')")
    page.wait_for_selector("#err-password:not(:empty)")
    page.fill("#f-password", "dlugie-haslo-janiny")
    page.fill("#f-password2", "dlugie-haslo-janiny")
    page.click("button:has-text('Załóż konto')")
    page.wait_for_url("**/kreator")
    # a page that needs a company sends a user without one to the wizard
    page.goto("/faktury")
    page.wait_for_url("**/kreator")
    page.fill("#f-nip", "5213017229")
    page.click("#wizard-next")
    assert "Niepoprawny NIP" in page.inner_text("#err-nip")
    page.fill("#f-nip", "5213017228")
    page.click("#wizard-next")
    page.wait_for_selector("#wl-note")
    assert page.input_value("#f-name") == "NOWA FIRMA JANINA KOWALSKA"  # from the white list
    assert axe_violations(page) == []
    shot(page, "wizard")
    page.select_option("#f-environment", "local")
    page.click("#wizard-next")
    page.wait_for_url("**/polaczenie", timeout=30_000)
    assert page.locator("#check-steps .pill-red").count() == 0, page.inner_text("#check-steps")
    assert "Logowanie do KSeF" in page.inner_text("#check-steps")  # a real login with the stored token
    page.click("#wizard-done")
    page.wait_for_url("**/faktury/nowa")
    page.fill("#f-buyer_nip", "7740001454")
    page.click("text=Szukaj w białej liście")
    page.wait_for_function("document.querySelector('#f-buyer_name').value === 'KLIENT SPÓŁKA AKCYJNA'")
    page.fill("#f-line-0-name", "Projekt strony internetowej")
    page.fill("#f-line-0-price", "4 000,00")
    page.click("#issue-btn")
    page.wait_for_url(re.compile(r".*/faktury/\d+$"))
    page.wait_for_selector("#ksef-number", timeout=60_000)
    assert re.match(r"^5213017228-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}$", page.inner_text("#ksef-number"))
    ksef_number = page.inner_text("#ksef-number")
    # the PDF, downloaded as a person does: a real PDF whose text carries the KSeF number
    name, pdf = download(page, "#pdf-link", tmp_path)
    assert name.endswith(".pdf")
    text = pdf_text(pdf)
    assert ksef_number in text, text[:2000]
    assert "NOWA FIRMA JANINA KOWALSKA" in text and "4 000,00" in text.replace("\u00a0", " ")
    assert [c.nip for c in fk.companies.list()] == ["5213017228"]
    xml = page.request.get(page.url + "/xml")
    assert xml.status == 200 and b"5213017228" in xml.body()
    context.close()
