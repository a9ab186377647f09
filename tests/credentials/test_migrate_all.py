"""Token → KSeF certificate for every company that may be migrated (the test profile: the signed files
come from a separate signer, xmlsec1). Companies the caller may see but not administer are skipped,
told so, and left on their token; the migrated company sends with its certificate, its token is
revoked in KSeF, and sending goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakturnik.app import Actor, Fakturnik
from fakturnik.cli.main import app
from tests.credentials.kit import NIP_A, revoke_tokens, send_one
from tests.credentials.signer import XMLSEC1, sign_with_xmlsec1
from tests.ksef.identities import seal_credential

pytestmark = pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 is not installed")
NIP_B = "7740001454"


def test_migrate_all_covers_what_the_caller_administers(fk_test: Fakturnik, tmp_path: Path) -> None:
    fk = fk_test
    a = fk.companies.add(NIP_A, "Firma A", environment="local").id
    b = fk.companies.add(NIP_B, "Firma B", environment="local").id
    owner = fk.accounts.register_user("wlasciciel@firma.pl", "hasło-bardzo-tajne", "Anna")
    fk.accounts.add_member(a, owner.id, "owner")
    fk.accounts.add_member(b, owner.id, "accountant")  # sees B, may not change its credentials
    as_owner = fk.acting_as(Actor.user(owner.id, "wlasciciel@firma.pl"))
    banner = as_owner.credentials.token_deadline()
    assert banner.active and set(banner.company_ids) == {a, b} and banner.days_left >= 0

    signed = {
        NIP_A: sign_with_xmlsec1(
            as_owner.credentials.migration_request(a), seal_credential(NIP_A, kind="rsa"), tmp_path / "a"
        )
    }
    results = {r.nip: r for r in as_owner.credentials.migrate_all(signed)}
    assert results[NIP_A].ok and results[NIP_A].changed, results[NIP_A].message
    assert results[NIP_B].skipped and not results[NIP_B].ok and "właściciel" in results[NIP_B].message
    assert fk.companies.credential(a).kind == "certificate"  # type: ignore[union-attr]
    assert fk.companies.credential(b).kind == "ksef_token"  # type: ignore[union-attr]
    assert as_owner.credentials.token_deadline().company_ids == (b,)  # the banner still counts B

    with fk.running_worker():
        send_one(fk, a, "all-1")
        assert fk.simulator is not None
        revoke_tokens(fk, fk.simulator.base_url)  # the owner revokes A's token in KSeF
        send_one(fk, a, "all-2")  # sending goes on with the certificate
        send_one(fk, b, "all-3", NIP_B)  # B, untouched, still sends with its token


def test_request_all_and_migrate_all_from_the_command_line(tmp_path: Path, cli_home: Path) -> None:
    data = cli_home
    runner = CliRunner()
    with Fakturnik.open(data, simulator=True) as fk:
        fk.companies.add(NIP_A, "Firma A", environment="local")
        fk.companies.add(NIP_B, "Firma B", environment="local")
        unsigned = tmp_path / "do-podpisu"
        out = runner.invoke(app, ["credentials", "request", "--all", "--out-dir", str(unsigned)])
        assert out.exit_code == 0, out.output
        assert sorted(p.name for p in unsigned.iterdir()) == sorted([f"{NIP_A}.xml", f"{NIP_B}.xml"])
        signed = tmp_path / "podpisane"
        signed.mkdir()
        (signed / f"{NIP_A}.xml").write_bytes(
            sign_with_xmlsec1(
                (unsigned / f"{NIP_A}.xml").read_bytes(), seal_credential(NIP_A, kind="rsa"), tmp_path / "s"
            )
        )
        out = runner.invoke(app, ["credentials", "migrate", "--all", "--signed-dir", str(signed)])
        assert out.exit_code == 1, out.output  # B had no signed file: it stays on its token, told why
        assert f"✓ {NIP_A}" in out.output and f"✗ {NIP_B}" in out.output and "podpisem" in out.output
        assert "Na tokenie KSeF: 1" in out.output
        listed = runner.invoke(app, ["credentials", "list", "--company", NIP_A, "--refresh"])
        assert listed.exit_code == 0, listed.output
        assert "Offline" in listed.output and "aktywny" in listed.output and "30 dni" in listed.output
