"""Certificates from inside Fakturnik on the simulator's production profile: enroll with the company's
own KSeF certificate, list with expiry, send with the new one (real HTTP, real crypto)."""

from __future__ import annotations

import logging

import pytest

from fakturnik.app import Fakturnik
from fakturnik.engine.connect import offline_credential
from tests.credentials.kit import NIP_A, company_row, portal_certificate, send_one


def test_enroll_with_the_companys_certificate_then_send_with_the_new_one(
    fk_prod: Fakturnik, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cid = fk_prod.companies.by_nip(NIP_A).id
    first = portal_certificate(fk_prod, cid)
    listed = fk_prod.certificates.list(cid)
    assert [(c.serial, c.certificate_type, c.active) for c in listed] == [(first, "Authentication", True)]

    result = fk_prod.certificates.enroll(cid)
    assert result.ok and result.changed, result.message
    by_type = {c.certificate_type: c for c in result.certificates if c.active}
    assert set(by_type) == {"Authentication", "Offline"}
    new_auth = by_type["Authentication"]
    assert new_auth.serial != first and new_auth.replaces_id is not None
    assert new_auth.ksef_status == "Active" and new_auth.days_left() > 300
    assert "PRIVATE" not in repr(result)
    # the old one is kept (inactive) in the vault, valid in KSeF
    old = [c for c in fk_prod.certificates.list(cid) if c.serial == first]
    assert old and not old[0].active and old[0].revoked_at is None

    cred = fk_prod.companies.credential(cid)
    assert cred is not None and cred.kind == "certificate" and cred.serial == new_auth.serial
    offline = offline_credential(fk_prod.ctx, company_row(fk_prod, cid))
    assert (
        offline is not None and format(offline.certificate.serial_number, "016X") == by_type["Offline"].serial
    )

    refreshed = fk_prod.certificates.refresh(cid)
    assert all(c.checked_at is not None and c.ksef_status == "Active" for c in refreshed)
    audit = repr(fk_prod.audit.list(cid))
    assert "certificate.enroll" in audit and "PRIVATE" not in audit and "BEGIN" not in audit
    with fk_prod.running_worker():
        send_one(fk_prod, cid, "enroll-1")
    assert "PRIVATE KEY" not in caplog.text and "accessToken" not in caplog.text


def test_a_token_company_cannot_enroll_without_a_signed_file(fk_prod: Fakturnik) -> None:
    cid = fk_prod.companies.by_nip(NIP_A).id
    from fakturnik.errors import InputError

    with pytest.raises(InputError, match="token KSeF"):
        fk_prod.certificates.enroll(cid)
    assert fk_prod.certificates.list(cid) == []
    assert fk_prod.companies.credential(cid).kind == "ksef_token"  # type: ignore[union-attr]
