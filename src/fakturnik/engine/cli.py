"""Top-level commands of the sending engine: companies, invoices, worker, sync, demo."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the engine's commands to the main ``fakturnik`` app."""
