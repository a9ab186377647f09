"""The one ``fakturnik`` command (``fakturnik.cli.main``). Typer and Rich live only in this package."""
