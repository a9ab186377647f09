"""Contractors and products are corrected and removed on their pages (a typo in an address is fixed
once, not on every invoice); another company's rows cannot be opened or removed."""

from __future__ import annotations

import re
from typing import Any

from tests.web.ui.conftest import axe_violations, sign_in


def _csrf(page: Any) -> str:
    headers = page.evaluate("document.body.getAttribute('hx-headers')")
    return str(re.search(r'"X-CSRF-Token": "([^"]+)"', headers).group(1))  # type: ignore[union-attr]


def test_edit_and_delete_a_contractor_and_a_product(page: Any, demo_login: Any, app_server: Any) -> None:
    fk = app_server.runtime.fk
    company = demo_login.company_id
    contractor = fk.contractors.list(company)[0]
    product = fk.products.list(company)[0]
    sign_in(page, demo_login.email, demo_login.password)

    page.goto("/kontrahenci")
    page.click(f"a[aria-label='Edytuj: {contractor.name}']")
    page.wait_for_url("**/kontrahenci?edytuj=*")
    assert page.input_value("#f-nip") == contractor.nip
    assert page.input_value("#f-name") == contractor.name
    page.fill("#f-email", "zle")
    page.click("#save-contractor")
    page.wait_for_selector("#err-email:not(:empty)")
    assert page.input_value("#f-name") == contractor.name  # still the same row, as typed
    page.fill("#f-email", "ksiegowosc@klient.example")
    page.fill("#f-address_line1", "ul. Poprawiona 5")
    page.click("#save-contractor")
    page.wait_for_url("**/kontrahenci")
    assert "ul. Poprawiona 5" in page.inner_text("table")
    changed = fk.contractors.get(company, contractor.id)
    assert (changed.address_line1, changed.email) == ("ul. Poprawiona 5", "ksiegowosc@klient.example")
    assert axe_violations(page) == []
    page.click(f"button[aria-label='Usuń kontrahenta {contractor.name}']")
    page.wait_for_selector("#deleted")
    assert contractor.id not in [c.id for c in fk.contractors.list(company)]

    page.goto("/produkty")
    page.click(f"a[aria-label='Edytuj: {product.name}']")
    page.wait_for_url("**/produkty?edytuj=*")
    page.fill("#f-price", "249,99")
    page.click("#save-product")
    page.wait_for_url("**/produkty")
    assert str(fk.products.get(company, product.id).price) == "249.99"
    assert axe_violations(page) == []
    page.click(f"button[aria-label='Usuń {product.name}']")
    page.wait_for_selector("#deleted")


def test_other_companies_rows_are_out_of_reach(page: Any, demo_login: Any, app_server: Any) -> None:
    fk = app_server.runtime.fk
    other = fk.companies.add(nip="5270103391", name="Cudza Firma Sp. z o.o.", environment="local")
    theirs = fk.contractors.create(other.id, nip="7740001454", name="Ich klient")
    sign_in(page, demo_login.email, demo_login.password)
    assert page.goto(f"/kontrahenci?edytuj={theirs.id}").status == 404  # type: ignore[union-attr]
    answer = page.request.post(f"/kontrahenci/{theirs.id}/usun", form={"csrf": _csrf(page)}, max_redirects=0)
    assert answer.status == 404
    answer = page.request.post(
        "/kontrahenci",
        form={"csrf": _csrf(page), "id": str(theirs.id), "nip": "7740001454", "name": "Przejęty"},
        max_redirects=0,
    )
    assert answer.status == 404
    assert fk.contractors.get(other.id, theirs.id).name == "Ich klient"
