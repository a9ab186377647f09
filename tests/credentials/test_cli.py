"""`fakturnik credentials enroll|list|policy|renew|revoke` on the production profile."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from fakturnik.app import Fakturnik
from fakturnik.cli.main import app
from tests.credentials.kit import NIP_A, portal_certificate


def test_certificate_commands(cli_home: Path) -> None:
    data = cli_home
    runner = CliRunner()
    with Fakturnik.open(data, simulator=True, simulator_profile="prod") as fk:
        cid = fk.companies.add(NIP_A, "Firma A", environment="local").id
        refused = runner.invoke(app, ["credentials", "enroll", "--company", NIP_A])
        assert refused.exit_code == 1 and "token KSeF" in refused.output

        first = portal_certificate(fk, cid)
        out = runner.invoke(app, ["credentials", "enroll", "--company", NIP_A, "--type", "offline"])
        assert out.exit_code == 0, out.output
        assert "✓" in out.output and "Offline" in out.output
        bad = runner.invoke(app, ["credentials", "enroll", "--company", NIP_A, "--type", "kwalifikowany"])
        assert bad.exit_code != 0 and "rodzaj" in bad.output

        out = runner.invoke(app, ["credentials", "policy", "--company", NIP_A, "--margin", "60", "--manual"])
        assert out.exit_code == 0 and "60 dni" in out.output and "ręcznie" in out.output
        assert (
            runner.invoke(app, ["credentials", "policy", "--company", NIP_A, "--margin", "0"]).exit_code != 0
        )

        listed = runner.invoke(app, ["credentials", "list", "--company", NIP_A, "--refresh"])
        assert listed.exit_code == 0, listed.output
        assert first in listed.output and "aktywny" in listed.output and "60 dni" in listed.output

        out = runner.invoke(app, ["credentials", "renew", "--company", NIP_A])
        assert out.exit_code == 0 and "nic do odnowienia" in out.output
        out = runner.invoke(app, ["credentials", "renew", "--due"])
        assert out.exit_code == 0 and "automatycznym" in out.output  # manual policy: the job leaves it
        out = runner.invoke(app, ["credentials", "renew", "--company", NIP_A, "--force"])
        assert out.exit_code == 0 and "Odnowiono" in out.output, out.output
        assert runner.invoke(app, ["credentials", "renew"]).exit_code != 0

        out = runner.invoke(app, ["credentials", "revoke", "--company", NIP_A, first])
        assert out.exit_code == 0 and "unieważniony" in out.output, out.output
        again = runner.invoke(app, ["credentials", "revoke", "--company", NIP_A, first])
        assert again.exit_code != 0 and "już unieważniony" in again.output
        listed = runner.invoke(app, ["credentials", "list", "--company", NIP_A]).output
        assert "unieważniony" in listed and len(re.findall(r"[0-9A-F]{16}", listed)) == 4
        assert "PRIVATE" not in listed
        doctor = runner.invoke(app, ["doctor", "--company", NIP_A])
        assert doctor.exit_code == 0 and "Logowanie certyfikatem KSeF udane" in doctor.output
