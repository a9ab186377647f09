"""Tenant isolation by enumerating every operation of our own OpenAPI document.

Company B's user (session + CSRF) and API key (all scopes) call each operation against company A's
objects: never a 2xx, never A's data in the body. Then B's own company id with A's object ids (an
object must belong to the company in the path). Then a viewer of company A on every write route:
never a 2xx. Afterwards A's objects are unchanged.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.web.api.harness import ApiServer
from tests.web.api.helpers import PASSWORD, Tenant, draft, make_tenant, sign_in

SECRET_NAME = "Tajny Kontrahent Firmy A"
A_NIP, B_NIP = "5265877635", "7740001454"
# not about one company (healthOfAll answers for the caller's own companies: checked below)
SKIP = {"health", "signIn", "signOut", "me", "listCompanies", "createCompany", "healthOfAll"}


def _bodies(nip: str) -> dict[str, Any]:
    return {
        "updateCompany": {"name": "Przejęta"},
        "configureKsef": {"environment": "test"},
        "setCredential": {"kind": "ksef_token", "token": "token-ktorego-nikt-nie-powinien-zapisac"},
        "migrateCredentials": {},
        "setMemberRole": {"role": "owner"},
        "invite": {"email": "intruz@example.pl", "role": "owner"},
        "issueInvoice": draft(nip),
        "issueInvoicesBulk": {"items": [draft(nip)]},
        "correctInvoice": None,
        "recordPayment": {"amount": "1.00"},
        "markReceivedBooked": {"booked": True},
        "recordReceivedPayment": {},
        "createContractor": {"nip": "1111111111", "name": "Nowy"},
        "updateContractor": {"name": "Przejęty"},
        "createProduct": {"name": "Nowy", "price": "1.00"},
        "updateProduct": {"name": "Przejęty"},
        "setSeries": {"pattern": "HACK/{seq}", "reset": "never"},
        "createApiKey": {"name": "intruz", "scopes": ["company:admin"]},
        "createWebhook": {"url": "http://127.0.0.1:9/x", "events": ["invoice.accepted"]},
        "updateWebhook": {"active": False},
        # permissions and offices (docs/permissions.md)
        "grantPersonPermissions": {
            "identifier": "44051401359",
            "permissions": ["InvoiceWrite"],
            "first_name": "Jan",
            "last_name": "Intruz",
        },
        "grantEntityPermissions": {"nip": "7740001454", "can_delegate": True},
        "grantAuthorization": {"nip": "7740001454", "kind": "self_billing"},
        "grantIndirectPermissions": {"identifier": "44051401359", "first_name": "Jan", "last_name": "Intruz"},
        "grantSubunitAdministrator": {
            "identifier": "44051401359",
            "subunit": "7740001454",
            "first_name": "Jan",
            "last_name": "Intruz",
        },
        "grantEuEntityPermissions": {
            "fingerprint": "A" * 64,
            "permissions": ["InvoiceRead"],
            "name": "Intruz GmbH",
        },
        "grantEuEntityAdministration": {
            "fingerprint": "A" * 64,
            "vat_ue": "DE123456789",
            "name": "Intruz GmbH",
        },
        "useOfficeCredential": {"office_company_id": 1},
        "officeSyncAll": {},
        "addCoworkerCertificate": {
            "user_id": 1,
            "certificate_pem": "-----",
            "private_key_pem_base64": "QUJD",
        },
        "createCollectiveIdentifier": {"buyer_id": "7740001454"},
        "exportPaymentList": {"invoice_ids": [1], "format": "csv"},
        # KSeF certificates (docs/credentials.md)
        "enrollKsefCertificates": {"types": ["Authentication"]},
        "renewKsefCertificates": {"force": False},
        "revokeKsefCertificate": {"reason": "Superseded"},
        "setRenewalPolicy": {"margin_days": 30, "auto_renew": True},
        "uploadKsefCertificate": {"certificate_pem": "-----", "private_key_pem": "-----"},
    }


def _operations(server: ApiServer) -> list[tuple[str, str, str, bool]]:
    with server.client() as c:
        spec = c.get("/openapi.json").json()
    ops = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if op["operationId"] not in SKIP:
                ops.append(
                    (method.upper(), path.removeprefix("/api/v1"), op["operationId"], "requestBody" in op)
                )
    return ops


@pytest.fixture
def world(local_server: ApiServer) -> dict[str, Any]:
    a = make_tenant(local_server, "wlasciciel@firma-a.pl", A_NIP)
    b = make_tenant(local_server, "wlasciciel@firma-b.pl", B_NIP)
    api = a.api()
    cid = a.company_id
    invoice = api.post(f"/companies/{cid}/invoices", json=draft(A_NIP, number="A/SEKRET/1"))
    assert invoice.status_code == 201, invoice.text
    contractor = api.post(f"/companies/{cid}/contractors", json={"nip": "5213003700", "name": SECRET_NAME})
    product = api.post(f"/companies/{cid}/products", json={"name": "Produkt A", "price": "10.00"})
    hook = api.post(
        f"/companies/{cid}/webhooks", json={"url": "https://a.example.pl/h", "events": ["invoice.accepted"]}
    )
    assert contractor.status_code == product.status_code == hook.status_code == 201, (
        contractor.text,
        hook.text,
    )
    keys = a.browser().get(f"/companies/{cid}/api-keys").json()
    invitation = a.browser().post(
        f"/companies/{cid}/invitations", json={"email": "podglad@firma-a.pl", "role": "viewer"}
    )
    assert invitation.status_code == 201, invitation.text
    local_server.runtime.fk.accounts.accept_invitation(
        invitation.json()["token"], password=PASSWORD, name="Podgląd"
    )
    viewer, _, _ = sign_in(local_server, "podglad@firma-a.pl")
    ids = {
        "company_id": cid,
        "invoice_id": invoice.json()["id"],
        "contractor_id": contractor.json()["id"],
        "product_id": product.json()["id"],
        "subscription_id": hook.json()["subscription"]["id"],
        "key_id": keys[0]["id"],
        "user_id": a.user_id,
        "nip": "5213003700",
        "kind": "VAT",
        "reference": "20261207-EG-0000000000-0000000000-00",
        "permission_id": "00000000-0000-0000-0000-000000000000",
        "number": "5265877635-IZ202612-65ED02180000-E7",  # a collective identifier
        "serial": "0123456789ABCDEF",  # a KSeF certificate (16 uppercase hex digits)
    }
    return {"a": a, "b": b, "ids": ids, "viewer": viewer, "api_a": api}


def _call(
    client: httpx.Client, method: str, path: str, ids: dict[str, Any], body: Any, has_body: bool
) -> httpx.Response:
    url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
    if not has_body:
        return client.request(method, url)
    if body is None:
        return client.request(method, url, json=draft(A_NIP))
    return client.request(method, url, json=body)


def _a_data_in(text: str, a: Tenant) -> list[str]:
    leaks = [SECRET_NAME, "A/SEKRET/1", "wlasciciel@firma-a.pl", "https://a.example.pl/h"]
    return [x for x in leaks if x in text]


def test_company_b_never_reaches_company_a(world: dict[str, Any], local_server: ApiServer) -> None:
    a, b, ids = world["a"], world["b"], world["ids"]
    ops = _operations(local_server)
    assert len(ops) >= 50
    failures = []
    for who, client in (("B user", b.browser()), ("B key", b.api())):
        for method, path, op_id, has_body in ops:
            r = _call(client, method, path, ids, _bodies(A_NIP).get(op_id), has_body)
            if r.is_success or _a_data_in(r.text, a):
                failures.append(f"{who} {op_id} → {r.status_code} {r.text[:150]}")
        # B's own company in the path, A's objects after it
        mixed = {**ids, "company_id": b.company_id}
        for method, path, op_id, has_body in ops:
            object_ids = [n for n in re.findall(r"\{(\w+)\}", path) if n not in ("company_id", "kind", "nip")]
            if not object_ids:
                continue
            r = _call(client, method, path, mixed, _bodies(B_NIP).get(op_id), has_body)
            if r.is_success or _a_data_in(r.text, a):
                failures.append(f"{who} (own company) {op_id} → {r.status_code} {r.text[:150]}")
    assert not failures, "\n".join(failures)
    companies = b.api().get("/companies").json()
    assert [c["nip"] for c in companies] == [B_NIP]
    health = b.api().get("/doctor")
    assert [c["nip"] for c in health.json()] == [B_NIP] and not _a_data_in(health.text, a)
    _a_unchanged(world)


def test_viewer_cannot_write(world: dict[str, Any], local_server: ApiServer) -> None:
    ids, viewer = world["ids"], world["viewer"]
    failures = []
    writes = [op for op in _operations(local_server) if op[0] != "GET"]
    assert len(writes) >= 25
    for method, path, op_id, has_body in writes:
        r = _call(viewer, method, path, ids, _bodies(A_NIP).get(op_id), has_body)
        if r.is_success:
            failures.append(f"viewer {op_id} → {r.status_code} {r.text[:150]}")
        elif r.status_code not in (403, 404, 409):
            failures.append(f"viewer {op_id} → unexpected {r.status_code} {r.text[:150]}")
    assert not failures, "\n".join(failures)
    # a viewer reads
    assert viewer.get(f"/companies/{ids['company_id']}/invoices").status_code == 200
    _a_unchanged(world)


def _a_unchanged(world: dict[str, Any]) -> None:
    api, ids = world["api_a"], world["ids"]
    cid = ids["company_id"]
    company = api.get(f"/companies/{cid}").json()
    assert company["name"] == f"Firma {A_NIP}" and company["environment"] == "local"
    assert api.get(f"/companies/{cid}/contractors/{ids['contractor_id']}").json()["name"] == SECRET_NAME
    assert api.get(f"/companies/{cid}/invoices/{ids['invoice_id']}").json()["payment"]["state"] == "unpaid"
    page = api.get(f"/companies/{cid}/invoices").json()
    assert len(page["items"]) == 1
    hooks = api.get(f"/companies/{cid}/webhooks").json()
    assert [h["state"] for h in hooks] == ["active"]
    assert len(world["a"].browser().get(f"/companies/{cid}/api-keys").json()) == 1
    members = world["a"].browser().get(f"/companies/{cid}/members").json()
    assert sorted(m["role"] for m in members) == ["owner", "viewer"]
    assert not any(c["name"] == "Przejęty" for c in api.get(f"/companies/{cid}/contractors").json())


def test_the_session_upo_answers_only_in_its_company(local_server: ApiServer) -> None:
    """The walk above reaches the session-UPO routes while KSeF has issued nothing; here A's invoice
    has its session UPO stored: A reads it, B (user and key, A's company or B's own in the path) never."""
    import time

    from fakturnik.engine.worker import Worker

    ops = {op_id for _, _, op_id, _ in _operations(local_server)}
    assert {"getInvoiceSessionUpo", "getInvoiceSessionUpoPages"} <= ops
    a = make_tenant(local_server, "wlasciciel@firma-a.pl", A_NIP)
    b = make_tenant(local_server, "wlasciciel@firma-b.pl", B_NIP)
    api = a.api()
    sent = api.post(f"/companies/{a.company_id}/invoices", json=draft(A_NIP, number="A/SEKRET/1"))
    assert sent.status_code == 201
    url = f"/companies/{a.company_id}/invoices/{sent.json()['id']}/session-upo"
    early = api.get(url)
    assert early.status_code == 404 and early.headers["content-type"] == "application/problem+json"
    assert "UPO sesji" in early.json()["detail"]

    ctx = local_server.runtime.ctx
    Worker(ctx, worker_id="api-test").run(once=True, idle_sleep=0.05, max_seconds=60)
    upos = Worker(ctx, worker_id="api-test-upo").upos
    deadline = time.monotonic() + 30
    while not api.get(f"/companies/{a.company_id}/invoices/{sent.json()['id']}").json()[
        "session_upo_available"
    ]:
        assert time.monotonic() < deadline, "the session UPO was not stored in time"
        upos.fetch_missing_sessions()
        time.sleep(0.2)
    invoice = api.get(f"/companies/{a.company_id}/invoices/{sent.json()['id']}").json()
    assert invoice["issued_by"]["kind"] == "api_key" and invoice["session_reference"]
    got = api.get(url)
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/xml")
    assert invoice["ksef_number"].encode() in got.content and b"A/SEKRET/1" in got.content
    assert api.get(url, params={"page": 1}).content == got.content
    assert api.get(url, params={"page": 2}).status_code == 404
    assert api.get(url, params={"page": 0}).status_code == 422
    pages = api.get(url + "/pages").json()
    assert pages["session_reference"] == invoice["session_reference"] and pages["invoice_page"] == 1
    assert [p["page"] for p in pages["pages"]] == [1] and pages["pages"][0]["lists_invoice"]

    mixed = url.replace(f"/companies/{a.company_id}/", f"/companies/{b.company_id}/")
    for client in (b.api(), b.browser()):
        for path in (url, url + "/pages", mixed, mixed + "/pages"):
            r = client.get(path)
            assert r.status_code in (403, 404), (path, r.status_code)
            assert b"A/SEKRET/1" not in r.content and invoice["ksef_number"] not in r.text
