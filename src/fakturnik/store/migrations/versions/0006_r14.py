"""r14: the throttle's books shared by every machine of one store; login failures counted in the store

Revision ID: 0006_r14
Revises: 0005_web
Create Date: 2026-12-07 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.models import UtcDateTime

revision = "0006_r14"
down_revision = "0005_web"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "throttle_slots",
        sa.Column("id", _ID, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("reserved", sa.Double(), nullable=False),
        sa.Column("done", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_slots")),
    )
    op.create_index("ix_throttle_slots_key_done", "throttle_slots", ["key", "done"])
    op.create_table(
        "throttle_blocks",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("until", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle_blocks")),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", _ID, nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_key_at", "login_failures", ["key", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_key_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("throttle_blocks")
    op.drop_index("ix_throttle_slots_key_done", table_name="throttle_slots")
    op.drop_table("throttle_slots")
