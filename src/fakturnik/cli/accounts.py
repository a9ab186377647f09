"""Accounts from the command line: users, their roles in companies, API keys (all through fakturnik.app)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fakturnik.cli.engine import _fail, door
from fakturnik.cli.options import Company, DataDir, DbUrl

if TYPE_CHECKING:
    from fakturnik.app import Fakturnik

users_app = typer.Typer(help="Użytkownicy (logowanie do aplikacji i API).", no_args_is_help=True)
members_app = typer.Typer(help="Role użytkowników w firmach.", no_args_is_help=True)
keys_app = typer.Typer(
    help="Klucze API firm (dla systemów ERP, sklepów, biur rachunkowych).", no_args_is_help=True
)

PasswordEnv = Annotated[
    str | None,
    typer.Option(help="Zmienna środowiskowa z hasłem (bez niej program zapyta o hasło)."),
]


def _password(env: str | None) -> str:
    if env:
        value = os.environ.get(env, "")
        if not value:
            _fail(ValueError(f"zmienna {env} jest pusta"))
        return value
    value = typer.prompt("Hasło", hide_input=True, confirmation_prompt="Powtórz hasło")
    return str(value)


def _company_id(fk: Fakturnik, nip: str) -> int:
    return fk.companies.by_nip(nip).id


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="Adres e-mail (login).")],
    name: Annotated[str, typer.Option(help="Imię i nazwisko.")] = "",
    password_env: PasswordEnv = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Załóż konto użytkownika (hasło: co najmniej 10 znaków, przechowywane jako skrót argon2id)."""
    password = _password(password_env)
    with door(data_dir, database_url) as fk:
        user = fk.accounts.register_user(email, password, name)
    typer.echo(f"Założono konto {user.email} (id {user.id})")


@users_app.command("passwd")
def users_passwd(
    email: Annotated[str, typer.Argument(help="Adres e-mail użytkownika.")],
    password_env: PasswordEnv = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Ustaw nowe hasło (kończy wszystkie sesje użytkownika)."""
    password = _password(password_env)
    with door(data_dir, database_url) as fk:
        fk.accounts.set_password(fk.accounts.user_by_email(email).id, password)
    typer.echo(f"Zmieniono hasło {email.strip().lower()}")


@members_app.command("add")
def members_add(
    email: Annotated[str, typer.Argument(help="Adres e-mail użytkownika (konto musi istnieć).")],
    company: Company,
    role: Annotated[str, typer.Option(help="owner | accountant | issuer | viewer")] = "owner",
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Nadaj użytkownikowi rolę w firmie."""
    with door(data_dir, database_url) as fk:
        user = fk.accounts.user_by_email(email)
        fk.accounts.add_member(_company_id(fk, company), user.id, role)
    typer.echo(f"{email.strip().lower()}: rola {role} w firmie {company}")


@members_app.command("list")
def members_list(
    company: Company,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Pokaż użytkowników firmy i ich role."""
    with door(data_dir, database_url) as fk:
        for m in fk.accounts.members(_company_id(fk, company)):
            typer.echo(f"{m.email}\t{m.role}")


@keys_app.command("create")
def keys_create(
    company: Company,
    name: Annotated[str, typer.Option(help="Nazwa klucza (np. system, który go używa).")] = "",
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help="invoices:write | invoices:read | received:read | company:admin (można powtórzyć)."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Zapisz klucz do pliku (0600) zamiast na ekran.")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Utwórz klucz API; jest pokazany tylko raz (przechowywany jest jego skrót)."""
    scopes = scope or ["invoices:write", "invoices:read"]
    with door(data_dir, database_url) as fk:
        created = fk.api_keys.create(_company_id(fk, company), name, scopes)
    if out is not None:
        out.touch(mode=0o600, exist_ok=True)
        out.write_text(created.token + "\n", encoding="utf-8")
        typer.echo(f"Klucz {created.key.id} ({', '.join(created.key.scopes)}) zapisany w {out}")
    else:
        typer.echo(f"Klucz {created.key.id} ({', '.join(created.key.scopes)}), pokazywany tylko teraz:")
        typer.echo(created.token)


@keys_app.command("list")
def keys_list(
    company: Company,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Pokaż klucze API firmy (bez samych kluczy)."""
    with door(data_dir, database_url) as fk:
        for k in fk.api_keys.list(_company_id(fk, company)):
            used = f"{k.last_used_at:%d.%m.%Y %H:%M}" if k.last_used_at else "nieużywany"
            state = "odwołany" if k.revoked_at else "aktywny"
            typer.echo(f"{k.id}\t{k.prefix}…\t{k.name}\t{' '.join(k.scopes)}\t{used}\t{state}")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[int, typer.Argument(help="Numer klucza (z 'keys list').")],
    company: Company,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Odwołaj klucz API (od razu przestaje działać)."""
    with door(data_dir, database_url) as fk:
        fk.api_keys.revoke(_company_id(fk, company), key_id)
    typer.echo(f"Klucz {key_id} odwołany")
