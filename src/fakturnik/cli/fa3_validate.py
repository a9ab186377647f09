"""``fakturnik fa3 validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakturnik.base.files import read_bounded
from fakturnik.errors import InvoiceError, Problem, SchemaStoreError
from fakturnik.fa3.authority import authority_of
from fakturnik.fa3.rules.base import ENVIRONMENTS
from fakturnik.fa3.validation import validate_xml

_TAGS = {"ksef": "KSeF odrzuci", "vat_act": "ustawa o VAT", "amounts": "kwoty"}


def _line(source: str, problem: Problem, *, warning: bool = False) -> str:
    mark = "OSTRZEŻENIE: " if warning or problem.severity == "warning" else ""
    who = _TAGS[authority_of(problem)]
    return f"{source}: {problem.path or '/'}: {mark}[{who}] {problem.message} [{problem.code}]"


def validate(
    files: Annotated[list[Path], typer.Argument(help="FA(3) XML files.", exists=False)],
    env: Annotated[
        str, typer.Option("--env", help="KSeF environment whose rules apply: test, demo or prod.")
    ] = "prod",
    ksef_only: Annotated[
        bool,
        typer.Option(
            "--tylko-ksef",
            "--ksef-only",
            help="Only what KSeF itself checks is an error; VAT-act content and amounts become warnings.",
        ),
    ] = False,
) -> None:
    """Validate FA(3) files (XSD + business rules). Exit 0 when every file is valid, 1 otherwise."""
    if env not in ENVIRONMENTS:
        typer.echo(f"Nieznane środowisko {env!r}; dozwolone: {', '.join(ENVIRONMENTS)}.", err=True)
        raise typer.Exit(2)
    failed = 0
    for path in files:
        source = str(path)
        try:
            data = read_bounded(path)
        except InvoiceError as exc:
            typer.echo(f"{source}: /: {exc}")
            failed += 1
            continue
        try:
            report = validate_xml(data, env)  # type: ignore[arg-type]
        except SchemaStoreError as exc:
            typer.echo(f"{source}: /: {exc}", err=True)
            raise typer.Exit(1) from exc
        if ksef_only:
            report = report.ksef_only()
        for group in report.by_authority().values():  # KSeF first, then the VAT act, then the amounts
            for problem in group:
                typer.echo(_line(source, problem))
        for problem in report.warnings:
            typer.echo(_line(source, problem, warning=True))
        if report.problems:
            failed += 1
        else:
            note = f" ({len(report.warnings)} ostrzeżeń)" if report.warnings else ""
            typer.echo(f"{source}: OK{note}")
    if failed:
        typer.echo(f"Niepoprawnych plików: {failed} z {len(files)}.", err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``validate`` to the ``fakturnik fa3`` group."""
    app.command("validate")(validate)
