"""Invoices naming the company as a third party (Podmiot3) come with the nightly Subject3 sync, as
received invoices marked so — never as the company's purchase — and each only once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakturnik.app import Fakturnik
from fakturnik.engine.sync import PLAN, sync_company
from fakturnik.store import repo, states
from tests.app.kit import draft

SELLER, BUYER, THIRD = "5265877635", "7740001454", "5213003700"


def test_a_third_party_invoice_is_received_as_such_once(tmp_path: Path) -> None:
    assert PLAN["Subject3"].every == 96  # nightly at the 15-minute interval
    with Fakturnik.open(tmp_path, simulator=True) as fk:
        seller = fk.companies.add(SELLER, "Sprzedawca Sp. z o.o.", environment="local")
        buyer = fk.companies.add(BUYER, "Gmina Nabywca", environment="local")
        third = fk.companies.add(THIRD, "Szkoła Podstawowa nr 1", environment="local")
        body = draft(seller=SELLER, buyer=BUYER, buyer_name="Gmina Nabywca")
        body["Podmiot3"] = [
            {"DaneIdentyfikacyjne": {"NIP": THIRD, "Nazwa": "Szkoła Podstawowa nr 1"}, "Rola": 8}
        ]  # Rola 8: the JST unit that receives it
        with fk.running_worker():
            issued = fk.invoices.issue(seller.id, body).invoice
            done = fk.invoices.wait(seller.id, issued.id, timeout=60)
            assert done.status == states.ACCEPTED, done

        first = fk.ksef.sync(third.id)  # the first sync of a company asks every subject type
        assert first.new == 1 and first.self_billed == 0
        (row,) = fk.received.list(third.id).items
        assert row.third_party and row.ksef_number == done.ksef_number and row.seller.nip == SELLER
        view = fk.received.get(third.id, row.id)
        assert view.third_party and view.totals.net == done.totals.net  # list columns filled
        assert fk.invoices.list(third.id).items == ()

        bought = fk.ksef.sync(buyer.id)  # the buyer: an ordinary purchase
        (purchase,) = fk.received.list(buyer.id).items
        assert bought.new == 1 and not purchase.third_party

        with fk.ctx.db.transaction() as s:  # read the window again: known, not stored twice
            cp = repo.checkpoint(s, third.id, "Subject3", datetime.now(UTC))
            cp.from_date = datetime.now(UTC) - timedelta(days=1)
        again = sync_company(fk.ctx, THIRD, subject_types=("Subject3",))
        assert (again.new, again.known) == (0, 1)
        assert len(fk.received.list(third.id).items) == 1
