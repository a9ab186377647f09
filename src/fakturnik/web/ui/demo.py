"""The demo installation behind ``make demo``: a company on the embedded KSeF simulator, its owner (the
credentials printed), a few contractors and products. Idempotent: a second start with the same data
directory finds everything in place and prints the same credentials (kept in the data directory, 0600)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from fakturnik.app.actor import Actor
from fakturnik.errors import ConflictError

__all__ = ["DEMO_EMAIL", "DEMO_NIP", "DemoInfo", "current", "seed"]

DEMO_NIP = "5265877635"
DEMO_EMAIL = "demo@fakturnik.local"
_LOGIN_FILE = "demo-login.json"
_current: DemoInfo | None = None

CONTRACTORS: tuple[dict[str, str], ...] = (
    {
        "nip": "7740001454",
        "name": "Klient S.A.",
        "address_line1": "ul. Długa 2",
        "address_line2": "30-001 Kraków",
        "email": "faktury@klient.example",
    },
    {
        "nip": "5261040828",
        "name": "Biuro Rachunkowe Bilans Sp. z o.o.",
        "address_line1": "ul. Świętokrzyska 12",
        "address_line2": "00-916 Warszawa",
        "email": "ksiegowosc@bilans.example",
    },
    {
        "nip": "1132853869",
        "name": "Sklep Internetowy Zielony Koszyk",
        "address_line1": "ul. Ogrodowa 5/3",
        "address_line2": "61-821 Poznań",
        "email": "zamowienia@zielonykoszyk.example",
    },
)

PRODUCTS: tuple[dict[str, Any], ...] = (
    {"name": "Wdrożenie systemu", "unit": "godz.", "price": Decimal("180.00"), "vat_rate": "23"},
    {
        "name": "Abonament serwisowy",
        "unit": "mies.",
        "price": Decimal("499.00"),
        "vat_rate": "23",
        "gtu": "GTU_12",
    },
    {"name": "Catering na szkolenie", "unit": "usł.", "price": Decimal("640.00"), "vat_rate": "8"},
    {"name": "Szkolenie zawodowe", "unit": "usł.", "price": Decimal("1500.00"), "vat_rate": "zw"},
    {"name": "Książka „KSeF w praktyce”", "unit": "szt.", "price": Decimal("59.90"), "vat_rate": "5"},
)


@dataclass(frozen=True)
class DemoInfo:
    email: str
    password: str
    company_id: int
    url: str | None = None

    @property
    def banner(self) -> str:
        lines = [
            "",
            "Fakturnik — wersja demonstracyjna (symulator KSeF 2.0, SQLite)",
            f"  Użytkownik: {self.email}",
            f"  Hasło:      {self.password}",
        ]
        if self.url:
            lines.append(f"  Otwórz:     {self.url}")
        return "\n".join(lines) + "\n"


def current() -> DemoInfo | None:
    """The demo login of this process (for the hint on the login page), if the demo was seeded."""
    return _current


def _login_file(fk: Any) -> Path | None:
    directory = getattr(getattr(fk, "ctx", None), "data_dir", None)
    return Path(directory) / _LOGIN_FILE if directory else None


def _read_password(path: Path | None) -> str | None:
    if path is None or not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    password = data.get("password") if isinstance(data, dict) else None
    return password if isinstance(password, str) else None


def _write_password(path: Path | None, password: str) -> None:
    if path is None:
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"email": DEMO_EMAIL, "password": password}, handle)


def _master_data(svc: Any, company_id: int) -> None:
    try:
        contractors, products = svc.contractors, svc.products
    except ImportError:  # an app layer without master data: the demo works without them
        return
    for contractor in CONTRACTORS:
        contractors.create(company_id, **contractor)
    for product in PRODUCTS:
        products.create(company_id, price_kind="net", **product)


def seed(fk: Any, *, url: str | None = None) -> DemoInfo:
    """Create (once) the demo user, company, contractors and products; return the login to print."""
    global _current
    path = _login_file(fk)
    password = _read_password(path)
    user_id: int | None = None
    if password is not None:
        try:
            fk.accounts.authenticate(DEMO_EMAIL, password)
        except Exception:
            password = None
    if password is None:
        password = "demo-" + secrets.token_urlsafe(6)
        try:
            user = fk.accounts.register_user(DEMO_EMAIL, password, name="Anna Demo")
        except ConflictError:  # the user exists but its password is lost: a database of another run
            raise RuntimeError(
                "the demo user exists but its password file is missing; "
                "start the demo with a new data directory"
            ) from None
        _write_password(path, password)
        user_id = user.id
    actor = fk.accounts.authenticate(DEMO_EMAIL, password)
    user_id = user_id or actor.user_id
    svc = fk.acting_as(Actor.user(int(user_id), DEMO_EMAIL))
    companies = svc.companies.list()
    company = next((c for c in companies if c.nip == DEMO_NIP), None)
    if company is None:
        company = svc.companies.add(
            nip=DEMO_NIP,
            name="Pracownia Demo Sp. z o.o.",
            environment="local",
            address="ul. Prosta 1\n00-001 Warszawa",
            email="biuro@pracownia-demo.example",
            bank_account="61109010140000071219812874",
        )
        _master_data(svc, company.id)
    _current = DemoInfo(email=DEMO_EMAIL, password=password, company_id=company.id, url=url)
    return _current
