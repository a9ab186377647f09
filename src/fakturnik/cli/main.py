"""The one ``fakturnik`` command. Each layer contributes its own Typer sub-app."""

from __future__ import annotations

import typer

from fakturnik import __version__
from fakturnik.cli.accounts import register as register_accounts
from fakturnik.cli.engine import register as register_engine
from fakturnik.cli.fa3 import app as fa3_app
from fakturnik.cli.ksef import app as ksef_app
from fakturnik.cli.schemas import schemas_app
from fakturnik.cli.serve import register as register_serve
from fakturnik.cli.simulator import register as register_simulator

app = typer.Typer(
    name="fakturnik",
    help="Fakturnik: faktury w KSeF 2.0 bez logowania do portalu.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)
app.add_typer(fa3_app, name="fa3", help="Faktury FA(3): budowa z JSON, walidacja, podgląd.")
app.add_typer(
    ksef_app, name="ksef", help="KSeF: uwierzytelnienie, wysyłka, statusy, UPO, pobieranie, synchronizacja."
)
app.add_typer(
    schemas_app, name="schemas", help="Oficjalne schematy XSD: instalacja do lokalnej pamięci podręcznej."
)
register_simulator(app)
register_engine(app)
register_accounts(app)
register_serve(app)


@app.command(help="Wersja programu Fakturnik.")
def version() -> None:
    """Print the Fakturnik version."""
    typer.echo(__version__)


def main() -> None:
    from fakturnik.fa3.schemas import use_fetcher
    from fakturnik.schema_download import http_fetch

    use_fetcher(http_fetch)  # a missing XSD is downloaded once into the cache (fa3 itself does no HTTP)
    app()


if __name__ == "__main__":
    main()
