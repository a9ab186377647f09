"""Helpers of the credential tests: a KSeF session minted on the simulator, a company's first KSeF
certificate (as if enrolled earlier at the Ministry's portal), sending one invoice, a login with the
company's stored KSeF token and revoking its tokens in KSeF, the company's store row."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from fakturnik.app import Fakturnik
from fakturnik.errors import KsefError
from fakturnik.ksef.auth import AuthManager
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.enrollment import enroll_certificate
from fakturnik.ksef.environments import local
from fakturnik.ksef.sessions import Poller
from fakturnik.ksef.transport import TokenKind, Transport
from fakturnik.simulator.mint import mint_session
from fakturnik.store.models import Company
from tests.app.kit import NIP_A, draft

__all__ = [
    "NIP_A",
    "company_row",
    "owner_client",
    "portal_certificate",
    "revoke_tokens",
    "send_one",
    "token_login",
]


class _Bearer:
    """A fixed access token (a session minted on the simulator) as a transport's token source."""

    def __init__(self, token: str, nip: str) -> None:
        self._token = token
        self.context_key = f"Nip:{nip}"

    def bearer(self, kind: TokenKind) -> str:
        return self._token

    def on_unauthorized(self, kind: TokenKind) -> bool:
        return False


def owner_client(fk: Fakturnik, nip: str = NIP_A) -> KsefClient:
    """A KSeF client in the owner's signed-in session (as after a qualified-signature login)."""
    assert fk.simulator is not None
    session = mint_session(
        fk.simulator.sim, context_type="Nip", context_value=nip, subject_type="Nip", subject_value=nip
    )
    transport = Transport(local(fk.simulator.base_url)).with_tokens(_Bearer(session["accessToken"], nip))
    return KsefClient(transport)


def portal_certificate(fk: Fakturnik, company_id: int, nip: str = NIP_A) -> str:
    """Give the company a KSeF Authentication certificate enrolled outside Fakturnik; its serial."""
    client = owner_client(fk, nip)
    try:
        enrolled = enroll_certificate(client, f"Portal {nip}", "Authentication", poller=Poller(timeout=30))
    finally:
        client.close()
    cred = enrolled.credential
    pem = cred.certificate.public_bytes(serialization.Encoding.PEM)
    key = cred.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fk.companies.set_certificate(company_id, pem, key)
    return enrolled.serial_number


def send_one(fk: Fakturnik, company_id: int, key: str, nip: str = NIP_A) -> str:
    """Issue one invoice (seller ``nip``) and wait until KSeF accepted it; its KSeF number."""
    issued = fk.invoices.issue(company_id, draft(seller=nip), idempotency_key=key).invoice
    done = fk.invoices.wait(company_id, issued.id, timeout=60)
    assert done.status == "accepted", done
    assert done.ksef_number
    return done.ksef_number


def token_login(fk: Fakturnik, base_url: str, nip: str = NIP_A) -> AuthManager:
    """A login (not yet made) with the KSeF token the installation keeps for the company."""
    token = fk.ctx.vault.get(f"company/{nip}/ksef_token").reveal_text()
    return AuthManager.with_ksef_token(Transport(local(base_url)), ContextIdentifier.nip(nip), token)


def revoke_tokens(fk: Fakturnik, base_url: str, nip: str = NIP_A) -> None:
    """The owner revokes every KSeF token of the company in KSeF; its stored token no longer logs in."""
    client = KsefClient(token_login(fk, base_url, nip).api)
    for t in list(client.iter_tokens()):
        client.revoke_token(t.referenceNumber)
    client.close()
    with pytest.raises(KsefError):
        token_login(fk, base_url, nip).login()


def company_row(fk: Fakturnik, company_id: int) -> Company:
    """The company's store row, detached (what engine functions take)."""
    with fk.ctx.db.transaction() as s:
        company = s.get(Company, company_id)
        assert company is not None
        s.expunge(company)
    return company
