"""e10: the session UPO of each KSeF session, stored as soon as KSeF has it (one row per UPO page)

Revision ID: 0006_e10
Revises: 0005_web
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.models import UtcDateTime

revision = "0006_e10"
down_revision = "0006_k12"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "session_upos",
        sa.Column("id", _ID, nullable=False),
        sa.Column("session_id", _ID, nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("reference_number", sa.String(length=64), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=44), nullable=False),
        sa.Column("fetched_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["ksef_sessions.id"], name=op.f("fk_session_upos_session_id_ksef_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_upos")),
        sa.UniqueConstraint("session_id", "page", name="uq_session_upos_page"),
    )


def downgrade() -> None:
    op.drop_table("session_upos")
