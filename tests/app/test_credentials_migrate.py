"""Token → KSeF certificate migration against the embedded simulator (real HTTP, real crypto)."""

from __future__ import annotations

from typing import Any

import pytest

from fakturnik.app import Fakturnik
from fakturnik.errors import KsefError
from fakturnik.ksef.auth import AuthManager
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.environments import local
from fakturnik.ksef.transport import Transport
from fakturnik.ksef.xades import sign_auth_request
from tests.app.conftest import company_id
from tests.app.kit import NIP_A, draft
from tests.ksef.identities import seal_credential


def _token_client(fk: Fakturnik) -> tuple[AuthManager, KsefClient]:
    assert fk.simulator is not None
    token = fk.ctx.vault.get(f"company/{NIP_A}/ksef_token").reveal_text()
    manager = AuthManager.with_ksef_token(
        Transport(local(fk.simulator.base_url)), ContextIdentifier.nip(NIP_A), token
    )
    return manager, KsefClient(manager.api)


def _signed(fk: Fakturnik, a: int) -> bytes:
    """The owner signs the request elsewhere (here: with a test company seal made now)."""
    return sign_auth_request(fk.credentials.migration_request(a), seal_credential(NIP_A))


def _send(fk: Fakturnik, a: int, n: int) -> str:
    issued = fk.invoices.issue(a, draft(), idempotency_key=f"migr-{n}").invoice
    done = fk.invoices.wait(a, issued.id, timeout=60)
    assert done.status == "accepted", done
    assert done.ksef_number
    return done.ksef_number


def test_token_company_migrates_sends_and_keeps_sending_after_the_token_is_revoked(fk_sim: Fakturnik) -> None:
    a = company_id(fk_sim, NIP_A)
    before = fk_sim.credentials.token_deadline()
    assert before.active and a in before.company_ids and before.days_left >= 0

    # KSeF does not issue certificates to a token session: the company stays on its token, told why
    refused = fk_sim.credentials.migrate_to_certificate(a)
    assert not refused.ok and "podpisem" in refused.message
    assert fk_sim.companies.credential(a).kind == "ksef_token"  # type: ignore[union-attr]

    result = fk_sim.credentials.migrate_to_certificate(a, _signed(fk_sim, a))
    assert result.ok and result.changed, result.message
    kinds = sorted(c.kind for c in result.certificates)
    assert kinds == ["certificate", "offline_certificate"]
    assert fk_sim.companies.credential(a).kind == "certificate"  # type: ignore[union-attr]
    assert a not in fk_sim.credentials.token_deadline().company_ids
    listed = fk_sim.credentials.certificates(a)
    assert all(c.active and c.not_after > c.not_before for c in listed)
    assert "PRIVATE" not in repr(listed) and "PRIVATE" not in repr(result)
    # the Offline certificate, for KOD II: its own kind, loadable with its key, never used to log in
    from fakturnik.engine.connect import offline_credential
    from fakturnik.store.models import Company

    with fk_sim.ctx.db.transaction() as s:
        company = s.get(Company, a)
        s.expunge(company)
    offline = offline_credential(fk_sim.ctx, company)
    assert offline is not None
    offline_serial = format(offline.certificate.serial_number, "016X")
    assert [c.serial for c in listed if c.kind == "offline_certificate"] == [offline_serial]
    assert "PRIVATE" not in repr(offline)

    with fk_sim.running_worker():
        _send(fk_sim, a, 1)
        # the token is revoked in KSeF: the certificate carries on
        _manager, client = _token_client(fk_sim)
        tokens = list(client.iter_tokens())
        assert tokens
        for t in tokens:
            client.revoke_token(t.referenceNumber)
        client.close()
        with pytest.raises(KsefError):
            _token_client(fk_sim)[0].login()
        _send(fk_sim, a, 2)

    again = fk_sim.credentials.migrate_to_certificate(a)
    assert again.ok and not again.changed


def test_a_failing_proof_leaves_the_company_on_its_token(
    fk_sim: Fakturnik, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fakturnik.app.ksef_credentials as creds

    real = creds.enroll_certificate

    def enroll_then_revoke(client: KsefClient, name: str, kind: Any = "Authentication", **kw: Any) -> Any:
        enrolled = real(client, name, kind, **kw)
        if kind == "Authentication":  # KSeF revokes it before Fakturnik's test login
            client.revoke_certificate(enrolled.serial_number)
        return enrolled

    monkeypatch.setattr(creds, "enroll_certificate", enroll_then_revoke)
    a = company_id(fk_sim, NIP_A)
    result = fk_sim.credentials.migrate_to_certificate(a, _signed(fk_sim, a))
    assert not result.ok and not result.changed
    assert "zostaje przy tokenie" in result.message
    assert fk_sim.companies.credential(a).kind == "ksef_token"  # type: ignore[union-attr]
    assert fk_sim.credentials.certificates(a) == []
    assert a in fk_sim.credentials.token_deadline().company_ids
    with fk_sim.running_worker():
        _send(fk_sim, a, 3)  # still sending with the token
