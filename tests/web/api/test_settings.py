"""Settings of `fakturnik serve`: file < environment < flags; unknown keys refused; --help documents them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.web.settings import SettingsError, load_settings


def test_precedence(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('[serve]\nport = 8100\nhost = "0.0.0.0"\nworker = false\n', encoding="utf-8")
    env = {"FAKTURNIK_SERVE_PORT": "8200", "FAKTURNIK_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1/db"}
    s = load_settings({"port": None}, config_file=f, environ=env)
    assert (s.port, s.host, s.worker, s.database_url) == (
        8200,
        "0.0.0.0",
        False,
        env["FAKTURNIK_DATABASE_URL"],
    )
    s = load_settings({"port": 8300, "worker": True}, config_file=f, environ=env)
    assert (s.port, s.worker) == (8300, True)
    s = load_settings(environ={"FAKTURNIK_SERVE_CONFIG": str(f)})
    assert s.port == 8100


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text("prot = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="prot"):
        load_settings(config_file=f, environ={})
    with pytest.raises(SettingsError, match="port"):
        load_settings(environ={"FAKTURNIK_SERVE_PORT": "osiem"})
    f.write_text("port = [", encoding="utf-8")
    with pytest.raises(SettingsError, match="TOML"):
        load_settings(config_file=f, environ={})


def test_help_documents_the_options() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in (
        "--database-url",
        "--env",
        "--no-worker",
        "--config",
        "--max-body-bytes",
        "FAKTURNIK_SERVE_",
    ):
        assert option in result.output
    bad = CliRunner().invoke(app, ["serve", "--port", "99999"])
    assert bad.exit_code == 2
