"""A local stand-in for the VAT white list API (tests, demo): the same paths and JSON shapes.

    with FakeWhiteList({"7740001454": {"name": "Klient S.A.", "accountNumbers": [...]}}) as wl:
        Fakturnik.open(..., white_list_url=wl.url)

Unknown NIPs answer ``{"result": {"subject": null, ...}}`` as the real API does; ``requests`` counts
the calls (to see the cache work).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlparse

_PATH = re.compile(r"^/api/search/nip/(\d{10})$")


class FakeWhiteList:
    def __init__(self, subjects: dict[str, dict[str, Any]] | None = None, host: str = "127.0.0.1") -> None:
        self.subjects = dict(subjects or {})
        self.requests = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.requests += 1
                url = urlparse(self.path)
                m = _PATH.match(url.path)
                day = (parse_qs(url.query).get("date") or [""])[0]
                if m is None:
                    return self._send(404, {"code": "WL-404", "message": "Nie znaleziono."})
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                    return self._send(
                        400, {"code": "WL-113", "message": "Pole 'date' ma nieprawidłowy format."}
                    )
                nip = m.group(1)
                subject = fake.subjects.get(nip)
                body = {
                    "result": {
                        "subject": ({"nip": nip, "statusVat": "Czynny", **subject} if subject else None),
                        "requestId": uuid.uuid4().hex[:10],
                        "requestDateTime": datetime.now(UTC).strftime("%d-%m-%Y %H:%M:%S"),
                    }
                }
                return self._send(200, body)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-white-list", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeWhiteList:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeWhiteList:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
