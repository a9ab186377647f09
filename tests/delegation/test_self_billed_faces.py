"""Self-billed sales by REST and on the command line: the sync's count, the list's filter and fields,
who issued the invoice, and ``fakturnik invoices list --issued-by buyer`` (prod profile)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from fakturnik.cli.main import app as cli
from fakturnik.simulator.server import SimulatorServer
from tests.delegation.kit import ksef_certificate, random_nip
from tests.delegation.test_rest import _company
from tests.delegation.test_self_billing_end_to_end import BUYER_NAME, SELLER_NAME, self_billed
from tests.web.api.harness import api_server
from tests.web.api.helpers import PASSWORD, sign_in


def _accepted(http: httpx.Client, company: int, invoice: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = http.get(f"/companies/{company}/invoices/{invoice}").json()
        if body["status"] in ("accepted", "rejected") or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_self_billed_sale_by_rest_and_cli(prod_sim: SimulatorServer, tmp_path: Path) -> None:
    seller_nip, buyer_nip = random_nip(), random_nip()
    seller_cert = ksef_certificate(prod_sim, "Nip", seller_nip, SELLER_NAME)
    buyer_cert = ksef_certificate(prod_sim, "Nip", buyer_nip, BUYER_NAME)
    with api_server(tmp_path, worker=True, webhooks=False) as server:
        server.runtime.fk.accounts.register_user("ksiegowa@biuro.pl", PASSWORD, name="Księgowa")
        http, _csrf, _user = sign_in(server, "ksiegowa@biuro.pl")
        seller = _company(http, seller_nip, SELLER_NAME, prod_sim.base_url, seller_cert)
        buyer = _company(http, buyer_nip, BUYER_NAME, prod_sim.base_url, buyer_cert)
        r = http.post(
            f"/companies/{seller}/permissions/authorizations",
            json={"nip": buyer_nip, "kind": "self_billing", "name": BUYER_NAME},
        )
        assert r.status_code == 200 and r.json()["ok"], r.text

        r = http.post(f"/companies/{buyer}/invoices", json=self_billed(seller_nip, "REST"))
        assert r.status_code == 201, r.text
        issued = _accepted(http, buyer, r.json()["id"])
        assert issued["status"] == "accepted", issued
        assert issued["issued_by_buyer"] is False and issued["seller"]["nip"] == seller_nip

        r = http.post(f"/companies/{seller}/sync")
        assert r.status_code == 200, r.text
        assert r.json()["self_billed"] == 1 and r.json()["new"] == 1
        page = http.get(f"/companies/{seller}/invoices", params={"issued_by": "buyer"}).json()
        (row,) = page["items"]
        assert row["issued_by_buyer"] is True and row["ksef_number"] == issued["ksef_number"]
        assert row["buyer"]["nip"] == buyer_nip and row["status"] == "accepted"
        assert (
            http.get(f"/companies/{seller}/invoices", params={"issued_by": "company"}).json()["items"] == []
        )
        bad = http.get(f"/companies/{seller}/invoices", params={"issued_by": "someone"})
        assert bad.status_code == 422, bad.text
        view = http.get(f"/companies/{seller}/invoices/{row['id']}").json()
        assert view["issued_by"]["kind"] == "buyer"
        assert view["issued_by"]["label"] == f"nabywca: {BUYER_NAME} (samofakturowanie)"
        assert http.get(f"/companies/{seller}/received").json()["items"] == []

        r = http.post(f"/companies/{buyer}/sync")  # the buyer's own invoice is not received twice
        assert r.status_code == 200 and r.json()["new"] == 0, r.text
        assert http.get(f"/companies/{buyer}/received").json()["items"] == []
        assert len(http.get(f"/companies/{buyer}/invoices").json()["items"]) == 1

    runner = CliRunner()
    shown = runner.invoke(
        cli,
        ["invoices", "list", "--company", seller_nip, "--issued-by", "buyer", "--data-dir", str(tmp_path)],
    )
    assert shown.exit_code == 0, shown.output
    assert issued["number"] in shown.output and "wystawiona przez nabywcę (samofakturowanie)" in shown.output
    own = runner.invoke(
        cli,
        ["invoices", "list", "--company", seller_nip, "--issued-by", "company", "--data-dir", str(tmp_path)],
    )
    assert own.exit_code == 0 and issued["number"] not in own.output, own.output
    wrong = runner.invoke(cli, ["invoices", "list", "--issued-by", "x", "--data-dir", str(tmp_path)])
    assert wrong.exit_code == 1 and "company albo buyer" in wrong.output
