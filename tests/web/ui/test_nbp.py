"""The NBP rate client against a local fake of NBP's API (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fakturnik.app.nbp import NbpClient, NbpError, rate_window

# Table A of a week with a holiday on Monday 2026-11-11 (Wednesday): no table that day
RATES = {
    "2026-11-09": ("217/A/NBP/2026", "4.2410"),
    "2026-11-10": ("218/A/NBP/2026", "4.2455"),
    "2026-11-12": ("219/A/NBP/2026", "4.2502"),
}


class _Fake(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        # api/exchangerates/rates/a/{code}/{from}/{to}
        if len(parts) != 7 or parts[:4] != ["api", "exchangerates", "rates", "a"]:
            self.send_error(400)
            return
        code, start, end = parts[4], parts[5], parts[6]
        if code != "eur":
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"404 NotFound - Not Found - Brak danych")
            return
        rates = [
            {"no": no, "effectiveDate": day, "mid": float(mid)}
            for day, (no, mid) in sorted(RATES.items())
            if start <= day <= end
        ]
        body = json.dumps({"table": "A", "currency": "euro", "code": "EUR", "rates": rates}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def nbp() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_rate_of_the_last_business_day_before_the_tax_point(nbp: str) -> None:
    client = NbpClient(nbp)
    # tax point on the 13th: the table of the 12th
    rate = client.average_rate("EUR", date(2026, 11, 13))
    assert rate.rate == Decimal("4.2502") and rate.published == date(2026, 11, 12)
    assert rate.table == "219/A/NBP/2026"
    # tax point on the 12th (after the holiday): the 10th, never the day itself
    assert client.average_rate("eur", date(2026, 11, 12)).published == date(2026, 11, 10)


def test_unknown_currency_and_bad_codes_are_polish_errors(nbp: str) -> None:
    client = NbpClient(nbp)
    with pytest.raises(NbpError, match="nie publikuje kursu"):
        client.average_rate("XYZ", date(2026, 11, 13))
    with pytest.raises(NbpError, match="Niepoprawny kod waluty"):
        client.average_rate("../../etc", date(2026, 11, 13))
    with pytest.raises(NbpError, match="Niepoprawny kod waluty"):
        client.average_rate("PLN", date(2026, 11, 13))


def test_nbp_down_is_a_polish_error() -> None:
    client = NbpClient("http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(NbpError, match="nie odpowiada"):
        client.average_rate("EUR", date(2026, 11, 13))


def test_window_ends_the_day_before() -> None:
    assert rate_window(date(2026, 11, 13)) == (date(2026, 10, 30), date(2026, 11, 12))
