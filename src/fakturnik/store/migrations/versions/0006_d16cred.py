"""KSeF certificate metadata on credentials (serial, type, validity, status, renewal chain); policy."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.migrations.columns import ID, primary_key, reference
from fakturnik.store.models import UtcDateTime

revision = "0006_d16cred"
down_revision = "0006_r14"


def upgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("serial", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("certificate_type", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("valid_from", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("valid_to", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("ksef_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("checked_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("replaces_id", ID, nullable=True))
        batch.add_column(sa.Column("revoked_at", UtcDateTime(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_credentials_replaces_id_credentials"), "credentials", ["replaces_id"], ["id"]
        )
    op.create_table(
        "certificate_policies",
        *reference("certificate_policies", "company_id", "companies"),
        sa.Column("renewal_margin_days", sa.Integer(), nullable=False),
        sa.Column("auto_renew", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        primary_key("certificate_policies", "company_id"),
    )


def downgrade() -> None:
    op.drop_table("certificate_policies")
    with op.batch_alter_table("credentials") as batch:
        batch.drop_constraint(batch.f("fk_credentials_replaces_id_credentials"), type_="foreignkey")
        for name in (
            "revoked_at",
            "replaces_id",
            "checked_at",
            "ksef_status",
            "valid_to",
            "valid_from",
            "certificate_type",
            "serial",
        ):
            batch.drop_column(name)
