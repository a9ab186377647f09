"""KSeF permissions and accounting offices from the command line (``permissions …``, ``office …``).

All through ``fakturnik.app`` (``fk.permissions``, ``fk.offices``) as the local system actor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from fakturnik.cli.engine import DataDir, DbUrl, _fail, _front_door
from fakturnik.errors import FakturnikError

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

Company = Annotated[str, typer.Option("--company", help="NIP firmy.")]
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
    try:
        with _front_door(data_dir, database_url) as fk:
            grants = fk.permissions.granted(fk.companies.by_nip(company).id)
    except FakturnikError as exc:
        _fail(exc)
    _table(grants, f"Uprawnienia w firmie {company}")


@permissions_app.command("received")
def received(company: Company, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Co nadali mi inni; biuro widzi, co nadał mu każdy klient."""
    try:
        with _front_door(data_dir, database_url) as fk:
            view = fk.permissions.received(fk.companies.by_nip(company).id)
    except FakturnikError as exc:
        _fail(exc)
    _table(view.entities, "Nadane przez klientów / inne firmy")
    if view.authorizations:
        _table(view.authorizations, "Upoważnienia")
    for nip, grants in view.by_client().items():
        typer.echo(f"Klient {nip}: " + ", ".join(sorted({g.permission for g in grants})))


@permissions_app.command("grant-person")
def grant_person(
    identifier: Annotated[str, typer.Argument(help="PESEL albo NIP osoby.")],
    company: Company,
    first_name: FirstName,
    last_name: LastName,
    permission: Rights = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Nadaj uprawnienia osobie w mojej firmie (np. InvoiceWrite, InvoiceRead, CredentialsManage)."""
    try:
        with _front_door(data_dir, database_url) as fk:
            result = fk.permissions.grant_person(
                fk.companies.by_nip(company).id,
                identifier,
                permission or ["InvoiceWrite"],
                first_name=first_name,
                last_name=last_name,
                description=description,
            )
    except FakturnikError as exc:
        _fail(exc)
    _done(result)


@permissions_app.command("grant-entity")
def grant_entity(
    nip: Annotated[str, typer.Argument(help="NIP podmiotu.")],
    company: Company,
    permission: Rights = None,
    can_delegate: Annotated[
        bool, typer.Option("--delegate", help="Z prawem dalszego przekazywania.")
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="Pełna nazwa podmiotu.")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Nadaj uprawnienia do faktur innej firmie (InvoiceWrite, InvoiceRead)."""
    try:
        with _front_door(data_dir, database_url) as fk:
            result = fk.permissions.grant_entity(
                fk.companies.by_nip(company).id,
                nip,
                permission or ["InvoiceWrite", "InvoiceRead"],
                can_delegate=can_delegate,
                name=name,
            )
    except FakturnikError as exc:
        _fail(exc)
    _done(result)


@permissions_app.command("grant-office")
def grant_office(
    office_nip: Annotated[str, typer.Argument(help="NIP biura rachunkowego.")],
    company: Company,
    permission: Rights = None,
    name: Annotated[str | None, typer.Option("--name", help="Pełna nazwa biura.")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Nadaj biuru rachunkowemu wystawianie i odbiór faktur, z prawem przekazania pracownikom."""
    try:
        with _front_door(data_dir, database_url) as fk:
            result = fk.permissions.grant_office(
                fk.companies.by_nip(company).id,
                office_nip,
                permission or ["InvoiceWrite", "InvoiceRead"],
                name=name,
            )
    except FakturnikError as exc:
        _fail(exc)
    _done(result)


@permissions_app.command("grant-authorization")
def grant_authorization(
    nip: Annotated[str, typer.Argument(help="NIP upoważnianego.")],
    kind: Annotated[str, typer.Option("--kind", help="self_billing | tax_representative | rr | pef")],
    company: Company,
    name: Annotated[str | None, typer.Option("--name")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Nadaj upoważnienie: samofakturowanie, przedstawiciel podatkowy, faktury VAT RR, PEF."""
    try:
        with _front_door(data_dir, database_url) as fk:
            result = fk.permissions.grant_authorization(fk.companies.by_nip(company).id, nip, kind, name=name)
    except FakturnikError as exc:
        _fail(exc)
    _done(result)


@permissions_app.command("grant-indirect")
def grant_indirect(
    identifier: Annotated[str, typer.Argument(help="PESEL albo NIP pracownika biura.")],
    company: Annotated[str, typer.Option("--company", help="NIP biura.")],
    first_name: FirstName,
    last_name: LastName,
    client: Annotated[
        str | None, typer.Option("--client", help="NIP klienta (brak: wszyscy klienci).")
    ] = None,
    permission: Rights = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Biuro: przekaż pracownikowi uprawnienia klienta (uprawnienie pośrednie)."""
    try:
        with _front_door(data_dir, database_url) as fk:
            result = fk.permissions.grant_indirect(
                fk.companies.by_nip(company).id,
                identifier,
                permission or ["InvoiceWrite"],
                client_nip=client,
                first_name=first_name,
                last_name=last_name,
            )
    except FakturnikError as exc:
        _fail(exc)
    _done(result)


@permissions_app.command("revoke")
def revoke(
    permission_id: Annotated[str, typer.Argument(help="Id uprawnienia z `permissions list`.")],
    company: Company,
    authorization: Annotated[bool, typer.Option("--authorization", help="To jest upoważnienie.")] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Odbierz uprawnienie (stan operacji śledzony do końca)."""
    try:
        with _front_door(data_dir, database_url) as fk:
            result = fk.permissions.revoke(
                fk.companies.by_nip(company).id, permission_id, authorization=authorization
            )
    except FakturnikError as exc:
        _fail(exc)
    _done(result)


@office_app.command("use")
def use(
    office_nip: Annotated[str, typer.Argument(help="NIP biura rachunkowego (firma w Fakturniku).")],
    client: Annotated[str, typer.Option("--client", help="NIP klienta.")],
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Klient loguje się do KSeF certyfikatem biura (w kontekście klienta; nic nie jest kopiowane)."""
    try:
        with _front_door(data_dir, database_url) as fk:
            fk.offices.use_office(fk.companies.by_nip(client).id, fk.companies.by_nip(office_nip).id)
    except FakturnikError as exc:
        _fail(exc)
    typer.echo(f"Klient {client} loguje się certyfikatem biura {office_nip}.")


@office_app.command("clients")
def clients(
    company: Annotated[str, typer.Option("--company", help="NIP biura.")],
    q: Annotated[str | None, typer.Option("--q", help="NIP albo fragment nazwy.")] = None,
    attention: Annotated[bool, typer.Option("--attention", help="Tylko wymagający uwagi.")] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Konsola biura: wszyscy klienci w jednej tabeli."""
    from rich.table import Table

    from fakturnik.app.offices import ConsoleFilter
    from fakturnik.cli.views import console

    try:
        with _front_door(data_dir, database_url) as fk:
            view = fk.offices.console(
                fk.companies.by_nip(company).id, ConsoleFilter(q=q, attention=True if attention else None)
            )
    except FakturnikError as exc:
        _fail(exc)
    table = Table(
        "NIP", "Nazwa", "Logowanie", "Ważne do", "Uprawnienia", "Synchr.", "Kolejka", "Odrzucone", "Offline",
        "Otrzymane", title=f"Klienci biura {view.office_nip}",
    )  # fmt: skip
    for r in view.clients:
        table.add_row(
            r.nip,
            r.name,
            r.credential_label,
            f"{r.credential_expires:%d.%m.%Y}" if r.credential_expires else "",
            ", ".join(r.rights) if view.rights_known else "?",
            f"{r.last_sync:%d.%m.%Y %H:%M}" if r.last_sync else "nigdy",
            str(r.queued),
            str(r.rejected),
            f"{r.offline}" + (f" (do {r.next_deadline:%d.%m.%Y})" if r.next_deadline else ""),
            str(r.received_new),
        )
    out = console()
    out.print(table)
    for r in view.clients:
        if r.waiting_reason:
            out.print(f"[yellow]{r.nip}[/yellow]: {r.waiting_reason}")
    if view.rights_error:
        out.print(f"[red]Uprawnienia nieznane:[/red] {view.rights_error}")


@office_app.command("sync")
def sync(
    company: Annotated[str, typer.Option("--company", help="NIP biura.")],
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Pobierz faktury otrzymane wszystkich klientów biura."""
    try:
        with _front_door(data_dir, database_url) as fk:
            office = fk.companies.by_nip(company).id
            result = fk.offices.sync_all(office)
            nips = {c.id: c.nip for c in fk.companies.list()}
    except FakturnikError as exc:
        _fail(exc)
    for cid, new in result.synced:
        typer.echo(f"✓ {nips.get(cid, cid)}: nowych faktur {new}")
    for cid, reason in result.failed:
        typer.secho(f"✗ {nips.get(cid, cid)}: {reason}", fg=typer.colors.RED, err=True)
    if result.failed:
        raise typer.Exit(1)
