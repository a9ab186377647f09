"""Typer options that several commands share, each declared once (its flag, environment variable, help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="FAKTURNIK_DATA_DIR", help="Katalog danych (baza SQLite, klucz)."),
]
DbUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", envvar="FAKTURNIK_DATABASE_URL", help="Adres bazy (np. postgresql+psycopg://…)."
    ),
]

Company = Annotated[str, typer.Option("--company", help="NIP firmy.")]
"""The company a command acts for (by NIP)."""
MaybeCompany = Annotated[str | None, typer.Option("--company", help="NIP firmy.")]
"""The same, where the command has another way to choose (``--all``, ``--due``, every company)."""
IssuerCompany = Annotated[str, typer.Option("--company", help="NIP firmy wystawiającej.")]
OfficeCompany = Annotated[str, typer.Option("--company", help="NIP biura.")]
EnvCompany = Annotated[str, typer.Option("--company", help="NIP firmy (wskazuje środowisko KSeF).")]
