"""The one ``fakturnik`` command. Each area contributes its own Typer sub-app.

Every command runs inside :class:`FakturnikGroup`: whatever error ends it becomes a short Polish
message and a documented exit code (:mod:`fakturnik.cli.failures`, docs/cli.md), never a traceback.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from fakturnik import __version__
from fakturnik.cli.engine import register as register_engine
from fakturnik.cli.fa3 import app as fa3_app
from fakturnik.cli.ksef import app as ksef_app
from fakturnik.cli.schemas import schemas_app
from fakturnik.cli.simulator import register as register_simulator

# The parser's own errors (usage, missing option …) and a command's chosen exit code pass through.
_PASS_THROUGH: tuple[type[BaseException], ...] = (
    typer.Exit,
    typer.Abort,
    SystemExit,
    *(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"),
)


class FakturnikGroup(TyperGroup):
    """The root command: turns any error a command ends with into a message and an exit code."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except BaseException as exc:  # every other error ends as a message, never a traceback
            from fakturnik.cli.failures import report

            raise typer.Exit(report(exc)) from None


app = typer.Typer(
    name="fakturnik",
    cls=FakturnikGroup,
    help="Fakturnik: faktury w KSeF 2.0 bez logowania do portalu.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # errors never end in a traceback (see FakturnikGroup)
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
