"""The same by REST: the office credential, grants, revokes, the office console, bad input (prod)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from fakturnik.simulator.server import SimulatorServer
from tests.delegation.kit import ksef_certificate, random_nip
from tests.web.api.harness import api_server
from tests.web.api.helpers import PASSWORD, draft, sign_in


def _company(client: httpx.Client, nip: str, name: str, url: str, cert: Any) -> int:
    r = client.post("/companies", json={"nip": nip, "name": name, "environment": "test"})
    assert r.status_code == 201, r.text
    cid = int(r.json()["id"])
    r = client.put(f"/companies/{cid}/ksef", json={"environment": "custom", "base_url": url})
    assert r.status_code < 300, r.text
    r = client.put(
        f"/companies/{cid}/credentials",
        json={
            "kind": "certificate",
            "certificate_pem": cert.cert_pem.decode(),
            "private_key_pem": cert.key_pem.decode(),
        },
    )
    assert r.status_code < 300, r.text
    return cid


def test_office_by_rest(prod_sim: SimulatorServer, tmp_path: Path) -> None:
    client_nip, office_nip = random_nip(), random_nip()
    client_cert = ksef_certificate(prod_sim, "Nip", client_nip, "Klient Testowy Sp. z o.o.")
    office_cert = ksef_certificate(prod_sim, "Nip", office_nip, "Biuro Rachunkowe Sp. z o.o.")
    with api_server(tmp_path, worker=True, webhooks=False) as server:
        server.runtime.fk.accounts.register_user("wlasciciel@biuro.pl", PASSWORD, name="Właściciel")
        http, _csrf, _user = sign_in(server, "wlasciciel@biuro.pl")
        office = _company(http, office_nip, "Biuro Rachunkowe Sp. z o.o.", prod_sim.base_url, office_cert)
        client = _company(http, client_nip, "Klient Testowy Sp. z o.o.", prod_sim.base_url, client_cert)

        r = http.put(f"/companies/{client}/office", json={"office_company_id": office})
        assert r.status_code == 204, r.text
        assert http.get(f"/companies/{client}").json()["credential"]["kind"] == "office"

        # bad input: a precise Polish error, nothing sent, nothing changed
        before = http.get(f"/companies/{client}/permissions").json()
        for body, path, text in (
            (
                {
                    "identifier": "44051401358",
                    "permissions": ["InvoiceRead"],
                    "first_name": "Jan",
                    "last_name": "Nowak",
                },
                "persons",
                "PESEL 44051401358 ma błędną sumę kontrolną",
            ),
            ({"nip": client_nip}, "entities", "samemu sobie"),
            ({"nip": office_nip, "permissions": ["CredentialsManage"]}, "entities", "może otrzymać tylko"),
            ({"nip": "5265877636"}, "entities", "błędną sumę kontrolną"),
        ):
            r = http.post(f"/companies/{client}/permissions/{path}", json=body)
            assert r.status_code == 422, r.text
            assert text in r.text, r.text
        assert http.get(f"/companies/{client}/permissions").json() == before

        # the client (its own certificate) grants the office delegable invoice rights
        r = http.post(
            f"/companies/{client}/permissions/entities",
            json={"nip": office_nip, "can_delegate": True, "name": "Biuro Rachunkowe Sp. z o.o."},
        )
        assert r.status_code == 200, r.text
        assert r.json()["ok"] and r.json()["code"] == 200
        listed = http.get(f"/companies/{client}/permissions").json()
        assert {(g["kind"], g["permission"], g["can_delegate"]) for g in listed} == {
            ("entity", "InvoiceWrite", True),
            ("entity", "InvoiceRead", True),
        }
        received = http.get(f"/companies/{office}/permissions/received").json()
        assert received["by_client"] == {client_nip: ["InvoiceRead", "InvoiceWrite"]}

        r = http.post(f"/companies/{client}/invoices", json=draft(client_nip))
        assert r.status_code in (200, 201, 202), r.text
        invoice_id = r.json()["id"]
        deadline = time.monotonic() + 60
        while http.get(f"/companies/{client}/invoices/{invoice_id}").json()["status"] != "accepted":
            assert time.monotonic() < deadline, http.get(f"/companies/{client}/invoices/{invoice_id}").json()
            time.sleep(0.2)

        issuer = http.get(f"/companies/{client}/invoices/{invoice_id}/issuer").json()["issued_by"]
        assert "wlasciciel@biuro.pl" in issuer
        console = http.get(f"/companies/{office}/office/clients").json()
        (row,) = console["clients"]
        assert row["nip"] == client_nip and row["credential_kind"] == "office"
        assert row["rights"] == ["InvoiceRead", "InvoiceWrite"] and row["can_delegate"]
        assert row["queued"] == 0 and not row["needs_attention"]
        assert console["office_credential_expires"]
        assert (
            http.get(f"/companies/{office}/office/clients", params={"q": "nic-takiego"}).json()["clients"]
            == []
        )

        # revoke by REST: followed to the end
        write = next(g for g in listed if g["permission"] == "InvoiceWrite")
        r = http.delete(f"/companies/{client}/permissions/{write['id']}")
        assert r.status_code == 200 and r.json()["ok"], r.text
        assert [g["permission"] for g in http.get(f"/companies/{client}/permissions").json()] == [
            "InvoiceRead"
        ]
        audit = http.get(f"/companies/{client}/audit").json()
        actions = [e["action"] for e in (audit["items"] if isinstance(audit, dict) else audit)]
        assert "permission.granted" in actions and "permission.revoked" in actions

        # the office's clients are not another tenant's business
        server.runtime.fk.accounts.register_user("obcy@firma.pl", PASSWORD, name="Obcy")
        stranger, _, _ = sign_in(server, "obcy@firma.pl")
        assert stranger.get(f"/companies/{office}/office/clients").status_code == 404
        assert stranger.get(f"/companies/{client}/permissions").status_code == 404
