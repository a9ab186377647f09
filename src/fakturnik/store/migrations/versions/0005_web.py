"""web: invoice drafts saved from the form; SMTP settings per company

Revision ID: 0005_web
Revises: 0004_webhooks
Create Date: 2026-12-07 06:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.models import UtcDateTime

revision = "0005_web"
down_revision = "0004_webhooks"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "invoice_drafts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("company_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_invoice_drafts_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_drafts")),
    )
    op.create_index("ix_invoice_drafts_company", "invoice_drafts", ["company_id", "updated_at"])
    op.create_table(
        "company_mail_settings",
        sa.Column("company_id", _ID, nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("security", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("password_secret", sa.String(length=256), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_company_mail_settings_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_company_mail_settings")),
    )


def downgrade() -> None:
    op.drop_table("company_mail_settings")
    op.drop_index("ix_invoice_drafts_company", table_name="invoice_drafts")
    op.drop_table("invoice_drafts")
