"""The CLI on the front door: companies, invoices issue (many files, folders, JSON lines), users, keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakturnik.app import Fakturnik
from fakturnik.cli.main import app
from tests.app.kit import NIP_A, draft


@pytest.fixture
def runner(cli_home: Path) -> CliRunner:
    r = CliRunner()
    added = r.invoke(
        app, ["companies", "add", NIP_A, "--name", "Firma A", "--address", "ul. Prosta 1, Warszawa"]
    )
    assert added.exit_code == 0, added.output
    return r


def test_invoices_issue_takes_many_files_folders_and_json_lines(runner: CliRunner, tmp_path: Path) -> None:
    """The companies the app added are the engine's: `invoices issue` (cli/issue_many.py) issues into them."""
    folder = tmp_path / "faktury"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.json").write_text(json.dumps(draft(number="AUTO")), encoding="utf-8")
    single = tmp_path / "jedna.json"
    single.write_text(json.dumps(draft(number="AUTO")), encoding="utf-8")
    out = runner.invoke(app, ["invoices", "issue", str(folder), str(single), "--company", NIP_A])
    assert out.exit_code == 0, out.output
    assert out.output.count("w kolejce do KSeF") == 4
    bad = draft(number="AUTO")
    bad["Fa"]["FaWiersz"][0]["P_12"] = "24"
    lines = "\n".join(json.dumps(d) for d in (draft(number="AUTO"), bad, draft(number="AUTO"))) + "\n"
    out = runner.invoke(app, ["invoices", "issue", "-", "--company", NIP_A], input=lines)
    assert out.exit_code == 1
    assert out.output.count("w kolejce do KSeF") == 2
    listed = runner.invoke(app, ["invoices", "list"])
    assert listed.output.count("FV/20") == 6


def test_users_members_and_api_keys(runner: CliRunner, tmp_path: Path) -> None:
    env = {"NOWE_HASLO": "bardzo-tajne-hasło"}
    out = runner.invoke(app, ["users", "add", "ala@firma.pl", "--password-env", "NOWE_HASLO"], env=env)
    assert out.exit_code == 0 and "Założono konto ala@firma.pl" in out.output
    assert (
        runner.invoke(
            app, ["users", "add", "ala@firma.pl", "--password-env", "NOWE_HASLO"], env=env
        ).exit_code
        == 1
    )
    out = runner.invoke(app, ["members", "add", "ala@firma.pl", "--company", NIP_A, "--role", "accountant"])
    assert out.exit_code == 0, out.output
    assert "ala@firma.pl\taccountant" in runner.invoke(app, ["members", "list", "--company", NIP_A]).output
    key_file = tmp_path / "klucz.txt"
    out = runner.invoke(
        app,
        [
            "keys",
            "create",
            "--company",
            NIP_A,
            "--name",
            "ERP",
            "--scope",
            "invoices:read",
            "--out",
            str(key_file),
        ],
    )
    assert out.exit_code == 0, out.output
    token = key_file.read_text().strip()
    assert token.startswith("fk_") and token not in out.output and (key_file.stat().st_mode & 0o777) == 0o600
    listed = runner.invoke(app, ["keys", "list", "--company", NIP_A]).output
    assert "ERP" in listed and "invoices:read" in listed and token not in listed
    assert runner.invoke(app, ["keys", "revoke", "1", "--company", NIP_A]).exit_code == 0
    assert "odwołany" in runner.invoke(app, ["keys", "list", "--company", NIP_A]).output
    with Fakturnik.open(tmp_path / "data", use_keyring=False) as fk:
        assert fk.accounts.authenticate("ala@firma.pl", "bardzo-tajne-hasło").kind == "user"
    out = runner.invoke(app, ["keys", "create", "--company", NIP_A, "--scope", "everything"])
    assert out.exit_code == 1 and "nieznany zakres" in out.output
