"""Session listings, continuation tokens, visibility and the 12-hour lifetime (digest §3.3, §6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from fakturnik.simulator.session_store import iso
from tests.simulator.sessions_kit import Ksef, edit_session, error_code, make_invoice, nip, wait_for


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as srv:
        yield srv


def _list(client: Ksef, **params: Any) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    pages = 0
    while True:
        headers = {"x-continuation-token": token} if token else {}
        r = client.http.get("/sessions", params=params, headers=headers)
        assert r.status_code == 200, r.text
        pages += 1
        items.extend(r.json()["sessions"])
        token = r.json().get("continuationToken")
        if not token:
            return items, pages


def test_listing_with_continuation_filters_and_statuses(server: SimulatorServer) -> None:
    client = Ksef(server, nip=nip(5001))
    refs = [client.online() for _ in range(12)]
    done_ref, _ = client.accept(make_invoice(client.nip, "L/1"))
    items, pages = _list(client, sessionType="Online", pageSize=10)
    assert pages == 2 and len(items) == 13
    assert [i["dateCreated"] for i in items] == sorted((i["dateCreated"] for i in items), reverse=True)
    assert {i["referenceNumber"] for i in items} == {*refs, done_ref}
    succeeded, _ = _list(client, sessionType="Online", statuses="Succeeded")
    assert [s["referenceNumber"] for s in succeeded] == [done_ref]
    assert succeeded[0]["totalInvoiceCount"] == 1 and succeeded[0]["successfulInvoiceCount"] == 1
    in_progress, _ = _list(client, sessionType="Online", statuses="InProgress")
    assert len(in_progress) == 12
    assert _list(client, sessionType="Batch")[0] == []
    one, _ = _list(client, sessionType="Online", referenceNumber=refs[0])
    assert [s["referenceNumber"] for s in one] == [refs[0]]
    future = iso(server.sim.now() + timedelta(hours=1))
    assert _list(client, sessionType="Online", dateCreatedFrom=future)[0] == []
    closed, _ = _list(client, sessionType="Online", dateClosedTo=future)
    assert [s["referenceNumber"] for s in closed] == [done_ref]
    client.close()


def test_bad_continuation_token_and_page_size(server: SimulatorServer) -> None:
    client = Ksef(server, nip=nip(5002))
    r = client.http.get(
        "/sessions", params={"sessionType": "Online"}, headers={"x-continuation-token": "%%%"}
    )
    assert r.status_code == 400 and error_code(r) == 21418
    r = client.http.get("/sessions", params={"sessionType": "Online", "pageSize": 5})
    assert r.status_code == 400 and error_code(r) == 21405
    r = client.http.get("/sessions")
    assert r.status_code == 400 and error_code(r) == 21405
    client.close()


def test_other_contexts_sessions_are_invisible(server: SimulatorServer) -> None:
    owner = Ksef(server, nip=nip(5003))
    other = Ksef(server, nip=nip(5004))
    owner.online()
    assert _list(other, sessionType="Online")[0] == []
    owner.close()
    other.close()


def test_invoice_write_only_sees_own_sessions(server: SimulatorServer) -> None:
    owner = Ksef(server, nip=nip(5005))
    ref = owner.online()
    clerk = Ksef(server, nip=owner.nip, permissions=["InvoiceWrite"], subject=("Pesel", "90010112345"))
    clerk_ref = clerk.online()
    assert [s["referenceNumber"] for s in _list(clerk, sessionType="Online")[0]] == [clerk_ref]
    # the owner holds Introspection and sees every session of the context
    assert {s["referenceNumber"] for s in _list(owner, sessionType="Online")[0]} == {ref, clerk_ref}
    owner.close()
    clerk.close()


def test_session_invoice_listing_pages(server: SimulatorServer) -> None:
    client = Ksef(server, nip=nip(5006))
    ref = client.online()
    for i in range(12):
        client.send_ok(ref, make_invoice(client.nip, f"P/{i}"))
    client.send_ok(ref, make_invoice("1111111111", "P/bad"))
    client.close_online(ref)
    client.final(ref)
    r = client.http.get(f"/sessions/{ref}/invoices", params={"pageSize": 10})
    assert len(r.json()["invoices"]) == 10 and r.json()["continuationToken"]
    assert len(client.all_invoices(ref)) == 13
    failed = client.all_invoices(ref, failed=True)
    assert [f["status"]["code"] for f in failed] == [410]
    unknown = client.http.get(f"/sessions/{ref}/invoices/20260101-EE-0000000000-0000000000-00")
    assert unknown.status_code == 400 and error_code(unknown) == 21164
    client.close()


def test_online_session_auto_closes_after_12_hours(server: SimulatorServer) -> None:
    client = Ksef(server, nip=nip(5007))
    ref = client.online()
    client.send_ok(ref, make_invoice(client.nip, "AUTO/1"))
    edit_session(server, ref, validUntil=iso(server.sim.now() - timedelta(seconds=1)))
    r = client.send(ref, make_invoice(client.nip, "AUTO/2"))
    assert r.status_code == 400 and error_code(r) == 21180
    assert wait_for(lambda: client.session(ref)["status"]["code"] == 200)
    client.close()


def test_batch_session_expires_after_12_hours_without_close(server: SimulatorServer) -> None:
    client = Ksef(server, nip=nip(5008))
    r, _ = client.open_batch(b"whatever")
    ref = r.json()["referenceNumber"]
    edit_session(server, ref, validUntil=iso(server.sim.now() - timedelta(seconds=1)))
    assert client.session(ref)["status"]["code"] == 440
    client.close()


def test_state_survives_restart_with_data_dir(tmp_path: Any) -> None:
    config = SimulatorConfig(rate_limits_enabled=False, data_dir=tmp_path)
    with SimulatorServer(config) as first:
        client = Ksef(first, nip=nip(5009))
        ref, [inv] = client.accept(make_invoice(client.nip, "R/1"))
        key = client.key
        first.sim.faults.stuck_processing = True
        open_ref = client.online()
        pending = client.send_ok(open_ref, make_invoice(client.nip, "R/2"))
        assert client.invoice(open_ref, pending)["status"]["code"] in (100, 150)
        client.close()
    with SimulatorServer(SimulatorConfig(rate_limits_enabled=False, data_dir=tmp_path)) as second:
        client = Ksef(second, nip=nip(5009), key=key)
        assert client.session(ref)["status"]["code"] == 200
        assert client.http.get(f"/invoices/ksef/{inv['ksefNumber']}").status_code == 200
        upo = client.http.get(f"/sessions/{ref}/invoices/ksef/{inv['ksefNumber']}/upo")
        assert upo.status_code == 200
        assert client.decided(open_ref, pending)["status"]["code"] == 200  # re-queued on start
        client.close()
