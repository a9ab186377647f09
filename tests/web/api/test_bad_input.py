"""Bad input → a 4xx problem with the field's path, and nothing stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fakturnik.app.whitelist_fake import FakeWhiteList
from fakturnik.base.warsaw import warsaw_today
from tests.web.api.harness import ApiServer, api_server
from tests.web.api.helpers import Tenant, draft, make_tenant


@pytest.fixture
def tenant(local_server: ApiServer) -> Tenant:
    return make_tenant(local_server, "zle-dane@firma.pl", "5265877635")


def _problem(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"] and body["type"].endswith(body["code"])
    if code:
        assert body["code"] == code, body
    return body


def _nothing_stored(t: Tenant) -> None:
    with t.api() as api:
        assert api.get(f"/companies/{t.company_id}/invoices").json()["items"] == []
        assert api.get(f"/companies/{t.company_id}/contractors").json() == []


def test_malformed_json(tenant: Tenant) -> None:
    with tenant.api() as api:
        for path in ("/invoices", "/contractors", "/invoices/bulk"):
            r = api.post(
                f"/companies/{tenant.company_id}{path}",
                content=b'{"Fa": {',
                headers={"content-type": "application/json"},
            )
            _problem(r, 400, "malformed_json")
    _nothing_stored(tenant)


def test_wrong_types_and_unknown_fields_name_the_field(tenant: Tenant) -> None:
    with tenant.api() as api:
        base = f"/companies/{tenant.company_id}"
        body = _problem(
            api.post(base + "/contractors", json={"nip": "5213003700", "name": 12}), 422, "invalid_request"
        )
        assert [e["path"] for e in body["errors"]] == ["name"]
        body = _problem(
            api.post(base + "/contractors", json={"nip": "5213003700", "name": "X", "nazwa": "Y"}), 422
        )
        assert [(e["path"], e["code"]) for e in body["errors"]] == [("nazwa", "extra_forbidden")]
        body = _problem(api.post(base + "/invoices/bulk", json={"items": "nie lista"}), 422)
        assert body["errors"][0]["path"] == "items"
        body = _problem(api.post(base + "/invoices/bulk", json={"items": [draft(tenant.nip)] * 1001}), 422)
        assert body["errors"][0]["path"] == "items"
        body = _problem(api.get(base + "/invoices", params={"limit": "dużo"}), 422)
        assert body["errors"][0]["path"] == "query:limit"
        bad = draft(tenant.nip)
        bad["Fa"]["FaWiersz"][0]["P_8B"] = "dwa"
        bad["Fa"]["Nieznane"] = "x"
        body = _problem(api.post(base + "/invoices", json=bad), 422, "invoice_invalid")
        paths = {e["path"] for e in body["errors"]}
        assert "Fa/FaWiersz[1]/P_8B" in paths and "Fa/Nieznane" in paths, paths
        assert all(e["message"] for e in body["errors"])
    _nothing_stored(tenant)


def test_totals_that_disagree(tenant: Tenant) -> None:
    bad = draft(tenant.nip)
    bad["Fa"]["P_15"] = "1.00"
    with tenant.api() as api:
        body = _problem(
            api.post(f"/companies/{tenant.company_id}/invoices", json=bad), 422, "invoice_invalid"
        )
        assert any(e["path"] == "Fa/P_15" and "P_15" in e["message"] for e in body["errors"]), body
    _nothing_stored(tenant)


def test_invalid_nip(tenant: Tenant, local_server: ApiServer) -> None:
    browser = tenant.browser()
    body = _problem(browser.post("/companies", json={"nip": "1234567890", "environment": "local"}), 422)
    assert body["errors"][0]["path"] == "nip"
    with tenant.api() as api:
        base = f"/companies/{tenant.company_id}"
        body = _problem(api.post(base + "/contractors", json={"nip": "5213003701", "name": "Zły NIP"}), 422)
        assert body["errors"][0]["path"] == "nip"
        body = _problem(api.get(base + "/contractors/lookup/12345"), 422)
        assert body["errors"][0]["path"] == "path:nip"
    assert [c["nip"] for c in tenant.browser().get("/companies").json()] == [tenant.nip]
    _nothing_stored(tenant)


def test_oversize_and_wrong_media_type(tenant: Tenant) -> None:
    limit = tenant.server.settings.max_body_bytes
    with tenant.api() as api:
        base = f"/companies/{tenant.company_id}"
        _problem(
            api.post(
                base + "/invoices",
                content=b"{" + b" " * limit + b"}",
                headers={"content-type": "application/json"},
            ),
            413,
            "request_too_large",
        )
        _problem(api.post(base + "/invoices", content=b"Fa=1", headers={"content-type": "text/plain"}), 415)
        _problem(
            api.post(base + "/invoices", content=b"<Faktura", headers={"content-type": "application/xml"}),
            422,
        )
        _problem(
            api.post(
                base + "/invoices",
                content=b'<!DOCTYPE x [<!ENTITY e "x">]><Faktura>&e;</Faktura>',
                headers={"content-type": "application/xml"},
            ),
            422,
        )
    _nothing_stored(tenant)


def test_bulk_keeps_the_good_items_and_names_the_bad_ones(tenant: Tenant) -> None:
    bad = draft(tenant.nip)
    bad["Fa"]["P_15"] = "1.00"
    with tenant.api() as api:
        r = api.post(
            f"/companies/{tenant.company_id}/invoices/bulk",
            json={"items": [draft(tenant.nip), bad, draft(tenant.nip)]},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["ok_count"], body["failed_count"]) == (2, 1)
        failed = body["items"][1]
        assert not failed["ok"] and failed["index"] == 1
        assert any(p["path"] == "Fa/P_15" for p in failed["problems"])
        assert len(api.get(f"/companies/{tenant.company_id}/invoices").json()["items"]) == 2


def test_white_list_lookup_through_the_api(tmp_path: Path) -> None:
    subjects = {
        "9166568761": {
            "name": "KLIENT SPÓŁKA AKCYJNA",
            "workingAddress": "UL. DŁUGA 2, 30-001 KRAKÓW",
            "accountNumbers": ["61109010140000071219812874"],
        }
    }
    with (
        FakeWhiteList(subjects) as wl,
        api_server(tmp_path, env="local", worker=False, webhooks=False, whitelist_url=wl.url) as server,
    ):
        tenant = make_tenant(server, "biala@firma.pl", "5265877635")
        with tenant.api() as api:
            base = f"/companies/{tenant.company_id}/contractors"
            entry = api.get(base + "/lookup/9166568761", params={"date": warsaw_today().isoformat()}).json()
            assert entry["name"] == "KLIENT SPÓŁKA AKCYJNA" and entry["account_numbers"] == [
                "61109010140000071219812874"
            ]
            assert _problem(api.get(base + "/lookup/1181994512"), 404)["code"] == "not_found"
            made = api.post(base + "/from-white-list/9166568761")
            assert made.status_code == 201 and made.json()["bank_accounts"][0]["on_white_list"] is True
            assert wl.requests == 2  # the second lookup of the day came from the cache
