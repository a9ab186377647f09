"""The one ``fakturnik`` command. Each area contributes its own Typer sub-app or command.

Commands are loaded on first use (:data:`COMMANDS`): ``fakturnik --help`` imports Typer and this
table only, and ``fakturnik fa3 …`` never imports the KSeF client. Every command runs inside
:class:`FakturnikGroup`: whatever error ends it becomes a short Polish message and a documented exit
code (:mod:`fakturnik.cli.failures`, docs/cli.md), never a traceback.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import typer
from typer.core import TyperGroup

from fakturnik import __version__
from fakturnik.base.files import private_umask


class Entry(NamedTuple):
    """Where a top-level command lives (a Typer sub-app, or a function made a command) and its help."""

    module: str
    attribute: str
    help: str


COMMANDS: dict[str, Entry] = {
    "simulator": Entry(
        "fakturnik.cli.simulator",
        "simulator",
        "Symulator KSeF 2.0 na tym komputerze (API pod /v2, administracja i awarie pod /admin).",
    ),
    "worker": Entry("fakturnik.cli.engine", "worker", "Uruchom silnik wysyłki (kolejka, KSeF, UPO)."),
    "sync": Entry(
        "fakturnik.cli.engine", "sync", "Pobierz faktury otrzymane (przyrostowo, eksport KSeF i HWM)."
    ),
    "demo": Entry(
        "fakturnik.cli.engine",
        "demo",
        "Symulator KSeF + silnik + przykładowe faktury: numery KSeF i UPO na ekranie.",
    ),
    "fa3": Entry("fakturnik.cli.fa3", "app", "Faktury FA(3): budowa z JSON, walidacja, podgląd."),
    "ksef": Entry(
        "fakturnik.cli.ksef",
        "app",
        "KSeF: uwierzytelnienie, wysyłka, statusy, UPO, pobieranie, synchronizacja.",
    ),
    "qr": Entry(
        "fakturnik.cli.visual", "qr_app", "Kody QR KSeF: link KOD I, weryfikacja linków KOD I i KOD II."
    ),
    "schemas": Entry(
        "fakturnik.cli.schemas",
        "schemas_app",
        "Oficjalne schematy XSD: instalacja do lokalnej pamięci podręcznej.",
    ),
    "companies": Entry(
        "fakturnik.cli.engine", "companies_app", "Firmy (konteksty KSeF) i ich dane uwierzytelniające."
    ),
    "credentials": Entry(
        "fakturnik.cli.credentials",
        "credentials_app",
        "Dane uwierzytelniające KSeF: z tokenu na certyfikat KSeF (przed 31.12.2026), certyfikaty.",
    ),
    "doctor": Entry(
        "fakturnik.cli.doctor",
        "doctor",
        "Kontrola: KSeF odpowiada, logowanie, ważność, uprawnienia, zegar, schematy.",
    ),
    # cli.invoice_upo adds ``invoices upo`` to cli.engine's ``invoices`` commands
    "invoices": Entry("fakturnik.cli.invoice_upo", "invoices_app", "Faktury wystawione i otrzymane."),
    "permissions": Entry(
        "fakturnik.cli.permissions",
        "permissions_app",
        "Uprawnienia KSeF: kto co może w mojej firmie, co nadali mi inni, nadawanie i odbieranie.",
    ),
    "office": Entry(
        "fakturnik.cli.permissions",
        "office_app",
        "Biuro rachunkowe: klienci na certyfikacie biura, konsola klientów, pobieranie faktur.",
    ),
    "outage": Entry(
        "fakturnik.cli.engine",
        "outage_app",
        "Ogłoszona niedostępność albo awaria KSeF (tryb offline, terminy wysyłki).",
    ),
    "serve": Entry("fakturnik.cli.serve", "serve", "Serwer: REST API (/api/v1) i aplikacja w przeglądarce."),
    "users": Entry("fakturnik.cli.accounts", "users_app", "Użytkownicy (logowanie do aplikacji i API)."),
    "members": Entry("fakturnik.cli.accounts", "members_app", "Role użytkowników w firmach."),
    "keys": Entry(
        "fakturnik.cli.accounts",
        "keys_app",
        "Klucze API firm (dla systemów ERP, sklepów, biur rachunkowych).",
    ),
}

# The parser's own errors (usage, missing option …) and a command's chosen exit code pass through.
_PASS_THROUGH: tuple[type[BaseException], ...] = (
    typer.Exit,
    typer.Abort,
    SystemExit,
    *(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"),
)


def load(name: str) -> Any:
    """The click command of a top-level entry, its module imported now."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    command: Any
    if isinstance(target, typer.Typer):
        target.info.name = name
        target.info.help = entry.help  # as the help listing shows it
        command = typer.main.get_group(target)
    else:  # a function: a command of its own
        holder = typer.Typer()
        holder.command(name=name, help=entry.help)(target)
        command = typer.main.get_command(holder)
    command.name = name
    return command


class FakturnikGroup(TyperGroup):
    """The root command: loads commands on first use; turns any error into a message and an exit code."""

    _listing = False  # True while the help lists the commands: they need not be imported for that

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return [*COMMANDS, *(name for name in super().list_commands(ctx) if name not in COMMANDS)]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            return typer.main.get_command_from_info(  # a stand-in with the help text only
                typer.models.CommandInfo(name=cmd_name, help=COMMANDS[cmd_name].help, callback=_stand_in),
                pretty_exceptions_short=True,
                rich_markup_mode=None,
            )
        return load(cmd_name)

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            from fakturnik.fa3.schemas import use_fetcher
            from fakturnik.schema_download import http_fetch

            use_fetcher(http_fetch)  # a missing XSD is downloaded once into the cache (fa3 does no HTTP)
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except BaseException as exc:  # every other error ends as a message, never a traceback
            from fakturnik.cli.failures import report

            raise typer.Exit(report(exc)) from None


def _stand_in() -> None:
    """Never run: stands for a command in the help listing."""


app = typer.Typer(
    name="fakturnik",
    cls=FakturnikGroup,
    help="Fakturnik: faktury w KSeF 2.0 bez logowania do portalu.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # errors never end in a traceback (see FakturnikGroup)
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)


@app.callback()
def root() -> None:
    """The root of the command (a group, so that the lazily loaded commands hang from it)."""


@app.command(help="Wersja programu Fakturnik.")
def version() -> None:
    """Print the Fakturnik version."""
    typer.echo(__version__)


def main() -> None:
    private_umask()  # invoices, keys, databases and logs: the owner's only (0600 files, 0700 dirs)
    app()


if __name__ == "__main__":
    main()
