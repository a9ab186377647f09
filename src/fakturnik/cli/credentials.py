"""KSeF credentials from the command line: token → certificate migration, the deadline, and KSeF
certificates enrolled, listed, renewed and revoked (``enroll | list | renew | revoke | policy``).

All through ``fakturnik.app`` (the credentials service) as the local system actor.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fakturnik.cli.engine import _fail, door
from fakturnik.cli.options import Company, DataDir, DbUrl, MaybeCompany

if TYPE_CHECKING:
    from fakturnik.app.certificates import CertificateResult
    from fakturnik.app.ksef_credentials import MigrationResult

credentials_app = typer.Typer(
    help="Dane uwierzytelniające KSeF: z tokenu na certyfikat KSeF, certyfikaty: wystawienie, odnowienie.",
    no_args_is_help=True,
)


def _line(result: MigrationResult) -> str:
    mark = "[green]✓[/green]" if result.ok else "[red]✗[/red]"
    return f"{mark} {result.nip}: {result.message}"


@credentials_app.command("request")
def request(
    company: MaybeCompany = None,
    out: Annotated[Path, typer.Option("--out", help="Plik XML do podpisania.")] = Path("do-podpisu.xml"),
    all_companies: Annotated[
        bool, typer.Option("--all", help="Plik dla każdej firmy na tokenie KSeF (do --out-dir, NIP.xml).")
    ] = False,
    out_dir: Annotated[Path | None, typer.Option("--out-dir", help="Katalog plików (z --all).")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Zapisz plik AuthTokenRequest do podpisania (podpis kwalifikowany, pieczęć, Profil Zaufany).

    Podpisz go w ciągu 10 minut i przekaż: ``fakturnik credentials migrate --company NIP --signed plik``
    (albo, przy pierwszym logowaniu, ``credentials enroll --company NIP --signed plik``).
    """
    if all_companies == (company is not None):
        _fail(ValueError("podaj --company NIP albo --all (z --out-dir)"))
    files: dict[Path, bytes] = {}
    with door(data_dir, database_url) as fk:
        if company is not None:
            files[out] = fk.credentials.migration_request(fk.companies.by_nip(company).id)
        else:
            target = out_dir or Path()
            for cid in fk.credentials.token_deadline().company_ids:
                nip = fk.companies.get(cid).nip
                files[target / f"{nip}.xml"] = fk.credentials.migration_request(cid)
    if not files:
        typer.echo("Żadna firma nie loguje się tokenem KSeF: nie ma czego podpisywać.")
    for path, xml in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(xml)
        typer.echo(f"Zapisano {path}: podpisz go w ciągu 10 minut (podpis XAdES otaczany).")


@credentials_app.command("migrate")
def migrate(
    company: MaybeCompany = None,
    all_companies: Annotated[
        bool, typer.Option("--all", help="Każda firma na tokenie KSeF, którą możesz administrować.")
    ] = False,
    signed: Annotated[
        Path | None,
        typer.Option("--signed", help="Podpisany plik z `credentials request` (tylko z --company)."),
    ] = None,
    signed_dir: Annotated[
        Path | None,
        typer.Option(
            "--signed-dir", help="Z --all: katalog podpisanych plików NIP.xml (credentials request --all)."
        ),
    ] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Przejdź z tokenu KSeF na certyfikaty KSeF (uwierzytelniający i offline) przed 31.12.2026.

    Nic nie jest unieważniane; firma przechodzi na certyfikat dopiero po udanym logowaniu próbnym.
    Z --all: każda firma na tokenie, którą możesz administrować; pozostałe są pomijane z wyjaśnieniem.
    """
    from fakturnik.cli.views import console

    if all_companies == (company is not None):
        _fail(ValueError("podaj --company NIP albo --all"))
    if signed is not None and company is None:
        _fail(ValueError("--signed dotyczy jednej firmy: podaj --company NIP (albo --all --signed-dir)"))
    if signed_dir is not None and company is not None:
        _fail(ValueError("--signed-dir dotyczy --all; dla jednej firmy podaj --signed plik"))
    signed_xml = signed.read_bytes() if signed is not None else None
    by_nip = {p.stem: p.read_bytes() for p in sorted(signed_dir.glob("*.xml"))} if signed_dir else {}
    out = console()
    with door(data_dir, database_url) as fk:
        if company is not None:
            results = [fk.credentials.migrate_to_certificate(fk.companies.by_nip(company).id, signed_xml)]
        else:
            with out.status("Certyfikaty KSeF…"):
                results = fk.credentials.migrate_all(by_nip)
            if not results:
                out.print("Żadna firma nie loguje się już tokenem KSeF.")
        left = fk.credentials.token_deadline()
    for result in results:
        out.print(
            _line(result) if not result.skipped else f"[yellow]–[/yellow] {result.nip}: {result.message}"
        )
    if left.active:
        out.print(
            f"Na tokenie KSeF: {left.companies_on_token} firm(y); do 31.12.2026 zostało {left.days_left} dni."
        )
    if any(not r.ok for r in results):
        raise typer.Exit(1)


@credentials_app.command("list")
def list_certificates(
    company: Company,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Najpierw zapytaj KSeF o stan i ważność.")
    ] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Certyfikaty KSeF firmy: rodzaj, numer seryjny, ważność, stan w KSeF (nigdy klucze)."""
    from rich.table import Table

    from fakturnik.cli.views import console

    table = Table("Rodzaj", "Numer seryjny", "Ważny od", "Ważny do", "Dni", "Stan", "W użyciu")
    with door(data_dir, database_url) as fk:
        cid = fk.companies.by_nip(company).id
        certs = fk.certificates.refresh(cid) if refresh else fk.certificates.list(cid)
        policy = fk.certificates.policy(cid)
    for c in certs:
        table.add_row(
            c.label,
            c.serial,
            f"{c.valid_from:%d.%m.%Y}",
            f"{c.valid_to:%d.%m.%Y}",
            str(c.days_left()),
            c.status_label,
            "tak" if c.active else "nie",
        )
    out = console()
    out.print(table)
    auto = "automatycznie" if policy.auto_renew else "ręcznie (fakturnik credentials renew)"
    out.print(f"Odnawianie {policy.margin_days} dni przed końcem ważności, {auto}.")


Types = Annotated[
    list[str] | None,
    typer.Option("--type", help="authentication | offline (można powtórzyć; domyślnie oba)."),
]
Signed = Annotated[
    Path | None,
    typer.Option("--signed", help="Podpisany plik z `credentials request` (pierwsze logowanie)."),
]


def _result(result: CertificateResult) -> None:
    from fakturnik.cli.views import console

    mark = "[green]✓[/green]" if result.ok else "[red]✗[/red]"
    console().print(f"{mark} {result.nip}: {result.message}")
    if not result.ok:
        raise typer.Exit(1)


@credentials_app.command("enroll")
def enroll(
    company: Company,
    types: Types = None,
    signed: Signed = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Wystaw certyfikaty KSeF (uwierzytelniający i offline); klucz prywatny powstaje tu, trafia do sejfu.

    Wniosek składa sesja bieżącego certyfikatu KSeF firmy albo, przy pierwszym logowaniu, sesja
    otwarta podpisanym plikiem (--signed). Nowy certyfikat zaczyna działać po udanym logowaniu próbnym.
    """
    signed_xml = signed.read_bytes() if signed is not None else None
    with door(data_dir, database_url) as fk:
        cid = fk.companies.by_nip(company).id
        result = fk.certificates.enroll(
            cid, types or ("Authentication", "Offline"), signed_request=signed_xml
        )
    _result(result)


@credentials_app.command("renew")
def renew(
    company: MaybeCompany = None,
    due: Annotated[
        bool,
        typer.Option("--due", help="Każda firma, której certyfikat kończy się w marginesie (np. z crona)."),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Odnów teraz, nawet przed marginesem.")] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Odnów certyfikaty KSeF przed końcem ważności; stary zostaje, aż nowy się zaloguje."""
    if due == (company is not None):
        _fail(ValueError("podaj --company NIP albo --due"))
    failed = 0
    with door(data_dir, database_url) as fk:
        if company is not None:
            results = [fk.certificates.renew(fk.companies.by_nip(company).id, force=force)]
        else:
            results = fk.certificates.renew_due(force_check=True)
    from fakturnik.cli.views import console

    if not results:
        console().print("Żadna firma nie loguje się własnym certyfikatem KSeF z odnawianiem automatycznym.")
    for r in results:
        mark = "[green]✓[/green]" if r.ok else "[red]✗[/red]"
        console().print(f"{mark} {r.nip}: {r.message}")
        failed += not r.ok
    if failed:
        raise typer.Exit(1)


@credentials_app.command("revoke")
def revoke(
    company: Company,
    serial: Annotated[str, typer.Argument(help="Numer seryjny certyfikatu KSeF (z credentials list).")],
    reason: Annotated[
        str, typer.Option("--reason", help="Superseded | KeyCompromise | Unspecified.")
    ] = "Superseded",
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Unieważnij certyfikat KSeF; firma najpierw przechodzi na działający certyfikat."""
    with door(data_dir, database_url) as fk:
        result = fk.certificates.revoke(fk.companies.by_nip(company).id, serial, reason=reason)
    _result(result)


@credentials_app.command("policy")
def policy(
    company: Company,
    margin: Annotated[int, typer.Option("--margin", help="Dni przed końcem ważności (1-365).")] = 30,
    auto: Annotated[bool, typer.Option("--auto/--manual", help="Odnawiaj automatycznie w tle.")] = True,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Ustaw margines odnawiania certyfikatów KSeF firmy (domyślnie 30 dni, automatycznie)."""
    from fakturnik.cli.views import console

    with door(data_dir, database_url) as fk:
        p = fk.certificates.set_policy(fk.companies.by_nip(company).id, margin_days=margin, auto_renew=auto)
    how = "automatycznie" if p.auto_renew else "ręcznie"
    console().print(f"Odnawianie {p.margin_days} dni przed końcem ważności, {how}.")
