"""``fakturnik fa3 validate`` and ``fakturnik schemas install``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakturnik.errors import SchemaStoreError
from fakturnik.fa3.schemas import SchemaStore, default_cache_dir

schemas_app = typer.Typer(no_args_is_help=True, help="Official XSDs: install them into the local cache.")


@schemas_app.command("install")
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
    store = SchemaStore(cache_dir=cache or default_cache_dir(), mirror=mirror)
    try:
        written = store.install(source)
    except SchemaStoreError as exc:
        typer.echo(f"Błąd: {exc}", err=True)
        raise typer.Exit(1) from exc
    for path in written:
        typer.echo(f"OK {path}")
    typer.echo(f"Zainstalowano {len(written)} schematów w {store.cache_dir}.")
