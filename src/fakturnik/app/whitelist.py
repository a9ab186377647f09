"""A small client of the Ministry of Finance's VAT white list ("Wykaz podatników VAT", public API).

``GET {base}/api/search/nip/{nip}?date=YYYY-MM-DD`` → the subject (name, VAT status, addresses,
bank accounts). The base URL is configurable (``FAKTURNIK_WHITE_LIST_URL``); tests use
:mod:`fakturnik.app.whitelist_fake` on 127.0.0.1. Answers are cached in the store for the day asked
about (the contractors service does that), as the Ministry asks of heavy users.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from fakturnik.app.views import WhiteListEntry
from fakturnik.errors import AppError, InputError, NotFoundError

DEFAULT_URL = "https://wl-api.mf.gov.pl"
ENV_URL = "FAKTURNIK_WHITE_LIST_URL"


class WhiteListUnavailableError(AppError):
    """The white list did not answer (network, 5xx, rate limit); try later or fill the data by hand."""

    code = "white_list_unavailable"


def base_url(configured: str | None = None) -> str:
    return (configured or os.environ.get(ENV_URL) or DEFAULT_URL).rstrip("/")


def entry_from_json(data: dict[str, Any], nip: str, day: date) -> WhiteListEntry:
    result = data.get("result") or {}
    subject = result.get("subject")
    if not subject:
        raise NotFoundError(f"NIP {nip} nie figuruje w wykazie podatników VAT")
    return WhiteListEntry(
        nip=str(subject.get("nip") or nip),
        name=str(subject.get("name") or ""),
        status_vat=str(subject.get("statusVat") or ""),
        address=str(subject.get("workingAddress") or subject.get("residenceAddress") or ""),
        regon=str(subject.get("regon") or ""),
        account_numbers=tuple(str(a) for a in subject.get("accountNumbers") or ()),
        request_id=str(result.get("requestId") or ""),
        date=day,
    )


class WhiteListClient:
    def __init__(self, url: str | None = None, *, timeout: float = 10.0) -> None:
        self.url = base_url(url)
        self.timeout = timeout

    def search_nip(self, nip: str, day: date) -> dict[str, Any]:
        """The raw JSON answer for ``nip`` on ``day`` (for the cache); errors as fakturnik errors."""
        import httpx

        if not (len(nip) == 10 and nip.isdigit()):
            raise InputError("NIP musi mieć 10 cyfr", "nip")
        try:
            r = httpx.get(
                f"{self.url}/api/search/nip/{nip}",
                params={"date": day.isoformat()},
                timeout=self.timeout,
                headers={"Accept": "application/json", "User-Agent": "Fakturnik"},
            )
        except httpx.HTTPError:
            raise WhiteListUnavailableError("wykaz podatników VAT nie odpowiada; spróbuj później") from None
        if r.status_code == 400:
            try:
                message = str(r.json().get("message") or "")
            except ValueError:
                message = ""
            raise InputError(f"wykaz podatników VAT odrzucił zapytanie: {message[:200]}", "nip")
        if r.status_code == 404:
            raise NotFoundError(f"NIP {nip} nie figuruje w wykazie podatników VAT")
        if r.status_code != 200:
            raise WhiteListUnavailableError(f"wykaz podatników VAT odpowiedział błędem {r.status_code}")
        try:
            data: dict[str, Any] = r.json()
        except ValueError:
            raise WhiteListUnavailableError("wykaz podatników VAT zwrócił niepoprawną odpowiedź") from None
        if not isinstance(data, dict):
            raise WhiteListUnavailableError("wykaz podatników VAT zwrócił niepoprawną odpowiedź")
        return data
