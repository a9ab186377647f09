"""A company logged in with a certificate and key from the vault (XAdES through the client's auth manager)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from fakturnik.engine.companies import add_company, set_certificate
from fakturnik.engine.context import open_context
from fakturnik.engine.issuing import issue
from fakturnik.engine.worker import Worker
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from fakturnik.vault import ENV_MASTER_KEY, Secret
from tests.engine.helpers import NIP, fast_settings, sample_invoice
from tests.ksef.identities import seal_credential


def test_certificate_credential_sends_and_never_lands_in_clear(
    simulator: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_MASTER_KEY, secrets.token_hex(32))
    cred = seal_credential(NIP)
    cert_pem = cred.certificate.public_bytes(serialization.Encoding.PEM)
    password = b"haslo-" + secrets.token_hex(8).encode()
    key_pem = cred.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    ctx = open_context(tmp_path, None, fast_settings(), use_keyring=False)
    add_company(ctx, nip=NIP, base_url=simulator.base_url)
    set_certificate(ctx, NIP, cert_pem, Secret(key_pem), Secret(password))
    issue(ctx, company_nip=NIP, xml=sample_invoice())
    Worker(ctx, worker_id="cert").run(once=True, idle_sleep=0.1, max_seconds=60)
    with ctx.db.transaction() as s:
        (invoice,) = repo.list_invoices(s)
        assert invoice.status == states.ACCEPTED and invoice.ksef_number
    ctx.close()
    plain_key = cred.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    blob = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert b"PRIVATE KEY" not in blob and plain_key[-32:] not in blob and password not in blob
