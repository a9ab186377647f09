"""Settings of ``fakturnik serve``: one typed model, three sources (settings file < environment < flags).

The settings file is TOML: top-level keys (or a ``[serve]`` table) named like the fields below. Every
field can also be given as ``FAKTURNIK_SERVE_<NAME>`` in the environment; ``data_dir`` and
``database_url`` use the engine's own ``FAKTURNIK_DATA_DIR`` / ``FAKTURNIK_DATABASE_URL``. Unknown
keys are refused, so a typo never silently falls back to a default. No secret lives here: KSeF
credentials are in the vault, the master key in ``FAKTURNIK_MASTER_KEY`` or its file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fakturnik.errors import FakturnikError

ENV_PREFIX = "FAKTURNIK_SERVE_"
ENGINE_ENV = {"data_dir": "FAKTURNIK_DATA_DIR", "database_url": "FAKTURNIK_DATABASE_URL"}
CONFIG_ENV = "FAKTURNIK_SERVE_CONFIG"


class SettingsError(FakturnikError):
    """The serve settings (file, environment or flags) are not valid."""


class ServeSettings(BaseModel):
    """Everything ``fakturnik serve`` can be told. Defaults suit one machine (embedded mode)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0: any free port).")
    data_dir: Path | None = Field(None, description="Data directory (SQLite database, master key).")
    database_url: str | None = Field(None, description="Database URL, e.g. postgresql+psycopg://…")
    env: str | None = Field(
        None, description="'local' starts the embedded KSeF simulator and points new companies at it."
    )
    worker: bool = Field(True, description="Run the sending engine in this process.")
    webhooks: bool = Field(True, description="Deliver webhooks from this process.")
    recurring_interval_s: float = Field(
        900.0, gt=0, description="How often the worker issues due recurring invoices (seconds)."
    )
    fast: bool = Field(False, description="Short engine timings (tests, demos).")
    demo: bool = Field(False, description="Seed a demo company and user at start (with env='local').")
    webhooks_allow_private_targets: bool = Field(
        False,
        description="Allow webhook URLs in loopback/private networks and plain http (on-premises, tests).",
    )
    max_body_bytes: int = Field(2 * 1024 * 1024, gt=0, description="Largest request body in bytes.")
    max_bulk_body_bytes: int = Field(
        48 * 1024 * 1024, gt=0, description="Largest body of a bulk request (up to 1,000 invoices)."
    )
    secure_cookies: bool = Field(False, description="Mark cookies Secure (set when served over HTTPS).")
    session_hours: float = Field(12.0, gt=0, description="How long a web session (cookie) lasts.")
    login_max_failures_account: int = Field(5, gt=0, description="Failed logins per account per window.")
    login_max_failures_ip: int = Field(30, gt=0, description="Failed logins per client address per window.")
    login_window_s: float = Field(900.0, gt=0, description="Login throttling window in seconds.")
    forwarded_allow_ips: str = Field(
        "127.0.0.1", description="Proxies trusted for X-Forwarded-For/-Proto (comma list or '*')."
    )
    whitelist_url: str = Field(
        "https://wl-api.mf.gov.pl", description="VAT white list API (a local fake in tests)."
    )
    log_level: str = Field("info", description="uvicorn log level.")
    access_log: bool = Field(True, description="Log every request (method, path, status; never bodies).")


def _from_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"nie można odczytać pliku ustawień {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"plik ustawień {path} nie jest poprawnym TOML: {exc}") from None
    section = data.get("serve", data)
    if not isinstance(section, dict):
        raise SettingsError(f"plik ustawień {path}: [serve] musi być tabelą")
    return dict(section)


def env_var(name: str) -> str:
    """The environment variable of the setting ``name``: ``FAKTURNIK_SERVE_<NAME>`` (the data directory
    and database are the engine's own variables)."""
    return ENGINE_ENV.get(name, ENV_PREFIX + name.upper())


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ServeSettings.model_fields:
        var = env_var(name)
        if environ.get(var):
            values[name] = environ[var]
    return values


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServeSettings:
    """Merge the settings file, the environment and the flags given (``None`` flags are not given)."""
    env = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    path = config_file or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    if path is not None:
        merged.update(_from_file(path))
    merged.update(_from_env(env))
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    try:
        return ServeSettings.model_validate(merged)
    except ValidationError as exc:
        lines = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"niepoprawne ustawienia: {lines}") from None
