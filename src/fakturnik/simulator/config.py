"""Simulator settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Profile = Literal["test", "demo", "prod"]


@dataclass
class SimulatorConfig:
    """How a simulator instance behaves.

    ``profile`` mirrors the Ministry's environments: ``test`` accepts self-signed certificates for
    XAdES and FA (2); ``demo``/``prod`` accept only certificates issued by the simulator's own CA
    (KSeF certificates) and check NIP checksums (``prod``).
    """

    profile: Profile = "test"
    public_url: str | None = None  # base for URLs the simulator hands out (upload, download)
    data_dir: Path | None = None  # None: in-memory state
    processing_delay: float = 0.0  # seconds an invoice stays at 150 before it is decided
    rate_limits_enabled: bool = True  # False: no 429 at all (handy for functional tests)
    # the /admin API (stats, faults, minting sessions): on for in-process test servers; the CLI's
    # ``simulator serve`` turns it on only with --admin
    admin_api: bool = True
    # PEM CA certificates standing in for the national trust list of qualified signatures and seals:
    # a certificate issued directly by one of them authenticates on every profile (demo/prod too)
    trusted_signers: tuple[bytes, ...] = ()
