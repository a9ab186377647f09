"""The REST faces of issue 12 items 6 and 8: strictness in company settings, received warnings,
collective identifiers and the payment list, over real HTTP against the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakturnik.engine.fields import fill_template
from tests.collective.kit import BUYER_ACCOUNT, SELLER_ACCOUNT, issue_registered
from tests.engine.helpers import sample_invoice
from tests.web.api.harness import ApiServer, api_server
from tests.web.api.helpers import make_tenant

SELLER, BUYER = "5265877635", "7740001454"
XML = {"Content-Type": "application/xml"}


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[ApiServer]:
    with api_server(tmp_path, env="local", worker=False, webhooks=False) as s:
        yield s


def test_strictness_warnings_identifiers_and_payment_list_over_rest(local_server: ApiServer) -> None:
    seller = make_tenant(local_server, "sprzedawca@firma.pl", SELLER)
    buyer = make_tenant(local_server, "nabywca@firma.pl", BUYER)
    fk = local_server.runtime.fk
    with seller.api() as api:
        company = f"/companies/{seller.company_id}"
        assert api.get(company).json()["strictness"] == "all"
        to_buyer = fill_template(sample_invoice("FV/R/1", seller_nip=SELLER), buyer_nip=BUYER)
        amounts_off = to_buyer.replace(b"<P_13_1>", b"<P_13_1>1", 1)
        refused = api.post(f"{company}/invoices", content=amounts_off, headers=XML)
        assert refused.status_code == 422, refused.text
        assert api.patch(company, json={"strictness": "luźno"}).status_code == 422
        assert api.patch(company, json={"strictness": "ksef"}).json()["strictness"] == "ksef"
        issued = api.post(f"{company}/invoices", content=amounts_off, headers=XML)
        assert issued.status_code == 201, issued.text
        assert "TOTALS_MISMATCH" in {w["code"] for w in issued.json()["warnings"]}

    ids = issue_registered(fk, seller.company_id, SELLER, ["100.00", "200.00"])
    fk.companies.update(buyer.company_id, bank_account=BUYER_ACCOUNT)
    with seller.api() as api:
        company = f"/companies/{seller.company_id}"
        dues = api.get(f"{company}/collective/dues", params={"buyer": BUYER}).json()
        assert [d["buyer_id"] for d in dues] == [BUYER]
        assert set(ids) < {i["invoice_id"] for i in dues[0]["invoices"]}  # and FV/R/1, accepted too
        made = api.post(f"{company}/collective-identifiers", json={"buyer_id": BUYER, "invoice_ids": ids})
        assert made.status_code == 201, made.text
        number = made.json()["number"]
        assert made.json()["amount"] == "369.00" and made.json()["currency"] == "PLN"
        assert [c["number"] for c in api.get(f"{company}/collective-identifiers").json()] == [number]
        assert api.get(f"{company}/collective-identifiers/{number}").json()["invoice_ids"] == ids
        assert api.post(f"{company}/collective-identifiers", json={"buyer_id": ""}).status_code == 422
        other = api.get(f"/companies/{buyer.company_id}/collective-identifiers")
        assert other.status_code == 404  # another tenant's: does not exist

    with buyer.api() as api:
        company = f"/companies/{buyer.company_id}"
        assert api.post(f"{company}/sync").json()["new"] == 3
        seen = api.get(f"{company}/collective-identifiers/received").json()
        assert [s["number"] for s in seen] == [number] and seen[0]["amount"] == "369.00"
        listing = api.post(f"{company}/payment-list", json={"identifiers": [number]})
        assert listing.status_code == 200, listing.text
        assert listing.headers["content-type"].startswith("text/csv")
        assert (
            "attachment" in listing.headers["content-disposition"] and listing.headers["x-transfers"] == "1"
        )
        text = listing.content.decode("utf-8-sig")
        assert number in text and SELLER_ACCOUNT in text and "369,00" in text
        elixir = api.post(f"{company}/payment-list", json={"identifiers": [number], "format": "elixir"})
        assert elixir.status_code == 200 and elixir.content.startswith(b"110,")
        assert api.post(f"{company}/payment-list", json={"format": "pdf"}).status_code == 422

        received = api.get(f"{company}/received").json()["items"]
        off = next(r for r in received if r["number"] == "FV/R/1")
        warnings = api.get(f"{company}/received/{off['id']}/warnings").json()
        assert warnings["invoice_id"] == off["id"]
        groups = {g["authority"]: g for g in warnings["groups"]}
        assert "TOTALS_MISMATCH" in {n["code"] for n in groups["amounts"]["notes"]}
        assert groups["amounts"]["label"].startswith("Kwoty")
