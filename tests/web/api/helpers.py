"""Test helpers: tenants made the way people make them (user → REST sign-in → company → API key),
invoice drafts, a local webhook receiver, waiting for what a server does in the background."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from fakturnik.base.warsaw import warsaw_today
from fakturnik.simulator.server import free_port
from tests.web.api.harness import ApiServer

PASSWORD = "Bardzo-Tajne-Haslo-123"
NIPS = ("5265877635", "7740001454", "1111111111", "5213003700")


def draft(
    seller_nip: str, buyer_nip: str = "7740001454", *, lines: int = 1, number: str = "AUTO"
) -> dict[str, Any]:
    today = warsaw_today().isoformat()
    return {
        "Podmiot1": {
            "DaneIdentyfikacyjne": {"NIP": seller_nip, "Nazwa": "Sprzedawca Sp. z o.o."},
            "Adres": {"KodKraju": "PL", "AdresL1": "ul. Prosta 1", "AdresL2": "00-001 Warszawa"},
        },
        "Podmiot2": {
            "DaneIdentyfikacyjne": {"NIP": buyer_nip, "Nazwa": "Klient S.A."},
            "Adres": {"KodKraju": "PL", "AdresL1": "ul. Długa 2", "AdresL2": "30-001 Kraków"},
        },
        "Fa": {
            "P_1": today,
            "P_2": number,
            "P_6": today,
            "FaWiersz": [
                {"P_7": f"Usługa {i + 1}", "P_8A": "szt.", "P_8B": "2", "P_9A": "100.00", "P_12": "23"}
                for i in range(lines)
            ],
        },
    }


@dataclass
class Tenant:
    """A company with its owner (signed in over REST) and an API key."""

    server: ApiServer
    email: str
    nip: str
    company_id: int = 0
    user_id: int = 0
    key: str = field(default="", repr=False)
    session: httpx.Client | None = None
    csrf: str = ""

    def api(self) -> httpx.Client:
        return self.server.client(Authorization=f"Bearer {self.key}")

    def browser(self) -> httpx.Client:
        assert self.session is not None
        return self.session


def sign_in(
    server: ApiServer, email: str, password: str = PASSWORD
) -> tuple[httpx.Client, str, dict[str, Any]]:
    client = httpx.Client(base_url=server.api, timeout=30)
    r = client.post("/session", json={"email": email, "password": password})
    r.raise_for_status()
    body = r.json()
    client.headers["X-CSRF-Token"] = body["csrf_token"]
    return client, body["csrf_token"], body["user"]


def make_tenant(
    server: ApiServer,
    email: str,
    nip: str,
    *,
    scopes: tuple[str, ...] = ("invoices:write", "invoices:read", "received:read", "company:admin"),
    environment: str = "local",
) -> Tenant:
    fk = server.runtime.fk
    fk.accounts.register_user(email, PASSWORD, name=email.split("@")[0])
    client, csrf, user = sign_in(server, email)
    r = client.post("/companies", json={"nip": nip, "name": f"Firma {nip}", "environment": environment})
    assert r.status_code == 201, r.text
    company_id = r.json()["id"]
    r = client.post(f"/companies/{company_id}/api-keys", json={"name": "ERP", "scopes": list(scopes)})
    assert r.status_code == 201, r.text
    return Tenant(server, email, nip, company_id, user["id"], r.json()["token"], session=client, csrf=csrf)


class WebhookReceiver:
    """A local HTTP server that records every POST (headers, body); answers ``status`` (default 200)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = receiver.status
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            items = [json.loads(body) for _, body in self.received]
        return [e for e in items if kind is None or e["type"] == kind]

    def snapshot(self) -> list[tuple[dict[str, str], bytes]]:
        with self.lock:
            return list(self.received)


def wait_until(predicate: Callable[[], Any], timeout: float = 60, every: float = 0.2) -> Any:
    """Ask ``predicate`` every ``every`` seconds until it gives a true value; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out")


def copy_draft(d: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(d)
