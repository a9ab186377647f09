"""The throttle's books shared by every machine of one store; login failures counted in the store."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.migrations.columns import id_key, primary_key
from fakturnik.store.models import UtcDateTime

revision = "0006_r14"
down_revision = "0005_web"


def upgrade() -> None:
    op.create_table(
        "throttle_slots",
        *id_key("throttle_slots"),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("reserved", sa.Double(), nullable=False),
        sa.Column("done", sa.Double(), nullable=True),
    )
    op.create_index("ix_throttle_slots_key_done", "throttle_slots", ["key", "done"])
    op.create_table(
        "throttle_blocks",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("until", sa.Double(), nullable=False),
        primary_key("throttle_blocks", "key"),
    )
    op.create_table(
        "login_failures",
        *id_key("login_failures"),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_login_failures_key_at", "login_failures", ["key", "at"])


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("throttle_blocks")
    op.drop_table("throttle_slots")
