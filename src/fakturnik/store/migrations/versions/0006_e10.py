"""The session UPO of each KSeF session, stored as soon as KSeF has it (one row per UPO page)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.migrations.columns import id_key, reference
from fakturnik.store.models import UtcDateTime

revision = "0006_e10"
down_revision = "0006_k12"


def upgrade() -> None:
    op.create_table(
        "session_upos",
        *id_key("session_upos"),
        *reference("session_upos", "session_id", "ksef_sessions"),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("reference_number", sa.String(length=64), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=44), nullable=False),
        sa.Column("fetched_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("session_id", "page", name="uq_session_upos_page"),
    )


def downgrade() -> None:
    op.drop_table("session_upos")
