"""``fakturnik simulator``: a local KSeF 2.0 for any integrator, in any language."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakturnik.simulator.config import SimulatorConfig


def simulator(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8765,
    data_dir: Annotated[Path | None, typer.Option(help="Keep state in SQLite here (default: memory).")] = None,
    profile: Annotated[str, typer.Option(help="test | demo | prod")] = "test",
    public_url: Annotated[str | None, typer.Option(help="Base URL used in links handed out.")] = None,
    processing_delay: Annotated[float, typer.Option(help="Seconds an invoice stays at 150.")] = 0.0,
    no_rate_limits: Annotated[bool, typer.Option(help="Never answer 429.")] = False,
) -> None:
    """Run the KSeF 2.0 simulator (API under /v2, admin under /admin)."""
    from fakturnik.simulator.server import serve_forever

    if profile not in ("test", "demo", "prod"):
        raise typer.BadParameter("profile must be test, demo or prod", param_hint="--profile")
    config = SimulatorConfig(
        profile=profile,  # type: ignore[arg-type]
        public_url=public_url,
        data_dir=data_dir,
        processing_delay=processing_delay,
        rate_limits_enabled=not no_rate_limits,
    )
    serve_forever(config, host, port)


def register(app: typer.Typer) -> None:
    app.command(name="simulator")(simulator)
