"""Renewal ahead of expiry on the simulator's production profile: KSeF shortens a certificate
(``PUT /testdata/certificates/{serial}``, API 2.7) → Fakturnik renews it inside the margin, keeps the old
one until the new one has logged in, and goes on sending; a running engine follows the switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fakturnik.app import Fakturnik
from fakturnik.app.certificates import CertificateState, RenewalPolicy, renewal_plan
from fakturnik.engine.connect import default_gateway
from fakturnik.ksef import models as m
from fakturnik.ksef.auth import AuthManager
from tests.credentials.kit import NIP_A, company_row, owner_client, portal_certificate, send_one


def test_the_renewal_decision() -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    policy = RenewalPolicy(30)

    def state(
        kind: str, days: float, *, active: bool = True, status: str | None = "Active"
    ) -> CertificateState:
        return CertificateState(kind, active, now + timedelta(days=days), status)

    assert renewal_plan([state("Authentication", 200), state("Offline", 200)], now, policy) == ()
    assert renewal_plan([state("Authentication", 29), state("Offline", 200)], now, policy) == (
        "Authentication",
    )
    assert renewal_plan([state("Authentication", 30), state("Offline", 3)], now, policy) == (
        "Authentication",
        "Offline",
    )
    assert renewal_plan([state("Authentication", 31)], now, policy) == ()
    assert renewal_plan([state("Authentication", 31)], now, RenewalPolicy(45)) == ("Authentication",)
    # an inactive (already replaced) one is not renewed again; expired / revoked ones cannot be
    assert renewal_plan([state("Authentication", 5, active=False)], now, policy) == ()
    assert renewal_plan([state("Authentication", -1)], now, policy) == ()
    assert renewal_plan([state("Authentication", 5, status="Revoked")], now, policy) == ()
    assert renewal_plan([CertificateState("Authentication", True, None)], now, policy) == ()


def test_ksef_shortens_a_certificate_and_fakturnik_renews_it_and_goes_on_sending(
    fk_prod_db: Fakturnik,
) -> None:
    fk_prod = fk_prod_db
    cid = fk_prod.companies.by_nip(NIP_A).id
    old_serial = portal_certificate(fk_prod, cid)
    assert fk_prod.certificates.enroll(cid, ["Offline"]).ok
    fk_prod.certificates.set_policy(cid, margin_days=30)
    # an engine already running with the old certificate (its session open)
    gateway = default_gateway(fk_prod.ctx, company_row(fk_prod, cid))
    manager = gateway.transport.tokens
    assert isinstance(manager, AuthManager)
    manager.login()  # with the old certificate

    with fk_prod.running_worker():
        send_one(fk_prod, cid, "renew-1")
        assert not any(r.changed for r in fk_prod.certificates.renew_due(force_check=True))  # not due yet

        ten_days = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
        client = owner_client(fk_prod)
        client.testdata_update_certificate(old_serial, m.TestDataUpdateCertificateRequest(validTo=ten_days))
        client.close()

        results = fk_prod.certificates.renew_due(force_check=True)
        assert [r.ok and r.changed for r in results] == [True], [r.message for r in results]
        certs = {c.serial: c for c in fk_prod.certificates.list(cid)}
        old = certs[old_serial]
        assert not old.active and old.revoked_at is None and old.valid_to == ten_days  # kept, as KSeF says
        (new,) = [c for c in certs.values() if c.active and c.certificate_type == "Authentication"]
        assert new.serial != old_serial and new.replaces_id == old.id and new.days_left() > 300
        offline = [c for c in certs.values() if c.active and c.certificate_type == "Offline"]
        assert len(offline) == 1 and offline[0].replaces_id is None  # not within the margin: not renewed
        assert fk_prod.companies.credential(cid).serial == new.serial  # type: ignore[union-attr]
        send_one(fk_prod, cid, "renew-2")

        # nothing more to do on the next pass
        assert not any(r.changed for r in fk_prod.certificates.renew_due(force_check=True))
        # the old one revoked: sending goes on, and the engine's next full login takes the new one
        revoked = fk_prod.certificates.revoke(cid, old_serial)
        assert revoked.ok, revoked.message
        send_one(fk_prod, cid, "renew-3")
    manager.login()  # the old certificate is revoked: this full login can only be the new one
    assert fk_prod.simulator is not None
    record = fk_prod.simulator.sim.state.get("certificate", new.serial)
    assert record is not None and record.get("lastUseDate")
    gateway.close()


def test_one_companys_trouble_does_not_stop_the_round(fk_prod: Fakturnik) -> None:
    nip_b = "7740001454"
    a = fk_prod.companies.by_nip(NIP_A).id
    b = fk_prod.companies.add(nip_b, "Firma B", environment="local").id
    serial_a = portal_certificate(fk_prod, a)
    serial_b = portal_certificate(fk_prod, b, nip_b)
    client = owner_client(fk_prod)  # A's certificate revoked behind Fakturnik's back
    client.revoke_certificate(serial_a)
    client.close()
    client = owner_client(fk_prod, nip_b)  # B's shortened into the margin
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    client.testdata_update_certificate(serial_b, m.TestDataUpdateCertificateRequest(validTo=soon))
    client.close()
    assert [r.nip for r in fk_prod.certificates.renew_due(limit=1)] == [NIP_A]  # never checked, first
    assert [r.nip for r in fk_prod.certificates.renew_due(limit=1)] == [nip_b]  # A failed: B's turn
    assert fk_prod.companies.credential(b).serial != serial_b  # type: ignore[union-attr]
    assert fk_prod.certificates.renew_due() == []  # both asked within the interval
    results = {r.nip: r for r in fk_prod.certificates.renew_due(force_check=True)}
    assert not results[NIP_A].ok and not results[NIP_A].changed and results[NIP_A].message
    assert results[nip_b].ok and not results[nip_b].changed, results[nip_b].message  # renewed already
    assert int(fk_prod.companies.credential(a).serial, 16) == int(serial_a, 16)  # type: ignore[union-attr,arg-type]
    assert fk_prod.companies.credential(b).serial != serial_b  # type: ignore[union-attr]
    doctor = {x.check: x for x in fk_prod.doctor.check(a).lines}
    assert doctor["login"].status == "error" and "credentials request" in doctor["login"].message
