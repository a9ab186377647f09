"""The bulk path's batched writes (app/issuing.py store_chunk): every result is its own invoice, with its
own number, document, status history, outbox entry and audit entry (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from fakturnik.app import Fakturnik
from fakturnik.base.warsaw import warsaw_today
from fakturnik.store.models import AuditEntry, Invoice, InvoiceStatusChange, OutboxEntry
from tests.app.conftest import company_id
from tests.app.kit import NIP_A, draft


def test_a_big_mixed_bulk_maps_every_result_to_its_own_rows(fk_db: Fakturnik) -> None:
    a = company_id(fk_db, NIP_A)
    year = warsaw_today().year
    items: list[dict[str, object] | bytes] = []
    keys: list[str | None] = []
    for i in range(700):  # two chunks: auto numbers, own numbers, keys, a bad one, a repeated key
        if i % 7 == 3:
            items.append(draft(number=f"WŁ/{year}/{i:04d}", net=f"{i + 1}.00"))
        elif i == 350:
            bad = draft()
            bad["Fa"]["FaWiersz"][0]["P_12"] = "24"  # type: ignore[index]
            items.append(bad)
        else:
            items.append(draft(net=f"{i + 1}.00"))
        keys.append(f"k-{i}" if i % 5 == 0 else None)
    items.append(draft(net="1.00"))  # the same key and body as item 0: that invoice again
    keys.append("k-0")
    result = fk_db.invoices.issue_many(a, items, idempotency_keys=keys)
    assert result.failed_count == 1 and not result.items[350].ok
    first, again = result.items[0].invoice, result.items[-1].invoice
    assert result.items[-1].replayed and first is not None and again is not None and again.id == first.id
    made = [(r.index, r.invoice) for r in result.items[:-1] if r.invoice is not None]
    assert len({inv.id for _, inv in made}) == len(made) == 699
    for index, inv in made:  # each result is the invoice made from its own item
        assert inv.totals.net is not None and int(inv.totals.net) == index + 1
        if index % 7 == 3:
            assert inv.number == f"WŁ/{year}/{index:04d}"
        xml = bytes(fk_db.invoices.xml(a, inv.id))
        assert f"<P_2>{inv.number}</P_2>".encode() in xml
    with fk_db.ctx.db.transaction() as s:
        ids = [inv.id for _, inv in made]
        assert s.scalar(select(func.count()).select_from(Invoice).where(Invoice.company_id == a)) == 699
        for model, column in (
            (InvoiceStatusChange, InvoiceStatusChange.invoice_id),
            (OutboxEntry, OutboxEntry.invoice_id),
            (AuditEntry, AuditEntry.invoice_id),
        ):
            per_invoice = Counter(s.scalars(select(column).where(column.in_(ids))))
            assert set(per_invoice) == set(ids) and set(per_invoice.values()) == {1}, model.__name__
        hashes = s.execute(select(Invoice.idempotency_key, Invoice.request_hash)).all()
    # the request's hash is kept where a key may be replayed, and only there
    assert all((key is None) == (digest is None) for key, digest in hashes)
