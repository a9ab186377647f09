"""`fakturnik permissions …` and `fakturnik office …` against the simulator on its prod profile."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fakturnik.app import Fakturnik
from fakturnik.cli.main import app
from fakturnik.simulator.server import SimulatorServer
from tests.delegation.kit import random_nip, random_pesel
from tests.delegation.world import CLIENT_NAME, OFFICE_NAME, installation, sealed_company


def test_grant_list_console_and_revoke_from_the_command_line(
    prod_sim: SimulatorServer, cli_home: Path
) -> None:
    data = cli_home
    client_nip, office_nip, pesel = random_nip(), random_nip(), random_pesel()
    with installation(data) as fk:
        sealed_company(fk, prod_sim, client_nip, CLIENT_NAME)
        sealed_company(fk, prod_sim, office_nip, OFFICE_NAME)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        out = runner.invoke(app, list(args))
        assert out.exit_code == code, out.output
        return out.output

    assert "✓" in run(
        "permissions", "grant-office", office_nip, "--company", client_nip, "--name", "Biuro Testowe"
    )
    assert "Biuro Testowe" in run("permissions", "list", "--company", client_nip)
    assert "InvoiceWrite" in run("permissions", "list", "--company", client_nip)
    assert f"Klient {client_nip}: InvoiceRead, InvoiceWrite" in run(
        "permissions", "received", "--company", office_nip
    )
    out = run(
        "permissions", "grant-indirect", pesel, "--company", office_nip, "--client", client_nip,
        "--first-name", "Anna", "--last-name", "Nowak",
    )  # fmt: skip
    assert "✓" in out

    # bad input: a precise Polish message and exit code 1 (wrong input), nothing sent
    out = run(
        "permissions", "grant-person", "44051401358", "--company", client_nip,
        "--first-name", "Jan", "--last-name", "Nowak", code=1,
    )  # fmt: skip
    assert "PESEL 44051401358 ma błędną sumę kontrolną" in out
    assert "samemu sobie" in run("permissions", "grant-office", client_nip, "--company", client_nip, code=1)

    assert "certyfikatem biura" in run("office", "use", office_nip, "--client", client_nip)
    console = run("office", "clients", "--company", office_nip)
    assert client_nip in console and "certyfikat biura" in console and "InvoiceRead, InvoiceWrite" in console

    with Fakturnik.open(data, use_keyring=False) as fk:
        own = fk.companies.by_nip(client_nip).id
        write = next(
            g for g in fk.permissions.granted(own) if g.kind == "entity" and g.permission == "InvoiceWrite"
        )
    assert "✓" in run("permissions", "revoke", write.id, "--company", client_nip)
    assert "InvoiceRead" in run("office", "clients", "--company", office_nip)
