"""Received invoices in the browser: after a sync the inbox links each to its page, which shows its lines
and offers its PDF (downloaded as a person does, with the KSeF number in its text) and XML; booked and paid
from the page; other companies and viewers get nothing they may not have."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fakturnik.base.warsaw import warsaw_today
from tests.web.ui.conftest import axe_violations, download, pdf_text, shot, sign_in

SELLER_NIP = "5261040828"


@pytest.fixture(scope="module")
def received(app_server: Any, demo_login: Any) -> Any:
    """One invoice a supplier issued to the demo company, accepted by KSeF (not yet synced)."""
    from fakturnik.fa3.jsonform import invoice_to_json
    from fakturnik.fa3.samples import make_sample_invoice

    fk = app_server.runtime.fk
    seller = fk.companies.add(nip=SELLER_NIP, name="Dostawca Sp. z o.o.", environment="local")
    draft = invoice_to_json(make_sample_invoice(SELLER_NIP, "FS/7/2026", 2, issue_date=warsaw_today()))
    draft["Podmiot2"]["DaneIdentyfikacyjne"]["NIP"] = "5265877635"
    issued = fk.invoices.issue(seller.id, draft).invoice
    return fk.invoices.wait(seller.id, issued.id, timeout=60)


def test_a_received_invoice_page_and_its_pdf(
    page: Any, demo_login: Any, received: Any, tmp_path: Path
) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/otrzymane")
    page.click("#sync-btn")
    page.wait_for_url("**/otrzymane?pobrano=*")
    assert "FS/7/2026" in page.inner_text("table")

    # the PDF straight from the inbox
    name, pdf = download(page, "a[aria-label='PDF faktury FS/7/2026']", tmp_path)
    assert name.endswith(".pdf") and SELLER_NIP in name
    assert received.ksef_number in pdf_text(pdf)

    # the invoice's own page: the facts, its lines, PDF and XML
    page.click("a:has-text('FS/7/2026')")
    page.wait_for_url("**/otrzymane/*")
    page_id = page.url.rsplit("/", 1)[-1]
    assert page_id.isdigit()
    assert page.inner_text("#received-ksef-number") == received.ksef_number
    assert f"NIP {SELLER_NIP}" in page.inner_text("section[aria-labelledby=parties-h]")
    assert page.locator("#lines-h").count() == 1
    assert "nowa" in page.inner_text("#booked-state")
    assert axe_violations(page) == []
    shot(page, "received-invoice")
    name, pdf = download(page, "#received-pdf-link", tmp_path)
    text = pdf_text(pdf)
    assert received.ksef_number in text and "FS/7/2026" in text
    _, xml = download(page, "#received-xml-link", tmp_path)
    assert b"FS/7/2026" in xml

    # booked and paid from the page, back to the same page
    page.click("#mark-booked")
    page.wait_for_selector("#booked-state .pill-green")
    page.click("#mark-paid")
    page.wait_for_selector("#payment-state .pill-green")
    assert page.url.endswith(f"/otrzymane/{page_id}")
    page.goto("/otrzymane?booked=no")
    assert "FS/7/2026" not in page.inner_text("table")


def test_received_pdf_is_the_companys_own(page: Any, demo_login: Any, app_server: Any, received: Any) -> None:
    fk = app_server.runtime.fk
    rows = fk.received.list(demo_login.company_id).items
    invoice_id = next(r.id for r in rows if r.number == "FS/7/2026")
    # a user of another company: the id is not theirs, so there is nothing there
    other = fk.companies.add(nip="5270103391", name="Obca Firma Sp. z o.o.", environment="local")
    user = fk.accounts.register_user("obcy@obca.example", "haslo-obcego-12", name="Obcy")
    fk.accounts.add_member(other.id, user.id, "owner")
    sign_in(page, "obcy@obca.example", "haslo-obcego-12")
    for suffix in ("", "/pdf", "/xml"):
        response = page.request.get(f"/otrzymane/{invoice_id}{suffix}")
        assert response.status == 404, suffix
        assert b"%PDF" not in response.body() and b"FS/7/2026" not in response.body()

    # a viewer of the demo company reads and downloads, but books nothing
    viewer = fk.accounts.register_user("oglada@fakturnik.local", "haslo-ogladania-1", name="Ola Ogląda")
    fk.accounts.add_member(demo_login.company_id, viewer.id, "viewer")
    page.context.clear_cookies()
    sign_in(page, "oglada@fakturnik.local", "haslo-ogladania-1")
    page.goto(f"/otrzymane/{invoice_id}")
    assert page.locator("#received-pdf-link").count() == 1
    assert page.locator("#mark-booked, #mark-paid").count() == 0
    assert page.request.get(f"/otrzymane/{invoice_id}/pdf").body().startswith(b"%PDF")
    headers = page.evaluate("document.body.getAttribute('hx-headers')")
    token = headers.split('"X-CSRF-Token": "')[1].split('"')[0]
    answer = page.request.post(f"/otrzymane/{invoice_id}/zaplacona", form={"csrf": token})
    assert answer.status == 403


def test_inbox_filters_totals_and_bulk_booking(
    page: Any, demo_login: Any, app_server: Any, received: Any, tmp_path: Path
) -> None:
    from fakturnik.fa3.jsonform import invoice_to_json
    from fakturnik.fa3.samples import make_sample_invoice
    from fakturnik.web.ui.formatting import format_money

    fk = app_server.runtime.fk
    seller = next(c for c in fk.companies.list() if c.nip == SELLER_NIP)
    draft = invoice_to_json(make_sample_invoice(SELLER_NIP, "FS/8/2026", 1, issue_date=warsaw_today()))
    draft["Podmiot2"]["DaneIdentyfikacyjne"]["NIP"] = "5265877635"
    second = fk.invoices.wait(seller.id, fk.invoices.issue(seller.id, draft).invoice.id, timeout=60)
    fk.ksef.sync(demo_login.company_id)
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/otrzymane?booked=no&paid=unpaid")
    assert page.inner_text("#received-count") == "1"
    assert page.inner_text("#received-gross") == format_money(second.totals.gross)
    assert "FS/8/2026" in page.inner_text("table") and "FS/7/2026" not in page.inner_text("table")
    page.goto(f"/otrzymane?month={warsaw_today():%Y-%m}")
    assert page.inner_text("#received-count") == "2"
    page.goto("/otrzymane?month=2001-01")
    assert "spełniających kryteria" in page.inner_text("table")
    assert axe_violations(page) == []

    page.goto("/otrzymane?booked=no")
    page.check("input[name=ids][aria-label='Zaznacz FS/8/2026']")
    page.click("#bulk-booked")
    page.wait_for_selector("#bulk-result")
    assert "Oznaczono jako zaksięgowane: 1." in page.inner_text("#bulk-result")
    assert "booked=no" in page.url and "FS/8/2026" not in page.inner_text("table")

    # every received invoice's PDF in one ZIP (nothing ticked: all that are listed)
    import io
    import zipfile

    page.goto("/otrzymane")
    name, data = download(page, "#bulk-zip", tmp_path)
    names = sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert name == "faktury-otrzymane.zip"
    assert names == [f"{SELLER_NIP}-FS_7_2026.pdf", f"{SELLER_NIP}-FS_8_2026.pdf"], names
