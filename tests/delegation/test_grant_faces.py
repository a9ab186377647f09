"""The grant kinds the table added to REST and the CLI: an EU entity's administrator by REST and by
``permissions grant-eu-admin`` (followed in KSeF to 200, the entity then logs in to its EU VAT context),
``permissions grant-subunit``; bad input gives the app's Polish error, nothing is sent."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import hashes
from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.ksef.credentials import CertificateCredential
from fakturnik.simulator.server import SimulatorServer
from tests.delegation.kit import ksef_certificate, random_nip, random_pesel
from tests.delegation.test_eu_entity import EU_NAME, VAT_UE, _eu_login, eu_sim  # noqa: F401 - the fixture
from tests.delegation.test_rest import _company
from tests.delegation.world import installation, sealed_company
from tests.web.api.harness import api_server
from tests.web.api.helpers import PASSWORD, sign_in


def _eu_admins(server: SimulatorServer) -> list[dict[str, object]]:
    return [d for d in server.sim.state.all("permission") if d["kind"] == "euAdmin"]


def test_eu_entity_administration_by_rest(
    eu_sim: tuple[SimulatorServer, CertificateCredential],  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    server, seal = eu_sim
    nip = random_nip()
    own = ksef_certificate(server, "Nip", nip, "Polska Spółka Matka S.A.")
    fingerprint = seal.certificate.fingerprint(hashes.SHA256()).hex().upper()
    path = "/companies/{}/permissions/eu-entities/administration"
    with api_server(tmp_path, worker=False, webhooks=False) as api:
        api.runtime.fk.accounts.register_user("wlasciciel@spolka.pl", PASSWORD, name="Właściciel")
        http, _csrf, _user = sign_in(api, "wlasciciel@spolka.pl")
        cid = _company(http, nip, "Polska Spółka Matka S.A.", server.base_url, own)
        body = {"fingerprint": fingerprint, "vat_ue": "PL5265877635", "name": EU_NAME}
        refused = http.post(path.format(cid), json=body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["path"] == "vat_ue"
        assert not _eu_admins(server)
        done = http.post(
            path.format(cid), json={**body, "vat_ue": VAT_UE, "address": "Hauptstraße 1, Berlin"}
        )
        assert done.status_code == 200, done.text
        assert done.json()["ok"] is True and done.json()["code"] == 200
    assert "VatUeManage" in _eu_login(server, seal, f"{nip}-{VAT_UE}")


def test_eu_entity_administration_and_subunits_from_the_command_line(
    eu_sim: tuple[SimulatorServer, CertificateCredential],  # noqa: F811 - the imported fixture
    cli_home: Path,
) -> None:
    server, seal = eu_sim
    data = cli_home
    nip = random_nip()
    with installation(data) as fk:
        sealed_company(fk, server, nip, "Polska Spółka Matka S.A.")
    fingerprint = seal.certificate.fingerprint(hashes.SHA256()).hex()
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        out = runner.invoke(app, ["permissions", *args, "--company", nip])
        assert out.exit_code == code, out.output
        return out.output

    assert "innego państwa niż Polska" in run(
        "grant-eu-admin", fingerprint, "--vat-ue", "PL5265877635", "--name", EU_NAME, code=1
    )
    assert "NIP musi mieć 10 cyfr (podano „123”)" in run(
        "grant-subunit", random_pesel(), "--subunit", "123", "--first-name", "Anna", "--last-name", "Nowak",
        code=1,
    )  # fmt: skip
    assert not _eu_admins(server)
    assert "✓" in run(
        "grant-eu-admin", fingerprint, "--vat-ue", VAT_UE, "--name", EU_NAME, "--address", "Berlin"
    )
    assert "VatUeManage" in _eu_login(server, seal, f"{nip}-{VAT_UE}")
