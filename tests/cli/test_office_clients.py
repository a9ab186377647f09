"""`fakturnik office clients`: the office console's columns (as on /biuro), its filters, and `--json`
answering exactly what REST's GET /companies/{id}/office/clients answers.

On the simulator's prod profile: a client on the office's certificate (its rights asked from KSeF), one
on its own KSeF certificate, one on a KSeF token (days left until tokens end; needs attention).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakturnik.app.ksef_credentials import days_left
from fakturnik.cli.main import app
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from fakturnik.vault import ENV_MASTER_KEY
from tests.delegation.kit import ksef_certificate, random_nip
from tests.web.api.harness import ApiServer, api_server
from tests.web.api.helpers import PASSWORD, sign_in


@dataclass(frozen=True)
class Office:
    server: ApiServer
    data: Path
    office_id: int
    office_nip: str
    on_office: str
    own_cert: str
    on_token: str


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    data = tmp_path_factory.mktemp("office")
    mp = pytest.MonkeyPatch()
    mp.setenv(ENV_MASTER_KEY, secrets.token_hex(32))
    mp.delenv("FAKTURNIK_DATA_DIR", raising=False)
    mp.delenv("FAKTURNIK_DATABASE_URL", raising=False)
    sim = SimulatorServer(SimulatorConfig(profile="prod", rate_limits_enabled=False))
    with sim, api_server(data, worker=False, webhooks=False) as server:
        fk = server.runtime.fk
        url = sim.base_url
        office_nip, on_office, own_cert, on_token = (random_nip() for _ in range(4))
        office_id = fk.companies.add(office_nip, "Biuro Rachunkowe Sp. z o.o.", "local", url).id
        a = fk.companies.add(on_office, "Klient Na Biurze Sp. z o.o.", "local", url).id
        b = fk.companies.add(own_cert, "Klient Z Certyfikatem S.A.", "local", url).id
        c = fk.companies.add(on_token, "Klient Z Tokenem Sp. j.", "local", url).id
        for cid, nip in ((office_id, office_nip), (a, on_office), (b, own_cert)):
            cert = ksef_certificate(sim, "Nip", nip, f"Firma {nip}")
            fk.companies.set_certificate(cid, cert.cert_pem, cert.key_pem)
        fk.companies.set_ksef_token(c, "token-klienta-nigdy-nie-uzyty")
        accountant = fk.accounts.register_user("ksiegowa@biuro.pl", PASSWORD, name="Księgowa")
        for cid in (office_id, a, b, c):
            fk.accounts.add_member(cid, accountant.id, "accountant")
        fk.permissions.grant_office(a, office_nip)
        fk.offices.use_office(a, office_id)
        yield Office(server, data, office_id, office_nip, on_office, own_cert, on_token)
    mp.undo()


def _cli(office: Office, *args: str) -> str:
    out = CliRunner().invoke(
        app, ["office", "clients", "--company", office.office_nip, "--data-dir", str(office.data), *args]
    )
    assert out.exit_code == 0, out.output
    return out.output


def _rows(text: str) -> dict[str, str]:
    """The table's first line of each client, by NIP."""
    return {
        line.split("│")[2].strip(): line
        for line in text.splitlines()
        if line.count("│") > 5 and "│ NIP" not in line and line.split("│")[2].strip().isdigit()
    }


def test_the_table_shows_how_each_client_logs_in_its_rights_and_what_needs_attention(office: Office) -> None:
    before = _cli(office, "--no-rights")
    assert "Klienci biura Biuro Rachunkowe Sp. z o.o." in before
    assert (
        "1 na certyfikacie biura (ważnym do " in before and "2 na własnym certyfikacie albo tokenie" in before
    )
    rows = _rows(before)
    assert set(rows) == {office.on_office, office.own_cert, office.on_token}
    assert "certyfikat biura" in rows[office.on_office]
    assert "własny certyfikat KSeF" in rows[office.own_cert]
    assert "token KSeF" in rows[office.on_token]
    assert rows[office.on_token].split("│")[1].strip() == "!"  # a token must move before 31.12.2026
    assert rows[office.own_cert].split("│")[1].strip() == ""
    assert f"tokeny działają jeszcze {days_left()} dni" in before
    assert "jeszcze nie sprawdzono" in before and "nigdy" in before

    asked = _cli(office)  # KSeF asked what the clients granted the office; the answer kept with its time
    assert "InvoiceRead, InvoiceWrite (z prawem przekazania)" in asked
    assert "nadane biuru, sprawdzono " in asked


def test_the_filters_are_the_consoles(office: Office) -> None:
    assert set(_rows(_cli(office, "--no-rights", "--via-office"))) == {office.on_office}
    assert set(_rows(_cli(office, "--no-rights", "--own"))) == {office.own_cert, office.on_token}
    assert set(_rows(_cli(office, "--no-rights", "--kind", "ksef_token"))) == {office.on_token}
    assert set(_rows(_cli(office, "--no-rights", "--attention"))) == {office.on_token}
    assert set(_rows(_cli(office, "--no-rights", "--q", "z certyfikatem"))) == {office.own_cert}
    assert _rows(_cli(office, "--no-rights", "--rejected")) == {}


@pytest.mark.parametrize(
    ("flags", "query"),
    [((), {}), (("--own",), {"via_office": "false"}), (("--kind", "ksef_token"), {"kind": "ksef_token"})],
)
def test_json_is_what_rest_answers(office: Office, flags: tuple[str, ...], query: dict[str, str]) -> None:
    cli = json.loads(_cli(office, "--no-rights", "--json", *flags))
    http, _csrf, _user = sign_in(office.server, "ksiegowa@biuro.pl")
    try:
        rest = http.get(
            f"/companies/{office.office_id}/office/clients", params={"rights": "false", **query}
        ).json()
    finally:
        http.close()
    assert cli == rest
    assert cli["office_nip"] == office.office_nip and cli["clients"]
