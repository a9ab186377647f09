"""A KSeF certificate that expired (KSeF shortened it into the past) on the simulator's prod profile.

KSeF refuses a login with it (auth status 460 "Nieważny certyfikat"); Fakturnik says so in the
doctor, in Polish with what to do, does not try to renew it (a renewal needs a working login), and
keeps the invoices queued, never rejected.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from fakturnik.app import Fakturnik
from fakturnik.ksef import models as m
from fakturnik.store import states
from fakturnik.store.models import OutboxEntry
from tests.app.kit import NIP_A, draft
from tests.credentials.kit import owner_client, portal_certificate


def test_an_expired_certificate_is_refused_and_fakturnik_says_what_to_do(fk_prod: Fakturnik) -> None:
    cid = fk_prod.companies.by_nip(NIP_A).id
    serial = portal_certificate(fk_prod, cid)
    assert {x.check: x for x in fk_prod.doctor.check(cid).lines}["login"].status == "ok"
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    client = owner_client(fk_prod)
    client.testdata_update_certificate(serial, m.TestDataUpdateCertificateRequest(validTo=past))
    client.close()

    lines = {x.check: x for x in fk_prod.doctor.check(cid).lines}
    assert lines["login"].status == "error", lines["login"]
    assert "Nieważny certyfikat" in lines["login"].message
    assert "credentials request" in lines["login"].message
    assert lines["expiry"].status == "error" and "wygasł" in lines["expiry"].message, lines["expiry"]

    # nothing to renew with: an expired certificate cannot open the session a renewal needs
    results = fk_prod.certificates.renew_due(force_check=True)
    assert not any(r.changed for r in results), [r.message for r in results]
    assert fk_prod.companies.credential(cid).serial == serial  # type: ignore[union-attr]

    # an invoice issued meanwhile waits in the queue with the reason, it is not rejected
    with fk_prod.running_worker():
        invoice = fk_prod.invoices.issue(cid, draft(seller=NIP_A), idempotency_key="expired-1").invoice
        deadline = time.monotonic() + 30
        note = None
        while time.monotonic() < deadline and not note:
            with fk_prod.ctx.db.transaction() as s:
                entry = s.query(OutboxEntry).filter_by(invoice_id=invoice.id).one()
                note = entry.last_error
            time.sleep(0.1)
    assert note, "the engine noted nothing"
    assert fk_prod.invoices.get(cid, invoice.id).status in (states.QUEUED, states.SENDING)


def test_the_expiry_line_believes_ksef_over_the_stored_date() -> None:
    from fakturnik.app.doctor import expiry_line

    now = datetime(2026, 12, 7, tzinfo=UTC)
    later = now + timedelta(days=400)
    assert expiry_line("certificate", valid_to=later, now=now).status == "ok"
    refused = expiry_line("certificate", valid_to=later, now=now, certificate_refused=True)
    assert refused.status == "error" and "KSeF nie przyjmuje certyfikatu" in refused.message
    assert "11.01.2028" in refused.message  # the stored date, named as such
