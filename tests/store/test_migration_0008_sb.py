"""0008_sb: ``invoices.origin`` (who issued a sale the company did not issue) keeps the rows it finds."""

from __future__ import annotations

from sqlalchemy import inspect, select, text

from fakturnik.store import repo, states
from fakturnik.store.db import Database
from fakturnik.store.migrate import downgrade
from fakturnik.store.models import Invoice


def _invoice(db: Database, number: str, origin: str | None) -> None:
    with db.transaction() as s:
        company = repo.company_by_nip(s, "5265877635") if number != "FV/1" else None
        if company is None:
            company = repo.add_company(s, nip="5265877635", name="Sprzedawca")
        inv = repo.add_invoice(
            s,
            company=company,
            direction="issued",
            xml=b"<Faktura/>",
            sha256="x" * 44,
            number=number,
            seller_nip="5265877635",
            status=states.ACCEPTED,
        )
        inv.origin = origin


def test_origin_added_and_removed_with_the_rows_kept(db: Database) -> None:
    _invoice(db, "FV/1", None)
    _invoice(db, "SF/7740001454/FV/2026/000001", states.BY_BUYER)
    downgrade(db.engine, "0007_c16")
    columns = {c["name"] for c in inspect(db.engine).get_columns("invoices")}
    assert "origin" not in columns
    assert "ix_invoices_origin" not in {i["name"] for i in inspect(db.engine).get_indexes("invoices")}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM invoices")).scalar() == 2
    db.upgrade()
    assert "ix_invoices_origin" in {i["name"] for i in inspect(db.engine).get_indexes("invoices")}
    with db.transaction() as s:  # what was there before 0008_sb was issued by the company itself
        assert set(s.scalars(select(Invoice.origin))) == {None}
    _invoice(db, "SF/7740001454/FV/2026/000002", states.BY_BUYER)
    with db.transaction() as s:
        marked = s.scalars(select(Invoice.number).where(Invoice.origin == states.BY_BUYER)).all()
        assert marked == ["SF/7740001454/FV/2026/000002"]
