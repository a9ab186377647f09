"""Webhooks: subscriptions, the events outbox, deliveries with retry state, attempts, scan positions."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.migrations.columns import ID, company_keys, id_key, index, primary_key, reference, unique
from fakturnik.store.models import UtcDateTime

revision = "0004_webhooks"
down_revision = "0003_app"


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        *company_keys("webhook_subscriptions"),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    index("webhook_subscriptions", "company_id")
    op.create_table(
        "webhook_events",
        *id_key("webhook_events"),
        sa.Column("uid", sa.String(length=36), nullable=False),
        *reference("webhook_events", "company_id", "companies"),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("event_key", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("company_id", "event_key", name="uq_webhook_events_key"),
        unique("webhook_events", "uid"),
    )
    op.create_table(
        "webhook_deliveries",
        *id_key("webhook_deliveries"),
        *reference("webhook_deliveries", "event_id", "webhook_events"),
        sa.Column("subscription_id", ID, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", UtcDateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
        ),
        sa.UniqueConstraint("event_id", "subscription_id", name="uq_webhook_deliveries_pair"),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["state", "next_attempt_at"])
    index("webhook_deliveries", "subscription_id")
    op.create_table(
        "webhook_attempts",
        *id_key("webhook_attempts"),
        sa.Column("delivery_id", ID, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
        ),
    )
    index("webhook_attempts", "delivery_id")
    op.create_table(
        "webhook_scan",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("last_id", ID, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        primary_key("webhook_scan", "source"),
    )


def downgrade() -> None:
    op.drop_table("webhook_scan")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_events")
    op.drop_table("webhook_subscriptions")
