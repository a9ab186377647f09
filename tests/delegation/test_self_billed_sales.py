"""The seller sees the invoices its buyer self-billed in its name, as its sales; each side sees it once.

Against the simulator's prod profile, two installations as in life (and, once, both companies in
one database): the seller grants SelfInvoicing; the buyer issues in the seller's name through the
application; the seller's sync (Subject1, isSelfInvoicing) brings it in as an issued, accepted
invoice marked as issued by the buyer; the buyer's own sync (Subject2) does not bring it back as a
received invoice a second time, while the seller's ordinary invoice to the buyer arrives as received.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fakturnik.app import Fakturnik
from fakturnik.app.filters import InvoiceFilter
from fakturnik.engine.settings import EngineSettings
from fakturnik.engine.sync import sync_company
from fakturnik.errors import InputError
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from fakturnik.store.models import AuditEntry, OutboxEntry
from tests.app.kit import draft
from tests.delegation.kit import ksef_certificate, random_nip
from tests.delegation.test_self_billing_end_to_end import BUYER_NAME, SELLER_NAME, self_billed
from tests.store.pg import fresh_pg_database


@contextmanager
def installation(path: Path, database_url: str | None = None) -> Iterator[Fakturnik]:
    with Fakturnik.open(
        path, database_url=database_url, settings=EngineSettings.fast(), use_keyring=False
    ) as fk:
        yield fk


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seller_db(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
    else:
        with fresh_pg_database() as url:
            yield url


def _companies(sim: SimulatorServer, seller_fk: Fakturnik, buyer_fk: Fakturnik) -> tuple[int, int, str, str]:
    seller_nip, buyer_nip = random_nip(), random_nip()
    url = sim.base_url
    seller = seller_fk.companies.add(seller_nip, SELLER_NAME, "local", url)
    cert = ksef_certificate(sim, "Nip", seller_nip, SELLER_NAME)
    seller_fk.companies.set_certificate(seller.id, cert.cert_pem, cert.key_pem)
    buyer = buyer_fk.companies.add(buyer_nip, BUYER_NAME, "local", url)
    cert = ksef_certificate(sim, "Nip", buyer_nip, BUYER_NAME)
    buyer_fk.companies.set_certificate(buyer.id, cert.cert_pem, cert.key_pem)
    granted = seller_fk.permissions.grant_authorization(seller.id, buyer_nip, "self_billing", name=BUYER_NAME)
    assert granted.ok, granted.message
    return seller.id, buyer.id, seller_nip, buyer_nip


def _ordinary_sale(seller_nip: str, buyer_nip: str) -> dict[str, object]:
    body = draft(seller=seller_nip, buyer=buyer_nip, buyer_name=BUYER_NAME)
    body["Podmiot1"]["DaneIdentyfikacyjne"]["Nazwa"] = SELLER_NAME  # type: ignore[index]
    return body


def test_the_seller_sees_the_sale_its_buyer_self_billed_once_each_side(
    prod_sim: SimulatorServer, tmp_path: Path, seller_db: str | None
) -> None:
    with (
        installation(tmp_path / "sprzedawca", seller_db) as seller_fk,
        installation(tmp_path / "nabywca") as buyer_fk,
    ):
        seller_id, buyer_id, seller_nip, buyer_nip = _companies(prod_sim, seller_fk, buyer_fk)
        with seller_fk.running_worker():  # the seller's own invoice to the same buyer
            own = seller_fk.invoices.issue(seller_id, _ordinary_sale(seller_nip, buyer_nip)).invoice
            own_done = seller_fk.invoices.wait(seller_id, own.id, timeout=60)
            assert own_done.status == states.ACCEPTED, own_done
        with buyer_fk.running_worker():
            issued = buyer_fk.invoices.issue(buyer_id, self_billed(seller_nip, "1")).invoice
            done = buyer_fk.invoices.wait(buyer_id, issued.id, timeout=60)
            assert done.status == states.ACCEPTED, done
        assert done.ksef_number and done.ksef_number.startswith(seller_nip)

        # the seller's sync: the self-billed invoice arrives as its sale, issued by the buyer
        result = seller_fk.ksef.sync(seller_id)
        assert (result.new, result.self_billed) == (1, 1)
        sales = seller_fk.invoices.list(seller_id).items
        assert sorted(r.ksef_number or "" for r in sales) == sorted(
            [own_done.ksef_number or "", done.ksef_number]
        )
        (imported,) = [r for r in sales if r.issued_by_buyer]
        assert imported.ksef_number == done.ksef_number and imported.number == issued.number
        assert imported.status == states.ACCEPTED and imported.direction == "issued"
        assert imported.seller.nip == seller_nip and imported.buyer.nip == buyer_nip
        assert imported.totals.gross == done.totals.gross and imported.totals.net == done.totals.net
        assert imported.totals.vat == done.totals.vat and imported.sale_date == done.sale_date
        only = seller_fk.invoices.list(seller_id, InvoiceFilter(issued_by="buyer")).items
        assert [r.id for r in only] == [imported.id]
        mine = seller_fk.invoices.list(seller_id, InvoiceFilter(issued_by="company")).items
        assert [r.id for r in mine] == [own.id]
        view = seller_fk.invoices.get(seller_id, imported.id)
        assert view.issued_by is not None and view.issued_by.kind == "buyer"
        assert view.issued_by.name == BUYER_NAME and view.issued_by.label == (
            f"nabywca: {BUYER_NAME} (samofakturowanie)"
        )
        assert view.acquired_at is not None and not view.upo_available
        assert seller_fk.invoices.xml(seller_id, imported.id) == buyer_fk.invoices.xml(buyer_id, issued.id)
        assert seller_fk.received.list(seller_id).items == ()
        with seller_fk.ctx.db.transaction() as s:  # no outbox entry: the seller never sends it
            assert s.query(OutboxEntry).filter_by(invoice_id=imported.id).count() == 0
            actions = [a.action for a in s.query(AuditEntry).filter_by(invoice_id=imported.id)]
            assert actions == ["invoice.imported"]
        assert seller_fk.invoices.pdf(seller_id, imported.id).startswith(b"%PDF")

        # the buyer's sync: the seller's ordinary invoice is received; its own self-billed one stays
        # one issued invoice (not received a second time)
        bought = buyer_fk.ksef.sync(buyer_id)
        assert (bought.new, bought.self_billed) == (1, 0)
        (received,) = buyer_fk.received.list(buyer_id).items
        assert received.ksef_number == own_done.ksef_number
        assert [r.id for r in buyer_fk.invoices.list(buyer_id).items] == [issued.id]

        # again: nothing new on either side
        assert seller_fk.ksef.sync(seller_id).new == 0  # Subject2 again; Subject1 waits its 15 min
        with seller_fk.ctx.db.transaction() as s:  # the same window read again: known, not stored twice
            cp = repo.checkpoint(s, seller_id, "Subject1", datetime.now(UTC))
            cp.from_date = datetime.now(UTC) - timedelta(days=1)
        repeat = sync_company(seller_fk.ctx, seller_nip, subject_types=("Subject1",))
        assert (repeat.new, repeat.known, repeat.exports) == (0, 1, 1)
        assert buyer_fk.ksef.sync(buyer_id).new == 0
        assert len(seller_fk.invoices.list(seller_id).items) == 2
        with pytest.raises(InputError):
            seller_fk.invoices.list(seller_id, InvoiceFilter(issued_by="nobody"))  # type: ignore[arg-type]


def test_seller_and_buyer_in_one_database(prod_sim: SimulatorServer, tmp_path: Path) -> None:
    """One installation keeps both companies (an office, say): each sees the invoice once, in its role."""
    with installation(tmp_path / "biuro") as fk:
        seller_id, buyer_id, seller_nip, _ = _companies(prod_sim, fk, fk)
        with fk.running_worker():
            issued = fk.invoices.issue(buyer_id, self_billed(seller_nip, "wspólna")).invoice
            done = fk.invoices.wait(buyer_id, issued.id, timeout=60)
            assert done.status == states.ACCEPTED, done
        assert fk.ksef.sync(seller_id).self_billed == 1
        buyer_side = fk.ksef.sync(buyer_id)
        assert buyer_side.new == 0
        (sale,) = fk.invoices.list(seller_id).items
        assert sale.issued_by_buyer and sale.ksef_number == done.ksef_number
        (own,) = fk.invoices.list(buyer_id).items
        assert own.id == issued.id and not own.issued_by_buyer
        assert fk.received.list(buyer_id).items == () and fk.received.list(seller_id).items == ()
