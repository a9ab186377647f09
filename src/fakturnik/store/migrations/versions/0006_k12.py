"""companies.issue_strictness (what issuing refuses); collective_identifiers (made through KSeF)

Revision ID: 0006_k12
Revises: 0005_web
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.models import UtcDateTime

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0006_k12"
down_revision = "0006_d16perm"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(
            sa.Column("issue_strictness", sa.String(length=8), nullable=False, server_default="all")
        )
    op.create_table(
        "collective_identifiers",
        sa.Column("id", _ID, nullable=False),
        sa.Column("company_id", _ID, nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_name", sa.String(length=512), nullable=False),
        sa.Column("ksef_numbers", sa.JSON(), nullable=False),
        sa.Column("invoice_ids", sa.JSON(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_collective_identifiers_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collective_identifiers")),
        sa.UniqueConstraint("number", name=op.f("uq_collective_identifiers_number")),
    )
    op.create_index(
        "ix_collective_identifiers_company", "collective_identifiers", ["company_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_collective_identifiers_company", table_name="collective_identifiers")
    op.drop_table("collective_identifiers")
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("issue_strictness")
