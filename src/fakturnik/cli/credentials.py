"""KSeF credentials from the command line: token → certificate migration, the certificates, the deadline.

All through ``fakturnik.app`` (the credentials service) as the local system actor.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fakturnik.cli.engine import DataDir, DbUrl, _fail, _front_door
from fakturnik.errors import FakturnikError

if TYPE_CHECKING:
    from fakturnik.app.ksef_credentials import MigrationResult

credentials_app = typer.Typer(
    help="Dane uwierzytelniające KSeF: przejście z tokenu na certyfikat KSeF, lista certyfikatów.",
    no_args_is_help=True,
)

Company = Annotated[str | None, typer.Option("--company", help="NIP firmy.")]


def _line(result: MigrationResult) -> str:
    mark = "[green]✓[/green]" if result.ok else "[red]✗[/red]"
    return f"{mark} {result.nip}: {result.message}"


@credentials_app.command("request")
def request(
    company: Annotated[str, typer.Option("--company", help="NIP firmy.")],
    out: Annotated[Path, typer.Option("--out", help="Plik XML do podpisania.")] = Path("do-podpisu.xml"),
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Zapisz plik AuthTokenRequest do podpisania (podpis kwalifikowany, pieczęć, Profil Zaufany).

    Podpisz go w ciągu 10 minut i przekaż: ``fakturnik credentials migrate --company NIP --signed plik``.
    """
    try:
        with _front_door(data_dir, database_url) as fk:
            xml = fk.credentials.migration_request(fk.companies.by_nip(company).id)
    except FakturnikError as exc:
        _fail(exc)
    out.write_bytes(xml)
    typer.echo(f"Zapisano {out}: podpisz go w ciągu 10 minut (podpis XAdES otaczany).")


@credentials_app.command("migrate")
def migrate(
    company: Company = None,
    all_companies: Annotated[
        bool, typer.Option("--all", help="Każda firma, która wciąż loguje się tokenem KSeF.")
    ] = False,
    signed: Annotated[
        Path | None,
        typer.Option("--signed", help="Podpisany plik z `credentials request` (tylko z --company)."),
    ] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Przejdź z tokenu KSeF na certyfikaty KSeF (uwierzytelniający i offline) przed 31.12.2026.

    Nic nie jest unieważniane; firma przechodzi na certyfikat dopiero po udanym logowaniu próbnym.
    """
    from fakturnik.cli.views import console

    if all_companies == (company is not None):
        _fail(ValueError("podaj --company NIP albo --all"))
    if signed is not None and company is None:
        _fail(ValueError("--signed dotyczy jednej firmy: podaj --company NIP"))
    signed_xml = signed.read_bytes() if signed is not None else None
    out = console()
    failed = 0
    try:
        with _front_door(data_dir, database_url) as fk:
            if company is not None:
                ids = [fk.companies.by_nip(company).id]
            else:
                ids = list(fk.credentials.token_deadline().company_ids)
                if not ids:
                    out.print("Żadna firma nie loguje się już tokenem KSeF.")
            for cid in ids:
                nip = fk.companies.get(cid).nip
                with out.status(f"{nip}: certyfikaty KSeF…"):
                    result = fk.credentials.migrate_to_certificate(cid, signed_xml)
                out.print(_line(result))
                failed += not result.ok
            left = fk.credentials.token_deadline()
    except FakturnikError as exc:
        _fail(exc)
    if left.active:
        out.print(
            f"Na tokenie KSeF: {left.companies_on_token} firm(y); do 31.12.2026 zostało {left.days_left} dni."
        )
    if failed:
        raise typer.Exit(1)


@credentials_app.command("list")
def list_certificates(
    company: Annotated[str, typer.Option("--company", help="NIP firmy.")],
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Certyfikaty KSeF firmy: rodzaj, numer seryjny, ważność (nigdy klucze)."""
    from rich.table import Table

    from fakturnik.cli.views import console

    table = Table("Rodzaj", "Numer seryjny", "Ważny od", "Ważny do", "W użyciu")
    try:
        with _front_door(data_dir, database_url) as fk:
            for c in fk.credentials.certificates(fk.companies.by_nip(company).id):
                table.add_row(
                    c.label,
                    c.serial,
                    f"{c.not_before:%d.%m.%Y}",
                    f"{c.not_after:%d.%m.%Y}",
                    "tak" if c.active else "nie",
                )
    except FakturnikError as exc:
        _fail(exc)
    console().print(table)
