"""Token → KSeF certificate on the simulator's **production** profile, where only KSeF certificates and
qualified signatures or seals open a session: the owner's file is signed by a separate signer (xmlsec1)
with a company seal issued at test time by a "qualified" CA that the simulator trusts (its stand-in for
the national trust list). One action migrates; the company sends with its certificate; the token is
revoked in KSeF and sending goes on. A self-made seal is refused there, and nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from fakturnik.app import Fakturnik
from fakturnik.engine.settings import EngineSettings
from fakturnik.ksef.credentials import CertificateCredential
from fakturnik.simulator.server import SimulatorServer
from tests.credentials.kit import NIP_A, revoke_tokens, send_one
from tests.credentials.signer import XMLSEC1, sign_with_xmlsec1
from tests.delegation.world import prod_simulator, qualified_seal, trust_service
from tests.engine.helpers import ksef_token
from tests.ksef.identities import ORGANIZATION_IDENTIFIER, new_key, seal_credential

pytestmark = pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 is not installed")


@pytest.fixture
def prod(tmp_path: Path) -> Iterator[tuple[Fakturnik, SimulatorServer, CertificateCredential]]:
    ca_key = new_key("rsa")
    ca = trust_service(
        x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Testowe Centrum Kwalifikowane"),
                x509.NameAttribute(NameOID.COMMON_NAME, "Testowe CA pieczęci kwalifikowanych"),
            ]
        ),
        ca_key,
    )
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Firma A sp. z o.o."),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{NIP_A}"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Firma A sp. z o.o."),
        ]
    )
    seal = qualified_seal(ca, ca_key, subject, new_key("rsa"), signing=False)
    with (
        prod_simulator(ca) as server,
        Fakturnik.open(tmp_path / "data", settings=EngineSettings.fast()) as fk,
    ):
        fk.companies.add(
            NIP_A,
            "Firma A",
            environment="local",
            base_url=server.base_url,
            ksef_token=ksef_token(server, NIP_A),
        )
        yield fk, server, seal


def test_a_token_company_migrates_on_the_production_profile(
    prod: tuple[Fakturnik, SimulatorServer, CertificateCredential], tmp_path: Path
) -> None:
    fk, server, seal = prod
    cid = fk.companies.by_nip(NIP_A).id
    assert fk.credentials.token_deadline().company_ids == (cid,)

    # a self-made seal does not open a session on production: the company stays on its token
    self_made = sign_with_xmlsec1(
        fk.credentials.migration_request(cid), seal_credential(NIP_A, kind="rsa"), tmp_path / "x"
    )
    refused = fk.credentials.migrate_to_certificate(cid, self_made)
    assert not refused.ok and "zostaje przy tokenie" in refused.message
    assert fk.companies.credential(cid).kind == "ksef_token"  # type: ignore[union-attr]

    signed = sign_with_xmlsec1(fk.credentials.migration_request(cid), seal, tmp_path / "signer")
    (result,) = fk.credentials.migrate_all({NIP_A: signed})  # one action
    assert result.ok and result.changed, result.message
    assert fk.companies.credential(cid).kind == "certificate"  # type: ignore[union-attr]
    assert fk.credentials.token_deadline().company_ids == ()
    with fk.running_worker():
        send_one(fk, cid, "prod-migr-1")
        revoke_tokens(fk, server.base_url)
        send_one(fk, cid, "prod-migr-2")
    health = fk.doctor.check(cid)
    assert health.ok and health.warnings == 0, health.lines
