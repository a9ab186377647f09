"""The delegation world, built once for every test that needs it (real HTTP, real crypto).

The simulator on its production profile (only KSeF certificates and trusted qualified seals log in),
installations of Fakturnik on SQLite or PostgreSQL, a company with its own KSeF seal, a co-worker
with her own KSeF certificate, and an accounting office with a client (two installations, as in
life). The KSeF certificates come from the simulator's CA (:mod:`tests.delegation.kit`), as the
Ministry would issue them; everything after that goes through Fakturnik.

Fixtures here (``prod_sim``, ``database_url``) are plain functions a conftest or a test module
imports; the helpers are context managers and functions, so each test keeps its own scope.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from fakturnik.app import Actor, Fakturnik, Services
from fakturnik.app.views import CompanyView
from fakturnik.engine.settings import EngineSettings
from fakturnik.ksef.credentials import CertificateCredential, PrivateKey
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import states
from fakturnik.store.models import OutboxEntry
from tests.delegation.kit import KsefCertificate, ksef_certificate, random_nip
from tests.ksef.identities import self_signed
from tests.store.pg import STORES, store_url

CLIENT_NAME = "Klient Testowy Sp. z o.o."
OFFICE_NAME = "Biuro Rachunkowe Sp. z o.o."
PASSWORD = "hasło-bardzo-tajne"
WAITING_FOR_A_GRANT = "Czeka na uprawnienie"


# --- the simulator and the installations ---------------------------------------------------------


@contextmanager
def prod_simulator(*trusted: x509.Certificate) -> Iterator[SimulatorServer]:
    """The simulator on its production profile, no rate limits; ``trusted``: qualified trust
    services it accepts signatures and seals from (its stand-in for the trust lists)."""
    config = SimulatorConfig(
        profile="prod",
        rate_limits_enabled=False,
        trusted_signers=tuple(c.public_bytes(serialization.Encoding.PEM) for c in trusted),
    )
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture
def prod_sim() -> Iterator[SimulatorServer]:
    """The simulator on its production profile: only KSeF certificates authenticate, checksums checked."""
    with prod_simulator() as server:
        yield server


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` (SQLite in the installation's folder), then a throwaway PostgreSQL database's URL."""
    with store_url(request.param) as url:
        yield url


@contextmanager
def installation(
    path: Path, database_url: str | None = None, settings: EngineSettings | None = None
) -> Iterator[Fakturnik]:
    """One installation of Fakturnik: fast engine settings, the vault's key never in a keyring."""
    with Fakturnik.open(
        path, database_url=database_url, settings=settings or EngineSettings.fast(), use_keyring=False
    ) as fk:
        yield fk


# --- companies and people -------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedCompany:
    """A company of an installation, logging in to KSeF with its own KSeF certificate (a seal)."""

    id: int
    nip: str
    name: str
    cert: KsefCertificate


def sealed_company(fk: Fakturnik, server: SimulatorServer, nip: str, name: str) -> SealedCompany:
    """Add the company (on ``server``) with a KSeF certificate issued to its NIP."""
    cert = ksef_certificate(server, "Nip", nip, name)
    company_id = fk.companies.add(nip, name, "local", server.base_url).id
    fk.companies.set_certificate(company_id, cert.cert_pem, cert.key_pem)
    return SealedCompany(company_id, nip, name, cert)


@dataclass(frozen=True)
class Coworker:
    """A user of an installation, a member of one company; ``services`` act as her."""

    user_id: int
    email: str
    services: Services
    cert: KsefCertificate | None


def coworker(
    fk: Fakturnik,
    company_id: int,
    email: str,
    name: str,
    *,
    role: str = "issuer",
    server: SimulatorServer | None = None,
    pesel: str | None = None,
) -> Coworker:
    """Register a user and make her a member of the company; with ``server`` and ``pesel`` she also
    gets her own KSeF certificate (for her PESEL), added through the co-worker service as herself."""
    user = fk.accounts.register_user(email, PASSWORD, name)
    fk.accounts.add_member(company_id, user.id, role)
    services = fk.acting_as(Actor.user(user.id, email))
    cert = None
    if server is not None and pesel is not None:
        cert = ksef_certificate(server, "Pesel", pesel, name)
        services.coworkers.add_certificate(company_id, user.id, cert.cert_pem, cert.key_pem)
    return Coworker(user.id, email, services, cert)


@dataclass(frozen=True)
class OfficeWorld:
    """An accounting office and its client, each in its own installation.

    ``own`` is the client company in the client's installation (with which it grants and revokes);
    ``office`` the office in the office's installation, ``client`` the client company there."""

    client_fk: Fakturnik
    office_fk: Fakturnik
    own: SealedCompany
    office: SealedCompany
    client: CompanyView

    @property
    def client_nip(self) -> str:
        return self.own.nip

    @property
    def office_nip(self) -> str:
        return self.office.nip


@contextmanager
def office_and_client(
    server: SimulatorServer, path: Path, office_db: str | None = None, *, on_office: bool = True
) -> Iterator[OfficeWorld]:
    """The client's installation (``path/klient``) and the office's (``path/biuro``, on ``office_db``);
    with ``on_office`` the client company of the office's installation uses the office's credential."""
    with installation(path / "klient") as client_fk, installation(path / "biuro", office_db) as office_fk:
        own = sealed_company(client_fk, server, random_nip(), CLIENT_NAME)
        office = sealed_company(office_fk, server, random_nip(), OFFICE_NAME)
        client = office_fk.companies.add(own.nip, CLIENT_NAME, "local", server.base_url)
        if on_office:
            office_fk.offices.use_office(client.id, office.id)
        yield OfficeWorld(client_fk, office_fk, own, office, client)


# --- qualified trust services ---------------------------------------------------------------------


def trust_service(name: x509.Name, key: PrivateKey) -> x509.Certificate:
    """A qualified trust service's root (self-signed, may sign): pass it to :func:`prod_simulator`."""
    return self_signed(name, key, ca=True)


def qualified_seal(
    ca: x509.Certificate, ca_key: PrivateKey, subject: x509.Name, key: PrivateKey, *, signing: bool
) -> CertificateCredential:
    """A seal the trust service issued, valid for 30 days; ``signing``: its key usage has
    digitalSignature besides contentCommitment (non-repudiation)."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    usage = x509.KeyUsage(signing, True, False, False, False, False, False, False, False)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(usage, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return CertificateCredential(cert, key)


# --- the outbox ---------------------------------------------------------------------------------


def outbox_entry(fk: Fakturnik, invoice_id: int) -> OutboxEntry:
    """The invoice's outbox entry, detached from its session."""
    with fk.ctx.db.transaction() as s:
        entry = s.query(OutboxEntry).filter_by(invoice_id=invoice_id).one()
        s.expunge(entry)
        return entry


def wait_for_note(
    fk: Fakturnik, invoice_id: int, start: str = WAITING_FOR_A_GRANT, timeout: float = 30.0
) -> str:
    """Until the engine has tried, queued the invoice again and noted why it waits; that note.

    The note stays while the engine tries again (the entry is briefly "sending" then)."""
    deadline = time.monotonic() + timeout
    note = state = None
    while time.monotonic() < deadline:
        entry = outbox_entry(fk, invoice_id)
        note, state = entry.last_error, entry.state
        if note and note.startswith(start) and state == states.QUEUED:
            return note
        time.sleep(0.1)
    raise AssertionError(f"no note yet; last: {note!r} ({state})")
