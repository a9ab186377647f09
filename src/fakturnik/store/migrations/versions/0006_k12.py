"""companies.issue_strictness (what issuing refuses); collective_identifiers (made through KSeF)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.migrations.columns import company_keys, unique
from fakturnik.store.models import UtcDateTime

revision = "0006_k12"
down_revision = "0006_d16perm"


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(
            sa.Column("issue_strictness", sa.String(length=8), nullable=False, server_default="all")
        )
    op.create_table(
        "collective_identifiers",
        *company_keys("collective_identifiers"),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_name", sa.String(length=512), nullable=False),
        sa.Column("ksef_numbers", sa.JSON(), nullable=False),
        sa.Column("invoice_ids", sa.JSON(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        unique("collective_identifiers", "number"),
    )
    op.create_index(
        "ix_collective_identifiers_company", "collective_identifiers", ["company_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("collective_identifiers")
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("issue_strictness")
