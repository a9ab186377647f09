"""A sale the buyer self-billed in the company's name, in the browser: after "Pobierz z KSeF" it is on the
issued list marked "wystawiona przez nabywcę (samofakturowanie)", the filter "Wystawił" picks it (and only
it), and its page says who issued it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.ui.conftest import axe_violations, sign_in

BUYER_NIP = "7251801126"
BUYER_NAME = "Mleczarnia Nabywca S.A."
DEMO_NIP = "5265877635"


@pytest.fixture(scope="module")
def self_billed(app_server: Any, demo_login: Any) -> Any:
    """The demo company lets a buyer self-bill; the buyer issues one invoice in its name (accepted)."""
    import httpx

    from fakturnik.simulator.mint import mint_session
    from tests.app.kit import draft

    fk = app_server.runtime.fk
    buyer = fk.companies.add(nip=BUYER_NIP, name=BUYER_NAME, environment="local")
    # the demo company's owner grants SelfInvoicing in KSeF itself (the demo token may not manage rights)
    owner = mint_session(
        fk.simulator.sim,
        context_type="Nip",
        context_value=DEMO_NIP,
        subject_type="Nip",
        subject_value=DEMO_NIP,
    )
    r = httpx.post(
        fk.simulator.base_url + "/permissions/authorizations/grants",
        json={
            "subjectIdentifier": {"type": "Nip", "value": BUYER_NIP},
            "permission": "SelfInvoicing",
            "description": "Samofakturowanie dostaw",
            "subjectDetails": {"fullName": BUYER_NAME},
        },
        headers={"Authorization": "Bearer " + owner["accessToken"]},
        timeout=10,
    )
    assert r.status_code < 300, r.text
    body = draft(seller=DEMO_NIP)
    del body["Podmiot2"]  # the buyer issuing it: the company itself
    body["Fa"]["Adnotacje"] = {"P_17": 1}
    issued = fk.invoices.issue(buyer.id, body).invoice
    done = fk.invoices.wait(buyer.id, issued.id, timeout=60)
    assert done.status == "accepted", done
    return done


def test_the_self_billed_sale_on_the_issued_list_and_its_page(
    page: Any, demo_login: Any, self_billed: Any
) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/otrzymane")
    page.click("#sync-btn")
    page.wait_for_url("**/otrzymane?pobrano=*")
    assert self_billed.number not in page.inner_text("main")  # a sale, not a purchase

    page.goto("/faktury")
    row = page.locator("tr", has_text=self_billed.number)
    assert row.locator(".self-billed").inner_text() == "wystawiona przez nabywcę (samofakturowanie)"
    assert BUYER_NIP in row.inner_text()
    page.select_option("#f-issued_by", "buyer")  # the list follows the filter (htmx), the address too
    page.wait_for_url("**issued_by=buyer**")
    page.wait_for_function("document.querySelectorAll('table.data-table tbody tr').length === 1")
    assert self_billed.number in page.locator("table.data-table tbody tr").first.inner_text()
    page.goto("/faktury?issued_by=company")
    assert self_billed.number not in page.inner_text("table.data-table")

    page.goto("/faktury?issued_by=buyer")
    page.click(f"a:has-text('{self_billed.number}')")
    page.wait_for_url("**/faktury/*")
    assert page.inner_text("#issued-by") == f"nabywca: {BUYER_NAME} (samofakturowanie)"
    note = page.inner_text("#self-billed-note")
    assert f"NIP {BUYER_NIP}" in note and "art. 106d" in note
    assert self_billed.ksef_number in page.inner_text("main")
    assert axe_violations(page) == []
