"""NBP average exchange rates (table A) for foreign-currency invoices.

Art. 31a ust. 1 of the VAT act: amounts in a foreign currency are converted at the average rate the
National Bank of Poland published on the last business day *before* the tax point (the day of
delivery or, for an advance, of the payment). :func:`rate_window` says which days to ask for;
:class:`NbpClient` asks NBP's public API (``/api/exchangerates/rates/a/{code}/{from}/{to}/``) and
picks the last published rate strictly before the tax point. The base URL is configurable
(``FAKTURNIK_NBP_URL``; tests use a local fake server).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from fakturnik.errors import FakturnikError

__all__ = ["DEFAULT_NBP_URL", "NbpClient", "NbpError", "NbpRate", "nbp_client_for", "rate_window"]

DEFAULT_NBP_URL = "https://api.nbp.pl"
NBP_URL_ENV = "FAKTURNIK_NBP_URL"
_CODE = re.compile(r"^[A-Z]{3}$")


class NbpError(FakturnikError):
    """No rate could be had (unknown currency, NBP not answering); the message is Polish."""

    code = "nbp_unavailable"


@dataclass(frozen=True)
class NbpRate:
    currency: str
    rate: Decimal  # PLN for one unit of the currency
    table: str  # e.g. "041/A/NBP/2026"
    published: date  # the day of the table


def rate_window(tax_point: date, days: int = 14) -> tuple[date, date]:
    """Days to ask NBP for: the two weeks before the tax point (longer than any run of holidays)."""
    end = tax_point - timedelta(days=1)
    return end - timedelta(days=days - 1), end


class NbpClient:
    def __init__(self, base_url: str | None = None, *, timeout: float = 5.0) -> None:
        self.base_url = (base_url or os.environ.get(NBP_URL_ENV) or DEFAULT_NBP_URL).rstrip("/")
        self.timeout = timeout

    def average_rate(self, currency: str, tax_point: date) -> NbpRate:
        """The average rate of the last business day before ``tax_point``."""
        code = currency.upper()
        if not _CODE.match(code) or code == "PLN":
            raise NbpError(f"Niepoprawny kod waluty: {currency[:10]!r}.")
        start, end = rate_window(tax_point)
        url = f"{self.base_url}/api/exchangerates/rates/a/{code.lower()}/{start}/{end}/"
        try:
            response = httpx.get(url, params={"format": "json"}, timeout=self.timeout)
        except httpx.HTTPError:
            raise NbpError("Serwis kursów NBP nie odpowiada; wpisz kurs ręcznie.") from None
        if response.status_code == 404:
            raise NbpError(f"NBP nie publikuje kursu średniego waluty {code} dla tego okresu.")
        if response.status_code != 200:
            raise NbpError(
                f"Serwis kursów NBP odpowiedział błędem {response.status_code}; wpisz kurs ręcznie."
            )
        return _pick(code, response.json(), tax_point)


def _pick(code: str, data: Any, tax_point: date) -> NbpRate:
    try:
        rates = data["rates"]
        best = None
        for item in rates:
            day = date.fromisoformat(str(item["effectiveDate"]))
            if day < tax_point and (best is None or day > best[0]):
                best = (day, item)
        if best is None:
            raise NbpError(f"Brak kursu {code} przed dniem {tax_point:%d.%m.%Y}.")
        day, item = best
        rate = Decimal(str(item["mid"]))
        if not rate.is_finite() or rate <= 0:
            raise InvalidOperation
        return NbpRate(currency=code, rate=rate, table=str(item.get("no", "")), published=day)
    except (KeyError, TypeError, ValueError, InvalidOperation):
        raise NbpError("Serwis kursów NBP zwrócił nieczytelną odpowiedź; wpisz kurs ręcznie.") from None


def nbp_client_for(app: Any) -> NbpClient:
    """The client of an installation (``Fakturnik.nbp_url`` when set, else the environment)."""
    return NbpClient(getattr(app, "nbp_url", None))
