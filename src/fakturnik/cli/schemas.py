"""``fakturnik schemas install``: fill the local cache of the official XSDs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakturnik.errors import SchemaStoreError

schemas_app = typer.Typer(
    no_args_is_help=True, help="Oficjalne schematy XSD: instalacja do lokalnej pamięci podręcznej."
)


@schemas_app.command(
    "install", help="Wypełnij pamięć podręczną schematów; każdy plik sprawdzany z przypiętym SHA-256."
)
def install(
    source: Annotated[
        Path | None,
        typer.Option("--from", help="Copy from this directory (offline) instead of downloading."),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="Cache directory (default: per-user cache).")
    ] = None,
    mirror: Annotated[
        str | None, typer.Option("--mirror", help="Download from this base URL instead of crd.gov.pl.")
    ] = None,
) -> None:
    """Fill the schema cache; every file is checked against its pinned SHA-256."""
    from fakturnik.schema_download import install as install_schemas

    try:
        cache_dir, written = install_schemas(source, cache_dir=cache, mirror=mirror)
    except SchemaStoreError as exc:
        typer.echo(f"Błąd: {exc}", err=True)
        raise typer.Exit(1) from exc
    for path in written:
        typer.echo(f"OK {path}")
    typer.echo(f"Zainstalowano {len(written)} schematów w {cache_dir}.")
