"""The one ``fakturnik`` command. Each layer contributes its own Typer sub-app."""

from __future__ import annotations

import typer

from fakturnik import __version__
from fakturnik.engine.cli import register as register_engine
from fakturnik.fa3.cli import app as fa3_app
from fakturnik.fa3.validate_cli import schemas_app
from fakturnik.ksef.cli import app as ksef_app
from fakturnik.simulator.cli import register as register_simulator
from fakturnik.visual_cli import register as register_visual

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
register_visual(app, fa3_app, ksef_app)


@app.command(help="Wersja programu Fakturnik.")
def version() -> None:
    """Print the Fakturnik version."""
    typer.echo(__version__)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
