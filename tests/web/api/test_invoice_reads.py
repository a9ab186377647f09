"""What the REST answers add for people: the list's net/VAT/unpaid totals and who issued an invoice."""

from __future__ import annotations

from tests.web.api.harness import ApiServer
from tests.web.api.helpers import draft, make_tenant


def test_list_totals_and_who_issued(local_server: ApiServer) -> None:
    a = make_tenant(local_server, "wlasciciel@firma-a.pl", "5265877635")
    api = a.api()
    ids = []
    for lines in (1, 2, 3):
        r = api.post(f"/companies/{a.company_id}/invoices", json=draft(a.nip, lines=lines))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    got = api.put(f"/companies/{a.company_id}/invoices/{ids[0]}/payment", json={})
    assert got.status_code == 200, got.text
    page = api.get(f"/companies/{a.company_id}/invoices", params={"with_totals": "true", "limit": 1}).json()
    rows = api.get(f"/companies/{a.company_id}/invoices").json()["items"]
    net = sum(float(r["totals"]["net"]) for r in rows)
    gross = sum(float(r["totals"]["gross"]) for r in rows)
    assert page["total_count"] == 3 and len(page["items"]) == 1
    assert float(page["total_net"]) == round(net, 2) and float(page["total_gross"]) == round(gross, 2)
    assert float(page["total_vat"]) == round(gross - net, 2)
    assert float(page["total_unpaid"]) == round(gross - float(rows[-1]["totals"]["gross"]), 2)
    plain = api.get(f"/companies/{a.company_id}/invoices").json()
    assert plain["total_net"] is None and plain["total_unpaid"] is None  # only with_totals
    invoice = api.get(f"/companies/{a.company_id}/invoices/{ids[1]}").json()
    assert invoice["issued_by"] == {
        "kind": "api_key",
        "label": "klucz API „ERP”",
        "user_id": None,
        "email": "",
        "name": "",
        "api_key_id": invoice["issued_by"]["api_key_id"],
        "api_key_name": "ERP",
    }
    assert invoice["session_upo_available"] is False and invoice["session_reference"] is None
    by_user = a.browser().post(f"/companies/{a.company_id}/invoices", json=draft(a.nip))
    assert by_user.status_code == 201, by_user.text
    issuer = by_user.json()["issued_by"]
    assert (
        issuer["kind"] == "user"
        and issuer["email"] == "wlasciciel@firma-a.pl"
        and issuer["user_id"] == a.user_id
    )
