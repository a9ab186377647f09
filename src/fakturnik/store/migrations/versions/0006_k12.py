"""companies.issue_strictness: what issuing refuses (all errors, or only what KSeF rejects)

Revision ID: 0006_k12
Revises: 0005_web
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_k12"
down_revision = "0005_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(
            sa.Column("issue_strictness", sa.String(length=8), nullable=False, server_default="all")
        )


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("issue_strictness")
