"""The web form's "Samofakturowanie (w imieniu sprzedawcy)": the party typed becomes the seller.

The form only builds the draft; issuing goes through the same ``fk.invoices.issue`` as REST and the
command line (the series kept for that seller, the seller check of engine/on_behalf.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from fakturnik.base.warsaw import warsaw_today
from fakturnik.fa3.builder import build_invoice
from fakturnik.web.ui.invoice_form import form_from_draft, parse_form, to_draft
from tests.web.api.harness import api_server
from tests.web.api.helpers import PASSWORD

COMPANY = {
    "DaneIdentyfikacyjne": {"NIP": "5265877635", "Nazwa": "Mleczarnia Nabywca S.A."},
    "Adres": {"KodKraju": "PL", "AdresL1": "ul. Prosta 1", "AdresL2": "00-001 Warszawa"},
}
SUPPLIER_NIP = "5213017228"


def _posted(**extra: str) -> dict[str, str]:
    data = {
        "kind": "VAT",
        "issue_date": warsaw_today().isoformat(),
        "self_billing": "1",
        "buyer_nip": SUPPLIER_NIP,
        "buyer_name": "Gospodarstwo Rolne Jan Kowalski",
        "buyer_address1": "Wólka 5",
        "buyer_address2": "05-800 Pruszków",
        "price_mode": "net",
        "payment_method": "6",
        "due_mode": "days",
        "due_days": "14",
        "line-0-name": "Mleko surowe",
        "line-0-qty": "12000",
        "line-0-unit": "l",
        "line-0-price": "2,10",
        "line-0-rate": "5",
    }
    data.update(extra)
    return data


def test_the_form_puts_the_supplier_in_podmiot1_and_the_company_in_podmiot2() -> None:
    form = parse_form(_posted())
    draft = to_draft(form, seller=COMPANY)
    assert form.errors == {} and draft is not None
    assert draft["Podmiot1"]["DaneIdentyfikacyjne"] == {
        "NIP": SUPPLIER_NIP,
        "Nazwa": "Gospodarstwo Rolne Jan Kowalski",
    }
    assert draft["Podmiot2"] == COMPANY
    assert draft["Fa"]["Adnotacje"]["P_17"] == 1
    invoice = build_invoice(draft)
    assert invoice.Fa.Adnotacje.P_17 == 1 and str(invoice.Fa.P_15) == "26460.00"
    again = form_from_draft(draft)  # a duplicate or a saved draft opens as self-billing again
    assert again.self_billing and again.buyer_nip == SUPPLIER_NIP and again.buyer_address1 == "Wólka 5"
    # an ordinary invoice stays as it was
    plain = to_draft(parse_form(_posted(self_billing="")), seller=COMPANY)
    assert plain is not None and plain["Podmiot1"] == COMPANY and plain["Fa"]["Adnotacje"]["P_17"] == 2


def test_the_supplier_needs_an_address_and_a_nip() -> None:
    form = parse_form(_posted(buyer_address1="", buyer_nip=""))
    assert to_draft(form, seller=COMPANY) is None
    assert form.errors["buyer_address1"] == "Podaj adres sprzedawcy."
    assert "buyer_nip" in form.errors


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def test_issued_from_the_web_form_through_the_same_front_door(tmp_path: Path) -> None:
    with api_server(tmp_path, worker=False, webhooks=False) as server:
        fk = server.runtime.fk
        user = fk.accounts.register_user("wlasciciel@mleczarnia.pl", PASSWORD, name="Właściciel")
        company = fk.companies.add("5265877635", "Mleczarnia Nabywca S.A.", environment="test")
        fk.accounts.add_member(company.id, user.id, "owner")
        with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as web:
            login = web.get("/logowanie")
            r = web.post(
                "/logowanie",
                data={"email": "wlasciciel@mleczarnia.pl", "password": PASSWORD, "csrf": _csrf(login.text)},
            )
            assert r.status_code == 303, r.text
            page = web.get("/faktury/nowa")
            assert page.status_code == 200, page.text
            assert "Samofakturowanie (w imieniu sprzedawcy)" in page.text
            r = web.post("/faktury/nowa", data={**_posted(), "csrf": _csrf(page.text), "action": "issue"})
            assert r.status_code == 303, r.text
            invoice_id = int(r.headers["location"].rsplit("/", 1)[-1])
        view = fk.invoices.get(company.id, invoice_id)
        assert view.number == f"SF/5265877635/FV/{warsaw_today().year}/000001"
        assert view.seller.nip == SUPPLIER_NIP and view.buyer.nip == "5265877635"
