"""``fakturnik doctor``: the health check of every company's way in to KSeF (through ``fakturnik.app``).

Exit code 0 when nothing is wrong (warnings are printed, they are things to do soon), 1 when a line
is an error (with ``--strict`` also on a warning); 2 when the command itself cannot run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from fakturnik.cli.engine import door
from fakturnik.cli.options import DataDir, DbUrl

if TYPE_CHECKING:
    from fakturnik.app.doctor import CompanyHealth

MARKS = {
    "ok": "[green]✓[/green]",
    "warn": "[yellow]![/yellow]",
    "error": "[red]✗[/red]",
    "skip": "[dim]–[/dim]",
}


def _print(health: CompanyHealth) -> None:
    from rich.markup import escape

    from fakturnik.cli.views import console

    out = console()
    title = f"{health.nip} {health.name}".strip()
    out.print(f"[bold]{escape(title)}[/bold] (środowisko: {escape(health.environment)})")
    for line in health.lines:
        out.print(f"  {MARKS[line.status]} {escape(line.title)}: {escape(line.message)}")


def doctor(
    company: Annotated[
        str | None, typer.Option("--company", help="NIP firmy (domyślnie: wszystkie).")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Ostrzeżenie też kończy kodem 1.")] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Sprawdź każdą firmę: KSeF odpowiada, logowanie, ważność, uprawnienia, zegar, schematy."""
    from fakturnik.cli.views import console

    with door(data_dir, database_url) as fk:
        if company is not None:
            results = [fk.doctor.check(fk.companies.by_nip(company).id)]
        else:
            results = fk.doctor.check_all()
    if not results:
        console().print("Brak firm: dodaj firmę (fakturnik companies add NIP).")
        raise typer.Exit(1)
    for health in results:
        _print(health)
    errors = sum(not h.ok for h in results)
    warnings = sum(h.warnings for h in results)
    if errors:
        console().print(f"[red]Do naprawy: {errors} firm(y).[/red]")
    elif warnings:
        console().print(f"[yellow]Wszystko działa; ostrzeżenia: {warnings}.[/yellow]")
    else:
        console().print("[green]Wszystko w porządku.[/green]")
    if errors or (strict and warnings):
        raise typer.Exit(1)
