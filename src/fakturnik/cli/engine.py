"""Top-level commands of the sending engine: companies, invoices, worker, sync, demo."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from fakturnik.cli.options import Company, DataDir, DbUrl, EnvCompany, IssuerCompany, MaybeCompany
from fakturnik.errors import DatabaseUnusableError, FakturnikError

if TYPE_CHECKING:
    from fakturnik.app import Fakturnik

companies_app = typer.Typer(help="Firmy (konteksty KSeF) i ich dane uwierzytelniające.", no_args_is_help=True)
invoices_app = typer.Typer(help="Faktury wystawione i otrzymane.", no_args_is_help=True)
outage_app = typer.Typer(
    help="Ogłoszona niedostępność albo awaria KSeF (tryb offline, terminy wysyłki).", no_args_is_help=True
)


def _context(data_dir: Path | None, database_url: str | None, *, fast: bool = False):  # type: ignore[no-untyped-def]
    from fakturnik.engine.context import open_context
    from fakturnik.engine.settings import EngineSettings, from_env

    return open_context(data_dir, database_url, from_env(EngineSettings.fast() if fast else EngineSettings()))


def _fail(exc: Exception) -> NoReturn:
    """End the command: a Fakturnik error with its message and documented exit code (docs/cli.md)."""
    if isinstance(exc, FakturnikError):
        from fakturnik.cli.failures import report

        raise typer.Exit(report(exc))
    typer.secho(f"Błąd: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _front_door(data_dir: Path | None, database_url: str | None) -> Fakturnik:
    """The application core on the CLI's data (the system actor; the vault key found as the engine does)."""
    from fakturnik.app import Fakturnik
    from fakturnik.engine.settings import EngineSettings, from_env

    return Fakturnik.open(
        data_dir, database_url=database_url, settings=from_env(EngineSettings()), use_keyring=True
    )


@contextmanager
def door(data_dir: Path | None, database_url: str | None) -> Iterator[Fakturnik]:
    """The front door for one command; a Fakturnik error in it ends the command (:func:`_fail`)."""
    try:
        with _front_door(data_dir, database_url) as fk:
            yield fk
    except FakturnikError as exc:
        _fail(exc)


@companies_app.command("add")
def companies_add(
    nip: Annotated[str, typer.Argument(help="NIP firmy (kontekst KSeF).")],
    name: Annotated[str, typer.Option(help="Nazwa firmy.")] = "",
    env: Annotated[
        str, typer.Option("--env", help="test | demo | prod | adres API (np. symulatora).")
    ] = "test",
    address: Annotated[str, typer.Option(help="Adres firmy (sprzedawcy na fakturach).")] = "",
    token_env: Annotated[
        str, typer.Option(help="Zmienna środowiskowa z tokenem KSeF (nigdy w argumentach).")
    ] = "FAKTURNIK_KSEF_TOKEN",  # noqa: S107 - a variable name
    token_file: Annotated[Path | None, typer.Option(help="Plik z tokenem KSeF.")] = None,
    cert_file: Annotated[Path | None, typer.Option(help="Certyfikat (PEM) do logowania XAdES.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="Klucz prywatny (PEM) do certyfikatu.")] = None,
    key_password_env: Annotated[
        str | None, typer.Option(help="Zmienna środowiskowa z hasłem klucza prywatnego.")
    ] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Dodaj firmę; token KSeF albo certyfikat z kluczem trafiają zaszyfrowane do sejfu."""
    raw = (
        token_file.read_text(encoding="utf-8").strip()
        if token_file
        else os.environ.get(token_env, "").strip()
    )
    if (cert_file is None) != (key_file is None):
        _fail(ValueError("podaj razem --cert-file i --key-file"))
    with door(data_dir, database_url) as fk:
        company = fk.companies.add(nip, name, environment=env, address=address, ksef_token=raw or None)
        if cert_file is not None and key_file is not None:
            password = os.environ.get(key_password_env, "") if key_password_env else ""
            fk.companies.set_certificate(
                company.id, cert_file.read_bytes(), key_file.read_bytes(), password or None
            )
    how = (
        "certyfikat w sejfie"
        if cert_file
        else "token KSeF w sejfie"
        if raw
        else "bez danych uwierzytelniających"
    )
    typer.echo(f"Dodano firmę {nip} ({how})")


@companies_app.command("list")
def companies_list(data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Pokaż firmy."""
    from rich.table import Table

    from fakturnik.cli.views import console

    table = Table("NIP", "Nazwa", "Środowisko", "API", "Uwierzytelnienie", "Ważny do")
    with _front_door(data_dir, database_url) as fk:
        for c in fk.companies.list():
            cred = c.credential
            until = f"{cred.not_after:%d.%m.%Y}" if cred and cred.not_after else ""
            table.add_row(c.nip, c.name, c.environment, c.api_url, cred.kind if cred else "—", until)
    console().print(table)


@invoices_app.command("issue")
def invoices_issue(
    company: IssuerCompany,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Faktury FA(3): pliki XML albo JSON (szkic), katalogi z nimi; '-' albo nic = "
            "szkice JSON, po jednym w wierszu, ze standardowego wejścia."
        ),
    ] = None,
    urgent: Annotated[bool, typer.Option(help="Wyślij od razu w sesji interaktywnej.")] = False,
    auto_number: Annotated[
        bool | None,
        typer.Option("--auto-number/--keep-number", help="Numer z serii (domyślnie gdy P_2 = AUTO)."),
    ] = None,
    chunk: Annotated[int, typer.Option(min=1, help="Ile faktur w jednej transakcji.")] = 200,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Wystaw faktury: zapis i kolejka do KSeF; jedna transakcja na porcję faktur."""
    from fakturnik.cli.issue_many import documents_from, issue_documents

    documents = documents_from(files or [], sys.stdin)
    with door(data_dir, database_url) as fk:
        failed = issue_documents(
            fk, documents, company=company, urgent=urgent, auto_number=auto_number, chunk=chunk
        )
    if failed:
        raise typer.Exit(1)


@invoices_app.command("correct")
def invoices_correct(
    invoice_id: Annotated[int, typer.Argument(help="Id odrzuconej faktury offline (z 'invoices list').")],
    file: Annotated[Path, typer.Argument(help="Poprawiony plik tej samej faktury: XML albo JSON (szkic).")],
    company: IssuerCompany,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Korekta techniczna: nowy plik faktury offline odrzuconej przez KSeF (ten sam numer i treść)."""
    from fakturnik.cli.issue_many import Source, print_warnings, xml_of
    from fakturnik.engine.issuing import correct_rejected_offline

    try:
        xml = xml_of(Source(str(file), path=file))
        ctx = _context(data_dir, database_url)
        issued = correct_rejected_offline(
            ctx, company_nip=company, invoice_id=invoice_id, xml=xml, actor="cli"
        )
    except FakturnikError as exc:
        _fail(exc)
    typer.echo(
        f"Korekta techniczna faktury {issued.number} w kolejce do KSeF (id {issued.invoice_id}); "
        "KSeF powiąże ją z odrzuconym plikiem"
    )
    print_warnings(issued)


@invoices_app.command("list")
def invoices_list(
    status: Annotated[
        str | None,
        typer.Option(help="queued | sending | sent | uncertain | accepted | rejected | offline | received"),
    ] = None,
    company: MaybeCompany = None,
    issued_by: Annotated[
        str | None,
        typer.Option(
            "--issued-by",
            help="company: wystawione przez firmę | buyer: wystawione w jej imieniu przez nabywcę "
            "(samofakturowanie, pobrane z KSeF).",
        ),
    ] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Pokaż faktury z numerami KSeF i statusami."""
    from fakturnik.cli.views import print_invoices

    if issued_by not in (None, "company", "buyer"):
        _fail(ValueError("--issued-by: company albo buyer"))
    ctx = _context(data_dir, database_url)
    print_invoices(ctx, status=status, company_nip=company, issued_by=issued_by)


def worker(
    once: Annotated[bool, typer.Option("--once", help="Opróżnij kolejkę i zakończ.")] = False,
    max_seconds: Annotated[float | None, typer.Option(help="Zakończ po tylu sekundach.")] = None,
    fast: Annotated[bool, typer.Option(hidden=True, help="Krótkie czasy (testy, demo).")] = False,
    share: Annotated[
        float,
        typer.Option(
            help="Część limitów KSeF dla tego procesu. Procesy jednego komputera dzielą limity same, a z "
            "bazą PostgreSQL także procesy wielu komputerów (księgi limitów w bazie); N komputerów za "
            "jednym adresem IP, każdy z własną bazą SQLite: 1/N."
        ),
    ] = 1.0,
    verbose: Annotated[bool, typer.Option("-v", help="Więcej komunikatów.")] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Uruchom silnik wysyłki (kolejka, KSeF, UPO)."""
    import signal

    from fakturnik.engine.worker import Worker

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr)
    ctx = _context(data_dir, database_url, fast=fast)
    if share < 1.0:
        from dataclasses import replace

        ctx.settings = replace(ctx.settings, throttle_share=share)
    w = Worker(ctx)
    signal.signal(signal.SIGTERM, lambda *_: w.stop_event.set())
    try:
        summary = w.run(once=once, max_seconds=max_seconds)
    except KeyboardInterrupt:
        w.stop_event.set()
        return
    except DatabaseUnusableError as exc:  # the worker stopped: say why, exit non-zero
        typer.secho("Silnik zatrzymany.", fg=typer.colors.RED, err=True)
        _fail(exc)
    if not once:
        return
    if summary.rejected:
        typer.secho(f"Odrzucone w tym przebiegu: {summary.rejected}.", fg=typer.colors.RED, err=True)
    if summary.pending:
        typer.secho(
            f"Niewysłane albo czekające na KSeF: {summary.pending}.", fg=typer.colors.YELLOW, err=True
        )
    raise typer.Exit(summary.exit_code)


def sync(
    company: Company,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Pobierz faktury otrzymane (przyrostowo, eksport KSeF i HWM)."""
    with door(data_dir, database_url) as fk:
        result = fk.ksef.sync(fk.companies.by_nip(company).id)
    typer.echo(f"Nowe faktury: {result.new}, już znane: {result.known}")
    if result.self_billed:
        typer.echo(f"W tym wystawione w imieniu firmy przez nabywców (samofaktury): {result.self_billed}")


def demo(
    invoices: Annotated[int, typer.Option(help="Ile faktur wystawić.")] = 5,
    data_dir: Annotated[Path | None, typer.Option(help="Katalog danych demo (domyślnie tymczasowy).")] = None,
) -> None:
    """Symulator KSeF + silnik + przykładowe faktury: numery KSeF i UPO na ekranie."""
    from fakturnik.cli.demo import run_demo

    run_demo(invoices=invoices, data_dir=data_dir)


@outage_app.command("start")
def outage_start(
    company: EnvCompany,
    mode: Annotated[
        str, typer.Option(help="offline (niedostępność) | failure (awaria) | offline24")
    ] = "offline",
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Ogłoś niedostępność/awarię: nowe faktury są wystawiane offline."""
    if mode not in ("offline", "failure", "offline24"):
        _fail(ValueError("tryb: offline, failure albo offline24"))
    with door(data_dir, database_url) as fk:
        view = fk.ksef.start_outage(fk.companies.by_nip(company).id, mode)
    typer.echo(f"Tryb offline ({mode}) dla {view.api_url}")


@outage_app.command("end")
def outage_end(
    company: EnvCompany,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Zakończ niedostępność: terminy wysyłki faktur offline zostają wyliczone."""
    with door(data_dir, database_url) as fk:
        company_id = fk.companies.by_nip(company).id
        ended = fk.ksef.availability(company_id).outage
        fk.ksef.end_outage(company_id)
    typer.echo("Niedostępność zakończona" if ended else "Brak trwającej niedostępności")
