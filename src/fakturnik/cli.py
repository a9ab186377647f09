"""The one ``fakturnik`` command. Each layer contributes its own Typer sub-app."""

from __future__ import annotations

import typer

from fakturnik import __version__
from fakturnik.engine.cli import register as register_engine
from fakturnik.fa3.cli import app as fa3_app
from fakturnik.fa3.validate_cli import schemas_app
from fakturnik.ksef.cli import app as ksef_app
from fakturnik.simulator.cli import register as register_simulator

app = typer.Typer(
    name="fakturnik",
    help="Fakturnik: KSeF 2.0 e-invoicing without logging in to a portal.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)
app.add_typer(fa3_app, name="fa3", help="FA(3) invoices: build, validate, show.")
app.add_typer(ksef_app, name="ksef", help="Talk to KSeF: auth, send, status, UPO, download, sync.")
app.add_typer(schemas_app, name="schemas", help="Official XSDs: install them into the local cache.")
register_simulator(app)
register_engine(app)


@app.command()
def version() -> None:
    """Print the Fakturnik version."""
    typer.echo(__version__)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
