"""web: invoice drafts saved from the form; SMTP settings per company; recurring invoices

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
    op.create_table(
        "recurring_invoices",
        sa.Column("id", _ID, nullable=False),
        sa.Column("company_id", _ID, nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("day_of_month", sa.Integer(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=True),
        sa.Column("email_to", sa.String(length=320), nullable=False),
        sa.Column("next_run", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_invoice_id", _ID, nullable=True),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_recurring_invoices_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["last_invoice_id"], ["invoices.id"], name=op.f("fk_recurring_invoices_last_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_invoices")),
    )
    op.create_index("ix_recurring_invoices_due", "recurring_invoices", ["active", "next_run"])
    op.create_index(op.f("ix_recurring_invoices_company_id"), "recurring_invoices", ["company_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recurring_invoices_company_id"), table_name="recurring_invoices")
    op.drop_index("ix_recurring_invoices_due", table_name="recurring_invoices")
    op.drop_table("recurring_invoices")
    op.drop_table("company_mail_settings")
    op.drop_index("ix_invoice_drafts_company", table_name="invoice_drafts")
    op.drop_table("invoice_drafts")
