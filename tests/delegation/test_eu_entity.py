"""An EU entity's administrator, end to end against the simulator on its prod profile.

A Polish company grants, through Fakturnik, the administration of its EU entity (an entity of
another member state, identified by its certificate's fingerprint): KSeF creates the EU VAT context
``{NIP}-{VAT UE}``; the operation is followed to 200; Fakturnik lists the grant from KSeF's answer;
the entity logs in to that context with its certificate (a qualified seal of another member state,
subject = the fingerprint) and holds VatUeManage there; revoked, its next login is refused (415).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fakturnik.errors import InputError, KsefAuthError
from fakturnik.ksef.auth import AuthManager
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.credentials import CertificateCredential
from fakturnik.ksef.environments import local
from fakturnik.ksef.transport import Transport
from fakturnik.simulator.server import SimulatorServer
from tests.delegation.kit import random_nip
from tests.delegation.world import installation, prod_simulator, qualified_seal, sealed_company, trust_service
from tests.ksef.identities import ORGANIZATION_IDENTIFIER

VAT_UE = "DE123456789"
EU_NAME = "Müller Handels GmbH"


@pytest.fixture
def eu_sim() -> Iterator[tuple[SimulatorServer, CertificateCredential]]:
    """The prod simulator trusting a qualified trust service of another member state, and a German
    company's qualified seal it issued: no Polish identifier, so KSeF knows it by its fingerprint."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = trust_service(
        x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                x509.NameAttribute(NameOID.COMMON_NAME, "Test QTSP DE"),
            ]
        ),
        root_key,
    )
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, EU_NAME),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VAT{VAT_UE}"),
            x509.NameAttribute(NameOID.COMMON_NAME, EU_NAME),
        ]
    )
    seal = qualified_seal(root, root_key, subject, ec.generate_private_key(ec.SECP256R1()), signing=True)
    with prod_simulator(root) as server:
        yield server, seal


def _eu_login(server: SimulatorServer, seal: CertificateCredential, context: str) -> list[str]:
    """The EU entity logs in to its EU VAT context (subject = its certificate's fingerprint)."""
    transport = Transport(local(server.base_url))
    try:
        manager = AuthManager.with_certificate(
            transport, ContextIdentifier("NipVatUe", context), seal, subject_type="certificateFingerprint"
        )
        manager.login()
        auth = [d for d in server.sim.state.all("auth") if d["contextValue"] == context]
        return sorted(auth[-1]["permissions"])
    finally:
        transport.close()


def test_the_company_grants_its_eu_entity_administration_and_revokes_it(
    eu_sim: tuple[SimulatorServer, CertificateCredential], tmp_path: Path
) -> None:
    server, seal = eu_sim
    fingerprint = seal.certificate.fingerprint(hashes.SHA256()).hex().upper()
    with installation(tmp_path) as fk:
        company = sealed_company(fk, server, random_nip(), "Polska Spółka Matka S.A.")
        context = f"{company.nip}-{VAT_UE}"

        # bad input: refused before anything is sent
        for kwargs, field in (
            ({"fingerprint": "12" * 20, "vat_ue": VAT_UE}, "fingerprint"),
            ({"fingerprint": fingerprint, "vat_ue": "PL5265877635"}, "vat_ue"),
            ({"fingerprint": fingerprint, "vat_ue": "DE12345"}, "vat_ue"),
        ):
            with pytest.raises(InputError) as err:
                fk.permissions.grant_eu_admin(company.id, name=EU_NAME, **kwargs)
            assert err.value.problems[0].path == field, err.value
        assert not [d for d in server.sim.state.all("permission") if d["kind"] == "euAdmin"]

        # without a grant the EU entity has no way in
        with pytest.raises(KsefAuthError) as refused:
            _eu_login(server, seal, context)
        assert refused.value.status_code == 415

        done = fk.permissions.grant_eu_admin(
            company.id,
            fingerprint.lower(),
            "de 123 456 789",
            name=EU_NAME,
            address="Hauptstraße 1, 10115 Berlin",
        )
        assert done.ok and done.code == 200, done.message
        listed = [g for g in fk.permissions.granted(company.id) if g.kind == "eu_entity"]
        assert {g.permission for g in listed} == {
            "VatUeManage",
            "InvoiceWrite",
            "InvoiceRead",
            "Introspection",
        }
        assert {(g.subject, g.context, g.subject_name) for g in listed} == {
            (fingerprint, f"NipVatUe:{context}", EU_NAME)
        }

        # the EU entity logs in to the new EU VAT context and administers it
        assert _eu_login(server, seal, context) == [
            "Introspection",
            "InvoiceRead",
            "InvoiceWrite",
            "VatUeManage",
        ]

        revoked = fk.permissions.revoke(company.id, listed[0].id)
        assert revoked.ok, revoked.message
        assert not [g for g in fk.permissions.granted(company.id) if g.kind == "eu_entity"]  # the whole group
        with pytest.raises(KsefAuthError) as refused:
            _eu_login(server, seal, context)
        assert refused.value.status_code == 415
