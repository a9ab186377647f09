"""Revoking KSeF certificates from Fakturnik (production profile): the company is switched away from the
revoked certificate only to one that has just logged in, and keeps sending."""

from __future__ import annotations

import pytest

from fakturnik.app import Fakturnik
from fakturnik.errors import InputError, NotFoundError
from tests.credentials.kit import NIP_A, portal_certificate, send_one


def _active(fk: Fakturnik, cid: int, kind: str = "Authentication") -> str:
    (serial,) = [c.serial for c in fk.certificates.list(cid) if c.active and c.certificate_type == kind]
    return serial


def test_revoke_the_active_certificate_switches_to_a_working_one(fk_prod: Fakturnik) -> None:
    cid = fk_prod.companies.by_nip(NIP_A).id
    first = portal_certificate(fk_prod, cid)

    # the only certificate: a new one is enrolled, logs in, takes over; then the old one is revoked
    result = fk_prod.certificates.revoke(cid, first.lower(), reason="KeyCompromise")
    assert result.ok, result.message
    second = _active(fk_prod, cid)
    assert second != first
    certs = {c.serial: c for c in fk_prod.certificates.list(cid)}
    assert (
        certs[first].status == "Revoked" and certs[first].revoked_at is not None and not certs[first].active
    )
    assert fk_prod.companies.credential(cid).serial == second  # type: ignore[union-attr]
    with fk_prod.running_worker():
        send_one(fk_prod, cid, "revoke-1")

    # another valid one exists: the company goes back to it (after a test login), no new enrollment
    assert fk_prod.certificates.enroll(cid).ok
    third = _active(fk_prod, cid)
    offline = _active(fk_prod, cid, "Offline")
    before = len(fk_prod.certificates.list(cid))
    assert fk_prod.certificates.revoke(cid, third).ok
    assert _active(fk_prod, cid) == second and len(fk_prod.certificates.list(cid)) == before
    refreshed = {c.serial: c.status for c in fk_prod.certificates.refresh(cid)}
    assert refreshed[third] == "Revoked" and refreshed[first] == "Revoked" and refreshed[second] == "Active"

    # the Offline certificate: revoked, the company told it has none for KOD II now
    revoked_offline = fk_prod.certificates.revoke(cid, offline)
    assert revoked_offline.ok and "Offline" in revoked_offline.message
    assert not [c for c in fk_prod.certificates.list(cid) if c.active and c.certificate_type == "Offline"]
    with fk_prod.running_worker():
        send_one(fk_prod, cid, "revoke-2")

    # bad input: nothing changes
    with pytest.raises(InputError, match="już unieważniony"):
        fk_prod.certificates.revoke(cid, third)
    with pytest.raises(NotFoundError):
        fk_prod.certificates.revoke(cid, "0123456789ABCDEF")
    with pytest.raises(InputError, match="powód"):
        fk_prod.certificates.revoke(cid, second, reason="bo tak")
    assert _active(fk_prod, cid) == second
