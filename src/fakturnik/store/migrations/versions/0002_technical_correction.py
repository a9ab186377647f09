"""Technical correction of a rejected offline invoice: the replaced file's hash and bytes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrected_hash", sa.String(length=44), nullable=True))
        batch_op.add_column(sa.Column("corrected_xml", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("corrected_xml")
        batch_op.drop_column("corrected_hash")
