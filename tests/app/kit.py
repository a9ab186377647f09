"""Helpers of the app tests: an installation with two companies, drafts, actors, a user with a role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fakturnik.app import Actor, Fakturnik
from fakturnik.base.warsaw import warsaw_today
from fakturnik.engine.settings import EngineSettings

NIP_A = "5265877635"
NIP_B = "7740001454"
BUYER = "1111111111"


@contextmanager
def two_companies(path: Path, database_url: str | None = None) -> Iterator[Fakturnik]:
    """An installation (SQLite in ``path`` or ``database_url``) with companies A and B on the
    Ministry's test environment, no worker."""
    with Fakturnik.open(path, database_url=database_url, settings=EngineSettings.fast()) as app:
        app.companies.add(NIP_A, "Firma A", environment="test")
        app.companies.add(NIP_B, "Firma B", environment="test")
        yield app


def draft(
    seller: str = NIP_A,
    buyer: str = "9166568761",
    *,
    net: str = "100.00",
    lines: int = 1,
    issue_date: str | None = None,
    number: str | None = None,
    due: str | None = None,
    buyer_name: str = "Klient S.A.",
) -> dict[str, Any]:
    fa: dict[str, Any] = {
        "P_1": issue_date or warsaw_today().isoformat(),
        "FaWiersz": [
            {"P_7": f"Usługa {i + 1}", "P_8A": "szt.", "P_8B": "1", "P_9A": net, "P_12": "23"}
            for i in range(lines)
        ],
    }
    if number is not None:
        fa["P_2"] = number
    if due is not None:
        fa["Platnosc"] = {"TerminPlatnosci": [{"Termin": due}], "FormaPlatnosci": 6}
    return {
        "Podmiot1": {
            "DaneIdentyfikacyjne": {"NIP": seller, "Nazwa": "Sprzedawca Sp. z o.o."},
            "Adres": {"KodKraju": "PL", "AdresL1": "ul. Prosta 1, 00-001 Warszawa"},
        },
        "Podmiot2": {
            "DaneIdentyfikacyjne": {"NIP": buyer, "Nazwa": buyer_name},
            "Adres": {"KodKraju": "PL", "AdresL1": "ul. Długa 2, 30-001 Kraków"},
        },
        "Fa": fa,
    }


def user_with_role(fk: Fakturnik, company_id: int, email: str, role: str) -> Actor:
    user = fk.accounts.register_user(email, "hasło-bardzo-tajne", "Jan")
    fk.accounts.add_member(company_id, user.id, role)
    return Actor.user(user.id, email)
