"""Per-issuer login: the credential that must send an outbox entry, and the one that opened a session."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.migrations.columns import ID

revision = "0007_c16"
down_revision = "0007_fe7"

_TABLES = ("outbox", "ksef_sessions")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("credential_id", ID, nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_credential_id_credentials"), "credentials", ["credential_id"], ["id"]
            )


def downgrade() -> None:
    for table in reversed(_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_credential_id_credentials"), type_="foreignkey")
            batch_op.drop_column("credential_id")
