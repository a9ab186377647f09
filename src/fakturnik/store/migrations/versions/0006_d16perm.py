"""Offices and co-workers: a credential may name the accounting office company or its owner user."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.migrations.columns import ID

revision = "0006_d16perm"
down_revision = "0006_d16cred"


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_company_id", ID, nullable=True))
        batch_op.add_column(sa.Column("owner_user_id", ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_credentials_office_company_id_companies"),
            "companies",
            ["office_company_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_credentials_owner_user_id_users"), "users", ["owner_user_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_credentials_owner_user_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_credentials_office_company_id_companies"), type_="foreignkey")
        batch_op.drop_column("owner_user_id")
        batch_op.drop_column("office_company_id")
