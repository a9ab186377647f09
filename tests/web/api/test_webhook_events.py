"""Where webhook events come from: offline issuing, deadlines, received invoices (sync on demand)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from fakturnik.app.webhooks_delivery import DeliverySettings, scan_events
from fakturnik.store.webhook_models import WebhookDelivery, WebhookEvent
from tests.web.api.harness import ApiServer
from tests.web.api.helpers import WebhookReceiver, draft, make_tenant, wait_until


def test_offline_and_deadline_events_once_each(local_server: ApiServer) -> None:
    tenant = make_tenant(local_server, "offline@firma.pl", "5265877635")
    fk = local_server.runtime.fk
    with tenant.api() as api:
        r = api.post(
            f"/companies/{tenant.company_id}/webhooks",
            json={"url": "https://erp.example.pl/h", "events": ["invoice.offline", "invoice.deadline_near"]},
        )
        assert r.status_code == 201
        fk.ksef.start_outage(tenant.company_id, mode="offline24")
        availability = api.get(f"/companies/{tenant.company_id}/availability").json()
        assert availability["outage"] and availability["offline_issuing"]
        invoice = api.post(f"/companies/{tenant.company_id}/invoices", json=draft(tenant.nip)).json()
        assert invoice["status"] == "offline" and invoice["offline_deadline"]
    deadline = date.fromisoformat(invoice["offline_deadline"])
    settings = DeliverySettings()
    db = fk.ctx.db
    for _ in range(2):  # a rescan makes nothing new
        with db.transaction() as s:
            scan_events(s, settings, deadlines=True, today=deadline - timedelta(days=3))
        with db.transaction() as s:
            scan_events(s, settings, deadlines=True, today=deadline - timedelta(days=1))
    with db.transaction() as s:
        events = s.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
        assert [e.type for e in events] == ["invoice.offline", "invoice.deadline_near"]
        assert all(e.payload["data"]["invoice"]["id"] == invoice["id"] for e in events)
        assert events[1].payload["data"]["invoice"]["offline_deadline"] == deadline.isoformat()
        assert len(s.scalars(select(WebhookDelivery)).all()) == 2


def test_received_new_after_sync(hooks_server: ApiServer) -> None:
    seller = make_tenant(hooks_server, "sprzedawca@firma.pl", "5265877635")
    buyer = make_tenant(hooks_server, "nabywca@firma.pl", "7740001454")
    with WebhookReceiver() as receiver, seller.api() as sapi, buyer.api() as bapi:
        r = bapi.post(
            f"/companies/{buyer.company_id}/webhooks", json={"url": receiver.url, "events": ["received.new"]}
        )
        assert r.status_code == 201
        issued = sapi.post(
            f"/companies/{seller.company_id}/invoices",
            json=draft(seller.nip, buyer.nip),
            params={"urgent": "true"},
        ).json()
        accepted = wait_until(
            lambda: (
                (i := sapi.get(f"/companies/{seller.company_id}/invoices/{issued['id']}").json())[
                    "ksef_number"
                ]
                and i
            ),
            90,
            0.5,
        )

        def synced() -> bool:
            result = bapi.post(f"/companies/{buyer.company_id}/sync")
            assert result.status_code == 200, result.text
            return bool(receiver.events("received.new"))

        wait_until(synced, 90, 0.5)
        event = receiver.events("received.new")[0]
        assert event["company"]["nip"] == buyer.nip
        assert event["data"]["invoice"]["ksef_number"] == accepted["ksef_number"]
        page = bapi.get(f"/companies/{buyer.company_id}/received").json()
        assert [i["ksef_number"] for i in page["items"]] == [accepted["ksef_number"]]
        received_id = page["items"][0]["id"]
        xml = bapi.get(f"/companies/{buyer.company_id}/received/{received_id}/xml")
        assert xml.status_code == 200 and b"Faktura" in xml.content
        # booking is a person's act (the accountant's), not in any API-key scope
        booked_url = f"/companies/{buyer.company_id}/received/{received_id}/booked"
        assert bapi.put(booked_url, json={"booked": True}).status_code == 403
        booked = buyer.browser().put(booked_url, json={"booked": True})
        assert booked.status_code == 200 and booked.json()["booked_at"]
        # the seller sees nothing of the buyer's side and vice versa
        assert sapi.get(f"/companies/{buyer.company_id}/received").status_code == 404
