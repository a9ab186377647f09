"""The web pages of issue 12 items 6 and 8 in a real browser (Debian's Chromium, headless): the seller
creates a collective identifier for a buyer's unpaid invoices, the buyer downloads the payment list, and
the issuing strictness is set on its settings page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakturnik.engine.fields import fill_template
from tests.collective.kit import BUYER_ACCOUNT, SELLER_ACCOUNT, issue_registered
from tests.engine.helpers import sample_invoice
from tests.web.api.harness import ApiServer, api_server
from tests.web.api.helpers import PASSWORD, make_tenant
from tests.web.ui.conftest import axe_violations, sign_in

SELLER, BUYER = "5265877635", "7740001454"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ApiServer]:
    with api_server(tmp_path, env="local", worker=False, webhooks=False, port=0) as s:
        yield s


def _page(browser: Any, server: ApiServer) -> Any:
    context = browser.new_context(
        base_url=server.url, locale="pl-PL", viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def test_identifier_made_in_the_browser_and_the_buyers_payment_list(browser: Any, server: ApiServer) -> None:
    seller = make_tenant(server, "sprzedawca@firma.pl", SELLER)
    buyer = make_tenant(server, "nabywca@firma.pl", BUYER)
    fk = server.runtime.fk
    fk.companies.update(buyer.company_id, bank_account=BUYER_ACCOUNT)
    issue_registered(fk, seller.company_id, SELLER, ["100.00", "200.00"])

    page = _page(browser, server)
    sign_in(page, seller.email, PASSWORD)
    page.click("nav >> text=Płatności zbiorcze")
    page.wait_for_url("**/platnosci-zbiorcze")
    row = page.locator("#dues tbody tr").first
    assert BUYER in row.inner_text() and "369,00\xa0zł" in row.inner_text()
    assert axe_violations(page) == []
    row.locator("button:has-text('Utwórz identyfikator')").click()
    page.wait_for_selector("#collective-made")
    made = fk.collective.created(seller.company_id)
    assert len(made) == 1 and made[0].number in page.inner_text("#collective-made")
    assert made[0].number in page.inner_text("#created")

    page.goto("/ustawienia")
    page.click("#strictness-link")
    page.check("#s-ksef")
    page.click("button:has-text('Zapisz')")
    page.wait_for_selector("#strictness-saved")
    assert fk.companies.get(seller.company_id).strictness == "ksef"
    page.context.close()
    to_buyer = fill_template(sample_invoice("FV/W/1", seller_nip=SELLER), buyer_nip=BUYER)
    off = fk.invoices.issue(seller.company_id, xml=to_buyer.replace(b"<P_13_1>", b"<P_13_1>1", 1)).invoice
    with fk.running_worker():
        assert fk.invoices.wait(seller.company_id, off.id, timeout=60).status == "accepted"

    assert fk.ksef.sync(buyer.company_id).new == 3
    page = _page(browser, server)
    sign_in(page, buyer.email, PASSWORD)
    page.goto("/platnosci-zbiorcze")
    assert made[0].number in page.inner_text("#received-identifiers")
    page.check("#pick-1")
    page.select_option("#f-format", "csv")
    with page.expect_download() as download:
        page.click("button:has-text('Pobierz listę przelewów')")
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert made[0].number in text and SELLER_ACCOUNT in text and "369,00" in text
    assert download.value.suggested_filename.startswith("przelewy-")

    page.goto("/otrzymane")
    page.locator("tr", has_text="FV/W/1").locator("a:has-text('Ostrzeżenia')").click()
    page.wait_for_selector("#received-warnings")
    assert "Kwoty się nie zgadzają" in page.inner_text("#received-warnings")
    assert page.locator("[data-authority=amounts]").count() == 1
    assert axe_violations(page) == []
    page.context.close()
