"""KSeF permissions and accounting offices from the command line (``permissions …``, ``office …``).

All through ``fakturnik.app`` (``fk.permissions``, ``fk.offices``) as the local system actor.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from fakturnik.app.grant_kinds import grant
from fakturnik.cli.engine import door
from fakturnik.cli.options import Company, DataDir, DbUrl, OfficeCompany

if TYPE_CHECKING:
    from fakturnik.app.permissions import GrantView, OperationView

permissions_app = typer.Typer(
    help="Uprawnienia KSeF: kto co może w mojej firmie, co nadali mi inni, nadawanie i odbieranie.",
    no_args_is_help=True,
)
office_app = typer.Typer(
    help="Biuro rachunkowe: klienci na certyfikacie biura, konsola klientów, pobieranie faktur.",
    no_args_is_help=True,
)

Rights = Annotated[
    list[str] | None,
    typer.Option("--permission", "-p", help="Uprawnienie KSeF (np. InvoiceWrite); można powtórzyć."),
]
FirstName = Annotated[str, typer.Option("--first-name", help="Imię osoby.")]
LastName = Annotated[str, typer.Option("--last-name", help="Nazwisko osoby.")]


def _done(result: OperationView) -> None:
    if result.ok:
        typer.secho(f"✓ {result.message} (operacja {result.reference})", fg=typer.colors.GREEN)
        return
    if not result.done:
        typer.echo(f"… {result.message}: sprawdź później (operacja {result.reference})")
        return
    typer.secho(f"✗ {result.message} (operacja {result.reference})", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _table(grants: tuple[GrantView, ...], title: str) -> None:
    from rich.table import Table

    from fakturnik.cli.views import console

    table = Table("Id", "Rodzaj", "Komu", "Uprawnienie", "Kontekst / dla", "Dalej", "Stan", title=title)
    for g in grants:
        who = f"{g.subject_type} {g.subject}" + (f" ({g.subject_name})" if g.subject_name else "")
        where = g.target or g.context
        table.add_row(g.id, g.kind, who, g.permission_label, where, "tak" if g.can_delegate else "", g.state)
    console().print(table)


@permissions_app.command("list")
def list_granted(company: Company, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Kto co może w KSeF w mojej firmie: osoby, podmioty (biuro), upoważnienia, jednostki."""
    with door(data_dir, database_url) as fk:
        grants = fk.permissions.granted(fk.companies.by_nip(company).id)
    _table(grants, f"Uprawnienia w firmie {company}")


@permissions_app.command("received")
def received(company: Company, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Co nadali mi inni; biuro widzi, co nadał mu każdy klient."""
    with door(data_dir, database_url) as fk:
        view = fk.permissions.received(fk.companies.by_nip(company).id)
    _table(view.entities, "Nadane przez klientów / inne firmy")
    if view.authorizations:
        _table(view.authorizations, "Upoważnienia")
    for nip, grants in view.by_client().items():
        typer.echo(f"Klient {nip}: " + ", ".join(sorted({g.permission for g in grants})))


class _Param(NamedTuple):
    """A parameter of a grant command: the grant's keyword (or ``company``), its Typer type, default."""

    name: str
    annotation: Any
    default: Any = inspect.Parameter.empty


def _argument(name: str, help: str) -> _Param:
    return _Param(name, Annotated[str, typer.Argument(help=help)])


def _option(
    name: str, flag: str, help: str | None = None, kind: Any = str | None, default: Any = None
) -> _Param:
    return _Param(name, Annotated[kind, typer.Option(flag, help=help)], default)


_REQUIRED = inspect.Parameter.empty
_COMPANY = _Param("company", Company)
_NAMES = (_Param("first_name", FirstName), _Param("last_name", LastName))
_RIGHTS = _Param("permissions", Rights, None)

# The grant commands: (command, kind in ``GRANT_KINDS``, help, rights when no --permission is given,
# the parameters in the order --help lists them); --data-dir and --database-url follow.
_GRANT_COMMANDS: tuple[tuple[str, str, str, tuple[str, ...], tuple[_Param, ...]], ...] = (
    (
        "grant-person",
        "person",
        "Nadaj uprawnienia osobie w mojej firmie (np. InvoiceWrite, InvoiceRead, CredentialsManage).",
        ("InvoiceWrite",),
        (
            _argument("identifier", "PESEL albo NIP osoby."),
            _COMPANY,
            *_NAMES,
            _RIGHTS,
            _option("description", "--description"),
        ),
    ),
    (
        "grant-entity",
        "entity",
        "Nadaj uprawnienia do faktur innej firmie (InvoiceWrite, InvoiceRead).",
        ("InvoiceWrite", "InvoiceRead"),
        (
            _argument("nip", "NIP podmiotu."),
            _COMPANY,
            _RIGHTS,
            _option("can_delegate", "--delegate", "Z prawem dalszego przekazywania.", bool, False),
            _option("name", "--name", "Pełna nazwa podmiotu."),
        ),
    ),
    (
        "grant-office",
        "office",
        "Nadaj biuru rachunkowemu wystawianie i odbiór faktur, z prawem przekazania pracownikom.",
        ("InvoiceWrite", "InvoiceRead"),
        (
            _argument("office_nip", "NIP biura rachunkowego."),
            _COMPANY,
            _RIGHTS,
            _option("name", "--name", "Pełna nazwa biura."),
        ),
    ),
    (
        "grant-authorization",
        "authorization",
        "Nadaj upoważnienie: samofakturowanie, przedstawiciel podatkowy, faktury VAT RR, PEF.",
        (),
        (
            _argument("nip", "NIP upoważnianego."),
            _option("kind", "--kind", "self_billing | tax_representative | rr | pef", str, _REQUIRED),
            _COMPANY,
            _option("name", "--name"),
        ),
    ),
    (
        "grant-indirect",
        "indirect",
        "Biuro: przekaż pracownikowi uprawnienia klienta (uprawnienie pośrednie).",
        ("InvoiceWrite",),
        (
            _argument("identifier", "PESEL albo NIP pracownika biura."),
            _Param("company", OfficeCompany),
            *_NAMES,
            _option("client_nip", "--client", "NIP klienta (brak: wszyscy klienci)."),
            _RIGHTS,
        ),
    ),
    (
        "grant-subunit",
        "subunit",
        "Nadaj administratora jednostki podrzędnej (InternalId NIP-nnnnn albo NIP członka grupy VAT).",
        (),
        (
            _argument("identifier", "PESEL albo NIP administratora."),
            _COMPANY,
            _option(
                "subunit", "--subunit", "InternalId (NIP-nnnnn) albo NIP członka grupy VAT.", str, _REQUIRED
            ),
            _option("subunit_name", "--subunit-name", "Nazwa jednostki (wymagana dla InternalId)."),
            *_NAMES,
            _option("description", "--description"),
        ),
    ),
    (
        "grant-eu-admin",
        "eu_admin",
        "Nadaj administratora podmiotu unijnego: KSeF tworzy kontekst NIP-VAT UE, w którym loguje się on "
        "swoim certyfikatem.",
        (),
        (
            _argument("fingerprint", "Odcisk SHA-256 certyfikatu podmiotu unijnego (64 znaki hex)."),
            _COMPANY,
            _option("vat_ue", "--vat-ue", "Numer VAT UE podmiotu (np. DE123456789).", str, _REQUIRED),
            _option("name", "--name", "Pełna nazwa podmiotu unijnego.", str, _REQUIRED),
            _option("address", "--address", "Adres podmiotu unijnego.", str, ""),
            _option("description", "--description"),
        ),
    ),
)


def _grant_command(
    command: str, kind: str, help: str, default_rights: tuple[str, ...], params: tuple[_Param, ...]
) -> None:
    """Make ``permissions <command>``: its parameters are the grant's fields, then ``--company``."""

    def make_grant(**values: Any) -> None:
        company, data_dir, database_url = (
            values.pop("company"),
            values.pop("data_dir"),
            values.pop("database_url"),
        )
        if "permissions" in values:
            values["permissions"] = values["permissions"] or list(default_rights)
        with door(data_dir, database_url) as fk:
            result = grant(fk.permissions, kind, fk.companies.by_nip(company).id, values)
        _done(result)

    make_grant.__doc__ = help
    every = (*params, _Param("data_dir", DataDir, None), _Param("database_url", DbUrl, None))
    make_grant.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                p.name, inspect.Parameter.KEYWORD_ONLY, annotation=p.annotation, default=p.default
            )
            for p in every
        ]
    )
    permissions_app.command(command)(make_grant)


for _row in _GRANT_COMMANDS:
    _grant_command(*_row)


@permissions_app.command("revoke")
def revoke(
    permission_id: Annotated[str, typer.Argument(help="Id uprawnienia z `permissions list`.")],
    company: Company,
    authorization: Annotated[bool, typer.Option("--authorization", help="To jest upoważnienie.")] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Odbierz uprawnienie (stan operacji śledzony do końca)."""
    with door(data_dir, database_url) as fk:
        result = fk.permissions.revoke(
            fk.companies.by_nip(company).id, permission_id, authorization=authorization
        )
    _done(result)


@office_app.command("use")
def use(
    office_nip: Annotated[str, typer.Argument(help="NIP biura rachunkowego (firma w Fakturniku).")],
    client: Annotated[str, typer.Option("--client", help="NIP klienta.")],
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Klient loguje się do KSeF certyfikatem biura (w kontekście klienta; nic nie jest kopiowane)."""
    with door(data_dir, database_url) as fk:
        fk.offices.use_office(fk.companies.by_nip(client).id, fk.companies.by_nip(office_nip).id)
    typer.echo(f"Klient {client} loguje się certyfikatem biura {office_nip}.")


@office_app.command("clients")
def clients(
    company: OfficeCompany,
    q: Annotated[str | None, typer.Option("--q", help="NIP albo fragment nazwy.")] = None,
    attention: Annotated[bool, typer.Option("--attention", help="Tylko wymagający uwagi.")] = False,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind", help="Tylko logowanie: office | certificate | ksef_token | person_certificate."
        ),
    ] = None,
    via_office: Annotated[
        bool | None,
        typer.Option(
            "--via-office/--own", help="Tylko na certyfikacie biura / tylko na własnym.", show_default=False
        ),
    ] = None,
    queued: Annotated[bool, typer.Option("--queued", help="Tylko z fakturami w kolejce.")] = False,
    rejected: Annotated[bool, typer.Option("--rejected", help="Tylko z fakturami odrzuconymi.")] = False,
    rights: Annotated[
        bool,
        typer.Option(
            "--rights/--no-rights", help="Zapytaj KSeF o uprawnienia (albo pokaż ostatnią odpowiedź)."
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="JSON jak w REST (GET …/office/clients).")] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Konsola biura: wszyscy klienci w jednej tabeli (jak strona /biuro i REST)."""
    from fakturnik.app.offices import ConsoleFilter
    from fakturnik.cli.office_views import print_office_console
    from fakturnik.cli.views import console

    flt = ConsoleFilter(
        q=q,
        attention=True if attention else None,
        kind=kind,
        via_office=via_office,
        has_queued=True if queued else None,
        has_rejected=True if rejected else None,
    )
    with door(data_dir, database_url) as fk:
        view = fk.offices.console(fk.companies.by_nip(company).id, flt, with_rights=rights)
    if as_json:
        from fakturnik.web.api.offices import ConsoleOut

        typer.echo(ConsoleOut.of(view).model_dump_json(indent=2))
        return
    print_office_console(console(), view)


@office_app.command("sync")
def sync(
    company: OfficeCompany,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Pobierz faktury otrzymane wszystkich klientów biura."""
    with door(data_dir, database_url) as fk:
        result = fk.offices.sync_all(fk.companies.by_nip(company).id)
        nips = {c.id: c.nip for c in fk.companies.list()}
    for cid, new in result.synced:
        typer.echo(f"✓ {nips.get(cid, cid)}: nowych faktur {new}")
    for cid, reason in result.failed:
        typer.secho(f"✗ {nips.get(cid, cid)}: {reason}", fg=typer.colors.RED, err=True)
    if result.failed:
        raise typer.Exit(1)
