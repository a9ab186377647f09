"""fe7: the list's covering index holds net, VAT, paid, due date and kind too; audit entries by invoice."""

from __future__ import annotations

from alembic import op

from fakturnik.store.migrations.columns import INVOICES_COVER_0003

revision = "0007_fe7"
down_revision = "0006_e10"

_ADDED = ["net", "vat", "paid_amount", "due_date", "kind"]


def upgrade() -> None:
    # the list's totals (count, gross, net, VAT, unpaid) and filters read this index only, never the
    # rows with their XML
    op.drop_index("ix_invoices_cover", table_name="invoices")
    op.create_index("ix_invoices_cover", "invoices", [*INVOICES_COVER_0003, *_ADDED], unique=False)
    op.create_index("ix_audit_log_invoice", "audit_log", ["invoice_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_invoice", table_name="audit_log")
    op.drop_index("ix_invoices_cover", table_name="invoices")
    op.create_index("ix_invoices_cover", "invoices", INVOICES_COVER_0003, unique=False)
