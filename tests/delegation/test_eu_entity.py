"""An EU entity's administrator, end to end against the simulator on its prod profile.

A Polish company grants, through Fakturnik, the administration of its EU entity (an entity of
another member state, identified by its certificate's fingerprint): KSeF creates the EU VAT context
``{NIP}-{VAT UE}``; the operation is followed to 200; Fakturnik lists the grant from KSeF's answer;
the entity logs in to that context with its certificate (a qualified seal of another member state,
subject = the fingerprint) and holds VatUeManage there; revoked, its next login is refused (415).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fakturnik.app import Fakturnik
from fakturnik.engine.settings import EngineSettings
from fakturnik.errors import InputError, KsefAuthError
from fakturnik.ksef.auth import AuthManager
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.credentials import CertificateCredential
from fakturnik.ksef.environments import local
from fakturnik.ksef.transport import Transport
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from tests.delegation.kit import ksef_certificate, random_nip
from tests.ksef.identities import ORGANIZATION_IDENTIFIER, self_signed

VAT_UE = "DE123456789"
EU_NAME = "Müller Handels GmbH"


def _root() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A qualified trust service of another member state (the simulator's trust list holds it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Test QTSP DE"),
        ]
    )
    return self_signed(name, key, ca=True), key


def _eu_seal(root: x509.Certificate, root_key: ec.EllipticCurvePrivateKey) -> CertificateCredential:
    """A German company's qualified seal: no Polish identifier, so KSeF knows it by its fingerprint."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, EU_NAME),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VAT{VAT_UE}"),
            x509.NameAttribute(NameOID.COMMON_NAME, EU_NAME),
        ]
    )
    now = datetime.now(UTC) - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .sign(root_key, hashes.SHA256())
    )
    return CertificateCredential(cert, key)


@pytest.fixture
def eu_sim() -> Iterator[tuple[SimulatorServer, CertificateCredential]]:
    root, root_key = _root()
    config = SimulatorConfig(
        profile="prod",
        rate_limits_enabled=False,
        trusted_signers=(root.public_bytes(serialization.Encoding.PEM),),
    )
    with SimulatorServer(config) as server:
        yield server, _eu_seal(root, root_key)


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
    nip = random_nip()
    own = ksef_certificate(server, "Nip", nip, "Polska Spółka Matka S.A.")
    fingerprint = seal.certificate.fingerprint(hashes.SHA256()).hex().upper()
    context = f"{nip}-{VAT_UE}"
    with Fakturnik.open(tmp_path, settings=EngineSettings.fast(), use_keyring=False) as fk:
        company = fk.companies.add(nip, "Polska Spółka Matka S.A.", "local", server.base_url)
        fk.companies.set_certificate(company.id, own.cert_pem, own.key_pem)

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
