"""The ERP flow over real HTTP: API key → bulk 1,000 invoices → signed invoice.accepted webhooks with
KSeF numbers → UPO downloaded. On SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakturnik.app.webhooks import verify
from tests.store.pg import STORES, store_url
from tests.web.api.harness import ApiServer, api_server
from tests.web.api.helpers import WebhookReceiver, draft, make_tenant

N = int(os.environ.get("FAKTURNIK_ERP_INVOICES", "1000"))


@pytest.fixture(params=STORES)
def full_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ApiServer]:
    with (
        store_url(request.param) as url,
        api_server(tmp_path, url, env="local", webhooks_allow_private_targets=True) as s,
    ):
        yield s


def test_erp_flow(full_server: ApiServer) -> None:
    tenant = make_tenant(full_server, "erp@firma.pl", "5265877635")
    with WebhookReceiver() as receiver, tenant.api() as api:
        r = api.post(
            f"/companies/{tenant.company_id}/webhooks",
            json={"url": receiver.url, "events": ["invoice.accepted", "invoice.rejected"]},
        )
        assert r.status_code == 201, r.text
        secret = r.json()["secret"].encode()
        subscription_id = r.json()["subscription"]["id"]
        assert r.json()["secret"] not in api.get(f"/companies/{tenant.company_id}/webhooks").text

        started = time.monotonic()
        r = api.post(
            f"/companies/{tenant.company_id}/invoices/bulk",
            json={"items": [draft(tenant.nip) for _ in range(N)]},
        )
        assert r.status_code == 200, r.text[:2000]
        result = r.json()
        assert result["ok_count"] == N, [i for i in result["items"] if not i["ok"]][:3]
        ids = {item["invoice"]["id"] for item in result["items"]}
        bulk_s = time.monotonic() - started

        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            accepted = {e["data"]["invoice"]["id"] for e in receiver.events("invoice.accepted")}
            if accepted >= ids:
                break
            time.sleep(0.5)
        delivered_s = time.monotonic() - started
        events = receiver.events("invoice.accepted")
        assert {e["data"]["invoice"]["id"] for e in events} >= ids, f"{len(events)} of {N} webhooks"
        for headers, body in receiver.snapshot():
            assert verify(secret, headers["fakturnik-signature"], body)
            assert not verify(b"other secret", headers["fakturnik-signature"], body)
        assert all(e["data"]["invoice"]["ksef_number"] for e in events)
        assert len({e["id"] for e in events}) == len({e["data"]["invoice"]["id"] for e in events})

        one = events[0]["data"]["invoice"]
        upo = api.get(f"/companies/{tenant.company_id}/invoices/{one['id']}/upo")
        assert upo.status_code == 200 and upo.headers["content-type"].startswith("application/xml")
        assert one["ksef_number"].encode() in upo.content
        got = api.get(f"/companies/{tenant.company_id}/invoices/{one['id']}").json()
        assert (
            got["status"] == "accepted" and got["ksef_number"] == one["ksef_number"] and got["upo_available"]
        )

        # the receiver may have the last POSTs before the server has recorded their answers
        url = f"/companies/{tenant.company_id}/webhooks/{subscription_id}/deliveries"
        deadline = time.monotonic() + 60
        while api.get(url, params={"state": "pending", "limit": 1}).json() and time.monotonic() < deadline:
            time.sleep(0.5)
        deliveries = api.get(url, params={"limit": 5}).json()
        assert deliveries and all(
            d["state"] == "delivered" and d["log"][-1]["status_code"] == 200 for d in deliveries
        )
        print(f"bulk {N} in {bulk_s:.1f}s; all webhooks in {delivered_s:.1f}s")
