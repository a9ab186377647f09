"""``fakturnik simulator``: a local KSeF 2.0 for any integrator, in any language."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakturnik.simulator.config import SimulatorConfig


def parse_outage(text: str) -> tuple[float, float]:
    """``START:SECONDS`` (seconds after launch, length) or ``SECONDS`` (from launch)."""
    start, sep, length = text.partition(":")
    try:
        return (float(start), float(length)) if sep else (0.0, float(start))
    except ValueError as exc:
        raise typer.BadParameter("use SECONDS or START:SECONDS", param_hint="--outage") from exc


def simulator(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8765,
    data_dir: Annotated[
        Path | None, typer.Option(help="Keep state in SQLite here (default: memory).")
    ] = None,
    profile: Annotated[str, typer.Option(help="test | demo | prod")] = "test",
    public_url: Annotated[str | None, typer.Option(help="Base URL used in links handed out.")] = None,
    processing_delay: Annotated[float, typer.Option(help="Seconds an invoice stays at 150.")] = 0.0,
    no_rate_limits: Annotated[bool, typer.Option(help="Never answer 429.")] = False,
    admin: Annotated[
        bool,
        typer.Option(help="Serve the /admin API (stats, faults, sessions without auth); off by default."),
    ] = False,
    outage: Annotated[
        str | None, typer.Option(help="Outage window: SECONDS from launch, or START:SECONDS after launch.")
    ] = None,
    refuse_connections: Annotated[
        bool, typer.Option(help="During outages close the TCP listener instead of answering 503.")
    ] = False,
    error_rate: Annotated[
        float, typer.Option(help="Share of /v2 calls answered with a random 5xx (0-1).")
    ] = 0.0,
    latency: Annotated[float, typer.Option(help="Seconds added to every /v2 call.")] = 0.0,
    stuck_processing: Annotated[bool, typer.Option(help="Keep invoices at status 150.")] = False,
    auth_delay: Annotated[float, typer.Option(help="Seconds new auth operations stay at status 100.")] = 0.0,
) -> None:
    """Run the KSeF 2.0 simulator (API under /v2, admin and faults under /admin)."""
    from fakturnik.simulator.core import Simulator
    from fakturnik.simulator.routes_admin import apply_faults
    from fakturnik.simulator.server import serve_forever

    if profile not in ("test", "demo", "prod"):
        raise typer.BadParameter("profile must be test, demo or prod", param_hint="--profile")
    if not 0.0 <= error_rate <= 1.0:
        raise typer.BadParameter("error rate must be between 0 and 1", param_hint="--error-rate")
    window = parse_outage(outage) if outage else None
    config = SimulatorConfig(
        profile=profile,  # type: ignore[arg-type]
        public_url=public_url,
        data_dir=data_dir,
        processing_delay=processing_delay,
        rate_limits_enabled=not no_rate_limits,
        admin_api=admin,
    )

    def setup(sim: Simulator) -> None:
        apply_faults(
            sim,
            refuse_connections=refuse_connections,
            error_rate=error_rate,
            latency=latency,
            stuck_processing=stuck_processing,
            auth_delay=auth_delay,
            outage_seconds=window[1] if window else None,
            outage_starts_in=window[0] if window else 0.0,
        )

    serve_forever(config, host, port, setup=setup)
