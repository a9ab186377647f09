"""The invoice page says who issued the invoice and offers the session UPO once KSeF issued it."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tests.web.ui.conftest import axe_violations, download, pdf_text, sign_in

INVOICE_URL = re.compile(r".*/faktury/(\d+)$")


def test_who_issued_and_the_session_upo_on_the_invoice_page(
    page: Any, demo_login: Any, app_server: Any, tmp_path: Path
) -> None:
    from fakturnik.engine.worker import Worker

    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/faktury/nowa")
    page.fill("#f-buyer_nip", "7740001454")
    page.fill("#f-buyer_name", "Klient S.A.")
    page.fill("#f-buyer_address1", "ul. Długa 2")
    page.fill("#f-line-0-name", "Przegląd instalacji")
    page.fill("#f-line-0-qty", "1")
    page.fill("#f-line-0-price", "350")
    page.click("#issue-btn")
    page.wait_for_url(INVOICE_URL)
    match = INVOICE_URL.match(page.url)
    assert match
    invoice_id = int(match.group(1))
    assert demo_login.email in page.inner_text("#issued-by")
    assert page.locator("#session-upo-link").count() == 0  # nothing KSeF has not issued yet
    page.wait_for_selector("#ksef-number", timeout=60_000)
    ksef_number = page.inner_text("#ksef-number")
    assert page.locator("#session-ref").count() == 1

    # the server's worker closes the idle online session; KSeF then issues the session UPO, which
    # the engine's UPO round stores (asked for here at once instead of in the next minute's round)
    fk, ctx = app_server.runtime.fk, app_server.runtime.ctx
    upos = Worker(ctx, worker_id="ui-test").upos
    deadline = time.monotonic() + 60
    while not fk.invoices.get(demo_login.company_id, invoice_id).session_upo_available:
        assert time.monotonic() < deadline, "the session UPO was not stored in time"
        upos.fetch_missing_sessions()
        time.sleep(0.3)
    # the status card, still asking every 10 s, shows the link without a reload
    page.wait_for_selector("#session-upo-status-link", timeout=20_000)
    page.reload()
    link = page.locator("#session-upo-link")
    assert link.count() == 1 and link.inner_text() == "UPO sesji"
    name, xml = download(page, "#session-upo-link", tmp_path)
    assert name.startswith("UPO-sesji-") and name.endswith(".xml")
    assert ksef_number.encode() in xml and page.inner_text("#session-ref").encode() in xml
    # both UPOs also as a readable PDF
    name, pdf = download(page, "#session-upo-pdf-link", tmp_path)
    assert name.endswith(".pdf") and ksef_number in pdf_text(pdf)
    assert page.inner_text("#session-ref") in pdf_text(pdf)
    if page.locator("#upo-pdf-link").count():  # the invoice's own UPO, fetched in the background
        _, own = download(page, "#upo-pdf-link", tmp_path)
        assert ksef_number in pdf_text(own)
    assert axe_violations(page) == []


def test_the_list_shows_net_vat_gross_and_unpaid_of_what_matches(
    page: Any, demo_login: Any, app_server: Any
) -> None:
    from fakturnik.app import InvoiceFilter
    from fakturnik.web.ui.formatting import format_money

    fk, company = app_server.runtime.fk, demo_login.company_id
    sign_in(page, demo_login.email, demo_login.password)
    for query, flt in (("", InvoiceFilter()), ("?paid=unpaid", InvoiceFilter(paid="unpaid"))):
        page.goto("/faktury" + query)
        want = fk.invoices.list(company, flt, with_totals=True)
        assert want.total_count and want.total_count > 0
        for cell, value in (
            ("#total-count", str(want.total_count)),
            ("#total-net", format_money(want.total_net)),
            ("#total-vat", format_money(want.total_vat)),
            ("#total-gross", format_money(want.total_gross)),
            ("#total-unpaid", format_money(want.total_unpaid)),
        ):
            assert page.inner_text(cell) == value, (query, cell)
    page.goto("/faktury?paid=paid")
    assert page.inner_text("#total-unpaid") == format_money(0)
