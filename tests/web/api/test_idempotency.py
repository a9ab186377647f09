"""Idempotency-Key over real HTTP: a cut connection retried, 20 concurrent POSTs, a reused key."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx

from tests.threads import run_threads
from tests.web.api.harness import ApiServer
from tests.web.api.helpers import draft, make_tenant


def _count(api: httpx.Client, company_id: int) -> int:
    page = api.get(f"/companies/{company_id}/invoices", params={"with_totals": "true", "limit": 500}).json()
    return len(page["items"])


def test_connection_cut_before_the_answer_then_retried(any_db_server: ApiServer) -> None:
    tenant = make_tenant(any_db_server, "idem@firma.pl", "5265877635")
    body = json.dumps(draft(tenant.nip)).encode()
    request = (
        f"POST /api/v1/companies/{tenant.company_id}/invoices HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{any_db_server.port}\r\n"
        f"Authorization: Bearer {tenant.key}\r\n"
        "Content-Type: application/json\r\n"
        "Idempotency-Key: order-2026-0001\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", any_db_server.port)) as raw:
        raw.sendall(request)
        raw.shutdown(socket.SHUT_RDWR)  # the client goes away before reading anything
    time.sleep(0.5)
    with tenant.api() as api:
        r = api.post(
            f"/companies/{tenant.company_id}/invoices",
            content=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": "order-2026-0001"},
        )
        assert r.status_code in (200, 201), r.text
        again = api.post(
            f"/companies/{tenant.company_id}/invoices",
            content=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": "order-2026-0001"},
        )
        assert again.status_code == 200 and again.headers.get("idempotent-replayed") == "true"
        assert again.json()["id"] == r.json()["id"]
        assert _count(api, tenant.company_id) == 1
        other = api.post(
            f"/companies/{tenant.company_id}/invoices",
            json=draft(tenant.nip, lines=2),
            headers={"Idempotency-Key": "order-2026-0001"},
        )
        assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
        assert _count(api, tenant.company_id) == 1


def test_twenty_concurrent_posts_with_one_key_make_one_invoice(any_db_server: ApiServer) -> None:
    tenant = make_tenant(any_db_server, "rownolegle@firma.pl", "5265877635")
    body = json.dumps(draft(tenant.nip)).encode()
    answers: list[httpx.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def post() -> None:
        with tenant.api() as api:
            start.wait()
            r = api.post(
                f"/companies/{tenant.company_id}/invoices",
                content=body,
                headers={"Content-Type": "application/json", "Idempotency-Key": "one-key"},
            )
            with lock:
                answers.append(r)

    run_threads([post] * 20, 60)
    assert len(answers) == 20
    ok = [r for r in answers if r.status_code in (200, 201)]
    # a request that finds the first one still running may be told to retry (409), never a second invoice
    assert all(r.status_code in (200, 201, 409) for r in answers), [r.text for r in answers][:3]
    assert sum(1 for r in answers if r.status_code == 201) == 1
    assert len({r.json()["id"] for r in ok}) == 1
    with tenant.api() as api:
        assert _count(api, tenant.company_id) == 1
