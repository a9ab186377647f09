"""sb: invoices someone else issued in the company's name (a sale self-billed by its buyer)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_sb"
down_revision = "0007_c16"

_WHERE = sa.text("origin IS NOT NULL")


def upgrade() -> None:
    op.add_column("invoices", sa.Column("origin", sa.String(length=16), nullable=True))
    op.create_index(
        "ix_invoices_origin",
        "invoices",
        ["company_id", "direction", "origin"],
        unique=False,
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_origin", table_name="invoices")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite ≥ 3.35 drops a column in place: a copy of the table (Alembic's batch mode) could not
        # drop the old one while status history, outbox and UPO rows refer to its invoices
        op.execute("ALTER TABLE invoices DROP COLUMN origin")
    else:
        op.drop_column("invoices", "origin")
