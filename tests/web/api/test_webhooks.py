"""Webhooks: signatures, retries with backoff and the delivery log, a gone receiver paused and resumed."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from fakturnik.app.webhooks import sign, verify
from fakturnik.app.webhooks_delivery import DeliverySettings, _target_allowed, backoff
from tests.web.api.harness import ApiServer, api_server
from tests.web.api.helpers import Tenant, WebhookReceiver, draft, make_tenant, wait_until


def test_signature() -> None:
    body = b'{"id":"1","type":"invoice.accepted"}'
    now = int(time.time())
    header = sign(b"whsec_x", now, body)
    assert header.startswith(f"t={now},v1=")
    assert verify(b"whsec_x", header, body)
    assert not verify(b"whsec_x", header, body + b" ")
    assert not verify(b"whsec_y", header, body)
    assert not verify(b"whsec_x", sign(b"whsec_x", now - 3600, body), body)  # replayed an hour later
    assert not verify(b"whsec_x", "v1=abc", body)


def test_backoff_grows_and_is_capped() -> None:
    s = DeliverySettings()
    delays = [backoff(n, s) for n in range(1, 20)]
    assert 8 <= delays[0] <= 12 and delays[3] > delays[0] * 5
    assert max(delays) <= s.backoff_cap_s * 1.2


def test_private_targets_refused_unless_allowed() -> None:
    assert _target_allowed("http://127.0.0.1:9/x", DeliverySettings()) is not None
    assert _target_allowed("http://10.1.2.3/x", DeliverySettings()) is not None
    assert _target_allowed("http://127.0.0.1:9/x", DeliverySettings(allow_private_targets=True)) is None


def _subscribe(t: Tenant, url: str, events: list[str]) -> tuple[int, bytes]:
    with t.api() as api:
        r = api.post(f"/companies/{t.company_id}/webhooks", json={"url": url, "events": events})
        assert r.status_code == 201, r.text
        return r.json()["subscription"]["id"], r.json()["secret"].encode()


def test_retries_until_the_receiver_answers_and_logs_each_attempt(hooks_server: ApiServer) -> None:
    tenant = make_tenant(hooks_server, "ponow@firma.pl", "5265877635")
    with WebhookReceiver() as receiver, tenant.api() as api:
        receiver.status = 503
        sub_id, secret = _subscribe(tenant, receiver.url, ["invoice.accepted"])
        api.post(
            f"/companies/{tenant.company_id}/invoices", json=draft(tenant.nip), params={"urgent": "true"}
        )
        wait_until(lambda: len(receiver.snapshot()) >= 3)
        receiver.status = 200
        base = f"/companies/{tenant.company_id}/webhooks/{sub_id}/deliveries"
        delivered = wait_until(lambda: api.get(base, params={"state": "delivered"}).json())
        log = delivered[0]["log"]
        assert [a["status_code"] for a in log][:3] == [503, 503, 503] and log[-1]["status_code"] == 200
        assert delivered[0]["attempts"] == len(log)
        gaps = [b["at"] > a["at"] for a, b in itertools.pairwise(log)]
        assert all(gaps)
        # at-least-once: every attempt carried the same event id and a valid signature
        bodies = receiver.snapshot()
        assert len({h["fakturnik-delivery"] for h, _ in bodies}) == 1
        assert all(verify(secret, h["fakturnik-signature"], b) for h, b in bodies)
        assert api.get(f"/companies/{tenant.company_id}/webhooks/{sub_id}").json()["state"] == "active"


def test_gone_receiver_is_paused_and_resumed(hooks_server: ApiServer) -> None:
    tenant = make_tenant(hooks_server, "pauza@firma.pl", "5265877635")
    with WebhookReceiver() as receiver, tenant.api() as api:
        receiver.status = 410
        sub_id, _ = _subscribe(tenant, receiver.url, ["invoice.accepted", "invoice.rejected"])
        sub_url = f"/companies/{tenant.company_id}/webhooks/{sub_id}"
        api.post(
            f"/companies/{tenant.company_id}/invoices", json=draft(tenant.nip), params={"urgent": "true"}
        )
        paused = wait_until(lambda: (s := api.get(sub_url).json())["state"] == "paused" and s)
        assert "410" in paused["paused_reason"]
        count = len(receiver.snapshot())
        api.post(
            f"/companies/{tenant.company_id}/invoices", json=draft(tenant.nip), params={"urgent": "true"}
        )
        wait_until(lambda: api.get(sub_url).json()["pending"] >= 1)
        time.sleep(1)
        assert len(receiver.snapshot()) == count  # nothing is sent to a paused subscription
        receiver.status = 200
        assert api.patch(sub_url, json={"active": True}).json()["state"] == "active"
        wait_until(lambda: len(receiver.events("invoice.accepted")) >= count + 2)
        assert api.get(sub_url).json()["pending"] == 0


def test_subscription_rules(server: ApiServer, tmp_path: Path) -> None:
    # a server that does not allow private targets: http:// and loopback are refused at subscription
    tenant = make_tenant(
        server, "zasady@firma.pl", "5265877635", environment="test"
    )  # no worker: no KSeF call
    with tenant.api() as api:
        base = f"/companies/{tenant.company_id}/webhooks"
        r = api.post(base, json={"url": "http://erp.example.pl/h", "events": ["invoice.accepted"]})
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == "url"
        r = api.post(base, json={"url": "https://u:p@erp.example.pl/h", "events": ["invoice.accepted"]})
        assert r.status_code == 422
        r = api.post(base, json={"url": "https://erp.example.pl/h", "events": ["invoice.paid"]})
        assert r.status_code == 422 and r.json()["errors"][0]["path"].startswith("events")
        r = api.post(base, json={"url": "https://erp.example.pl/h", "events": ["received.new"]})
        assert r.status_code == 201
        secret = r.json()["secret"]
        listed = api.get(base).text
        assert secret not in listed and "whsec_" not in listed
        sub = r.json()["subscription"]["id"]
        assert api.delete(f"{base}/{sub}").status_code == 204
        assert api.get(f"{base}/{sub}").status_code == 404


def test_a_dead_receiver_fails_its_delivery_and_pauses(tmp_path: Path) -> None:
    from fakturnik.app.webhooks_delivery import DeliveryLoop

    options = {"env": "local", "worker": False, "webhooks": False, "webhooks_allow_private_targets": True}
    with api_server(tmp_path, **options) as server, WebhookReceiver() as receiver:
        tenant = make_tenant(server, "martwy@firma.pl", "5265877635")
        receiver.status = 500
        sub_id, _ = _subscribe(tenant, receiver.url, ["invoice.offline"])
        server.runtime.fk.ksef.start_outage(tenant.company_id, mode="offline24")
        with tenant.api() as api:
            assert (
                api.post(f"/companies/{tenant.company_id}/invoices", json=draft(tenant.nip)).status_code
                == 201
            )
            settings = DeliverySettings(
                max_attempts=3, backoff_base_s=0.05, backoff_cap_s=0.1, allow_private_targets=True
            )
            loop = DeliveryLoop(server.runtime.fk.ctx, settings)
            deadline = time.monotonic() + 30
            sub_url = f"/companies/{tenant.company_id}/webhooks/{sub_id}"
            while api.get(sub_url).json()["state"] == "active" and time.monotonic() < deadline:
                loop.tick()
                time.sleep(0.1)
            loop.stop()
            sub = api.get(sub_url).json()
            assert sub["state"] == "paused" and "3 nieudanych prób" in sub["paused_reason"]
            failed = api.get(sub_url + "/deliveries").json()
            assert (
                failed[0]["state"] == "failed" and [a["status_code"] for a in failed[0]["log"]] == [500] * 3
            )
            assert len(receiver.snapshot()) == 3
