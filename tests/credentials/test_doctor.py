"""`fakturnik doctor`, its REST route and its service: every line OK or what to do, in Polish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from fakturnik.app import Fakturnik
from fakturnik.app.doctor import clock_line, expiry_line, rights_line
from fakturnik.cli.main import app
from fakturnik.simulator.server import free_port
from tests.credentials.kit import NIP_A, owner_client, portal_certificate

NIP_B = "7740001454"


def _lines(fk: Fakturnik, cid: int) -> dict[str, tuple[str, str]]:
    return {line.check: (line.status, line.message) for line in fk.doctor.check(cid).lines}


def test_the_pure_judgements() -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert clock_line(timedelta(seconds=1)).status == "ok"
    assert clock_line(timedelta(seconds=-20)).status == "warn"
    bad = clock_line(timedelta(minutes=5))
    assert bad.status == "error" and "NTP" in bad.message and "+300 s" in bad.message
    assert clock_line(None).status == "skip"
    assert expiry_line(None).status == "error"
    token = expiry_line("ksef_token", token_days_left=24)
    assert token.status == "warn" and "24 dni" in token.message and "migrate" in token.message
    assert expiry_line("ksef_token", token_days_left=-1).status == "error"
    fine = expiry_line("certificate", valid_to=now + timedelta(days=200), now=now)
    assert fine.status == "ok" and "25.06.2027" in fine.message
    soon = expiry_line("certificate", valid_to=now + timedelta(days=10), now=now)
    assert soon.status == "warn" and "automatycznie" in soon.message
    manual = expiry_line("certificate", valid_to=now + timedelta(days=10), auto_renew=False, now=now)
    assert "credentials renew" in manual.message
    assert expiry_line("certificate", valid_to=now - timedelta(days=1), now=now).status == "error"
    revoked = expiry_line("certificate", valid_to=now + timedelta(days=99), ksef_status="Revoked", now=now)
    assert revoked.status == "error" and "unieważniony" in revoked.message
    assert rights_line(["InvoiceRead"]).status == "error"
    assert rights_line(["InvoiceWrite"]).status == "warn"
    assert rights_line(["InvoiceRead", "InvoiceWrite"]).status == "ok"
    assert rights_line(None).status == "skip"


def test_doctor_on_the_production_profile(fk_prod: Fakturnik) -> None:
    cid = fk_prod.companies.by_nip(NIP_A).id
    lines = _lines(fk_prod, cid)
    assert lines["environment"][0] == "ok" and "odpowiada" in lines["environment"][1]
    assert lines["login"] == ("ok", "Logowanie tokenem KSeF udane.")
    assert lines["expiry"][0] == "warn" and "31.12.2026" in lines["expiry"][1]
    assert lines["offline"][0] == "warn"
    assert lines["rights"][0] == "ok" and "InvoiceWrite" in lines["rights"][1]
    assert lines["clock"][0] == "ok"
    assert lines["schemas"][0] == "ok" and "FA (3) 1-0E" in lines["schemas"][1]
    assert fk_prod.doctor.check(cid).ok

    serial = portal_certificate(fk_prod, cid)
    assert fk_prod.certificates.enroll(cid, ["Offline"]).ok
    lines = _lines(fk_prod, cid)
    assert lines["login"] == ("ok", "Logowanie certyfikatem KSeF udane.")
    assert lines["expiry"][0] == "ok" and "automatycznie" in lines["expiry"][1]
    assert lines["offline"][0] == "ok"

    # revoked behind Fakturnik's back (e.g. at the portal): the login fails, the doctor says what to do
    client = owner_client(fk_prod)
    client.revoke_certificate(serial)
    client.close()
    health = fk_prod.doctor.check(cid)
    assert not health.ok
    login = next(x for x in health.lines if x.check == "login")
    assert login.status == "error" and "credentials request" in login.message


def test_doctor_when_ksef_does_not_answer(tmp_path: Path) -> None:
    with Fakturnik.open(tmp_path) as fk:
        dead = f"http://127.0.0.1:{free_port()}/v2"
        fk.companies.add(NIP_B, "Firma B", environment="local", base_url=dead, ksef_token="x" * 40)
        health = fk.doctor.check(fk.companies.by_nip(NIP_B).id)
    lines = {x.check: x for x in health.lines}
    assert not health.ok
    assert lines["environment"].status == "error" and "nie odpowiada" in lines["environment"].message
    assert lines["login"].status == "skip" and lines["clock"].status == "skip"
    assert "x" * 40 not in repr(health)


def test_doctor_from_the_command_line_and_over_rest(cli_home: Path) -> None:
    data = cli_home
    runner = CliRunner()
    with Fakturnik.open(data, simulator=True, simulator_profile="prod") as fk:
        fk.companies.add(NIP_A, "Firma A", environment="local")
        out = runner.invoke(app, ["doctor"])
        assert out.exit_code == 0, out.output
        assert NIP_A in out.output and "Logowanie tokenem KSeF udane" in out.output
        assert "31.12.2026" in out.output and "ostrzeżenia" in out.output
        assert runner.invoke(app, ["doctor", "--strict"]).exit_code == 1
        dead = f"http://127.0.0.1:{free_port()}/v2"
        fk.companies.add(NIP_B, "Firma B", environment="local", base_url=dead, ksef_token="y" * 40)
        out = runner.invoke(app, ["doctor"])
        assert out.exit_code == 1 and "nie odpowiada" in out.output and "Do naprawy: 1" in out.output
        out = runner.invoke(app, ["doctor", "--company", NIP_A])
        assert out.exit_code == 0, out.output
        assert "y" * 40 not in out.output


def test_rights_unknown_when_the_token_does_not_list_them() -> None:
    from fakturnik.app.doctor import UNKNOWN_RIGHTS, _jwt_permissions

    line = rights_line(UNKNOWN_RIGHTS)
    assert line.status == "skip" and "co najmniej jedno" in line.message
    assert rights_line([]).status == "error"  # a list that is really empty: no InvoiceWrite
    assert _jwt_permissions("not-a-jwt") is None
