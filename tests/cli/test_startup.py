"""What starting Fakturnik imports (the times are in bench/bench_startup.py, never in a test)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from fakturnik.cli.main import COMMANDS, app, load

HEAVY = ("fakturnik.ksef.client", "fakturnik.fa3.model", "lxml", "pydantic", "httpx", "sqlalchemy", "fastapi")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.split())


def test_help_imports_no_command_module() -> None:
    loaded = _loaded_after(
        "from fakturnik.cli.main import main\nsys.argv = ['fakturnik', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert not [name for name in HEAVY if name in loaded]
    assert not [name for name in loaded if name.startswith("fakturnik.cli.") and name != "fakturnik.cli.main"]


def test_the_library_entry_points_import_neither_pydantic_nor_httpx() -> None:
    loaded = _loaded_after(
        "from fakturnik.ksef.client import KsefClient\nfrom fakturnik.fa3.validation import validate_xml"
    )
    assert "pydantic" not in loaded and "httpx" not in loaded and "sqlalchemy" not in loaded


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_help_listing_says_what_the_command_says(name: str) -> None:
    command = load(name)
    assert command.name == name
    assert (command.help or "").strip().splitlines()[0] == COMMANDS[name].help


def test_every_command_is_listed_and_runs_its_help() -> None:
    listing = CliRunner().invoke(app, ["--help"])
    assert listing.exit_code == 0
    for name in [*COMMANDS, "version"]:
        assert name in listing.output
        assert CliRunner().invoke(app, [name, "--help"]).exit_code == 0, name
