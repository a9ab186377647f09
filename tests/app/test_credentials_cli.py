"""`fakturnik credentials …` against a simulator: the token refused, the signed file migrates."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fakturnik.app import Fakturnik
from fakturnik.cli.main import app
from fakturnik.ksef.xades import sign_auth_request
from tests.app.kit import NIP_A
from tests.ksef.identities import seal_credential


def test_migrate_from_the_command_line(tmp_path: Path, cli_home: Path) -> None:
    data = cli_home
    runner = CliRunner()
    with Fakturnik.open(data, simulator=True) as fk:
        fk.companies.add(NIP_A, "Firma A", environment="local")  # on a KSeF token from the simulator

        out = runner.invoke(app, ["credentials", "migrate", "--all"])
        assert out.exit_code == 1, out.output
        assert NIP_A in out.output and "podpisem" in out.output and "zostało" in out.output

        unsigned = tmp_path / "do-podpisu.xml"
        out = runner.invoke(app, ["credentials", "request", "--company", NIP_A, "--out", str(unsigned)])
        assert out.exit_code == 0, out.output
        signed = tmp_path / "podpisany.xml"
        signed.write_bytes(sign_auth_request(unsigned.read_bytes(), seal_credential(NIP_A)))

        out = runner.invoke(app, ["credentials", "migrate", "--company", NIP_A, "--signed", str(signed)])
        assert out.exit_code == 0, out.output
        assert "✓" in out.output and "certyfikatem" in out.output

        listed = runner.invoke(app, ["credentials", "list", "--company", NIP_A])
        assert listed.exit_code == 0 and "Offline" in listed.output and "PRIVATE" not in listed.output
        assert "Żadna firma" in runner.invoke(app, ["credentials", "migrate", "--all"]).output
        assert runner.invoke(app, ["credentials", "migrate"]).exit_code != 0
