"""Web: invoice drafts saved from the form; SMTP settings per company; recurring invoices."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.migrations.columns import company_keys, primary_key, reference
from fakturnik.store.models import UtcDateTime

revision = "0005_web"
down_revision = "0004_webhooks"


def upgrade() -> None:
    op.create_table(
        "invoice_drafts",
        *company_keys("invoice_drafts"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_invoice_drafts_company", "invoice_drafts", ["company_id", "updated_at"])
    op.create_table(
        "company_mail_settings",
        *reference("company_mail_settings", "company_id", "companies"),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("security", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("password_secret", sa.String(length=256), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        primary_key("company_mail_settings", "company_id"),
    )
    op.create_table(
        "recurring_invoices",
        *company_keys("recurring_invoices"),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("day_of_month", sa.Integer(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=True),
        sa.Column("email_to", sa.String(length=320), nullable=False),
        sa.Column("next_run", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *reference("recurring_invoices", "last_invoice_id", "invoices", nullable=True),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_recurring_invoices_due", "recurring_invoices", ["active", "next_run"])
    op.create_index(op.f("ix_recurring_invoices_company_id"), "recurring_invoices", ["company_id"])


def downgrade() -> None:
    op.drop_table("recurring_invoices")
    op.drop_table("company_mail_settings")
    op.drop_table("invoice_drafts")
