"""Initial schema: companies, credentials, invoices, the outbox, KSeF sessions, batches, UPOs, audit log."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.migrations.columns import company_keys, id_key, index, primary_key, reference, unique

SQLITE_AUDIT_TRIGGERS = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]
PG_AUDIT_TRIGGERS = [
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
    """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
]

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "companies",
        *id_key("companies"),
        sa.Column("nip", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("base_url", sa.String(length=512), nullable=True),
        sa.Column("context_type", sa.String(length=16), nullable=False),
        sa.Column("context_value", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        unique("companies", "nip"),
    )
    op.create_table(
        "numbering_series",
        *id_key("numbering_series"),
        sa.Column("seller_nip", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=128), nullable=False),
        sa.Column("next_value", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("seller_nip", "kind", "year", name="uq_numbering_series_key"),
    )
    op.create_table(
        "outages",
        *id_key("outages"),
        sa.Column("api_base", sa.String(length=512), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
    )
    index("outages", "api_base")
    op.create_table(
        "vault_secrets",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        primary_key("vault_secrets", "name"),
    )
    op.create_table(
        "credentials",
        *company_keys("credentials"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("secret_name", sa.String(length=256), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    index("credentials", "company_id")
    op.create_table(
        "invoices",
        *company_keys("invoices"),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=256), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("seller_nip", sa.String(length=32), nullable=False),
        sa.Column("seller_name", sa.String(length=512), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_name", sa.String(length=512), nullable=False),
        sa.Column("gross", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=44), nullable=False),
        sa.Column("ksef_number", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("offline_mode", sa.Boolean(), nullable=False),
        sa.Column("offline_kind", sa.String(length=16), nullable=True),
        sa.Column("offline_deadline", sa.Date(), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("acquired_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint(
            "company_id", "direction", "seller_nip", "kind", "number", name="uq_invoices_number"
        ),
        sa.UniqueConstraint("company_id", "direction", "ksef_number", name="uq_invoices_ksef_number"),
    )
    op.create_index("ix_invoices_company_status", "invoices", ["company_id", "status"])
    index("invoices", "sha256")
    op.create_table(
        "ksef_sessions",
        *company_keys("ksef_sessions"),
        sa.Column("reference_number", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.String(length=128), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("valid_until", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("invoice_count", sa.Integer(), nullable=False),
        unique("ksef_sessions", "reference_number"),
    )
    index("ksef_sessions", "company_id")
    op.create_table(
        "sync_checkpoints",
        *company_keys("sync_checkpoints"),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("from_date", sa.DateTime(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("last_count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("company_id", "subject_type", name="uq_sync_checkpoints_key"),
    )
    op.create_table(
        "audit_log",
        *id_key("audit_log"),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        *reference("audit_log", "company_id", "companies", nullable=True),
        *reference("audit_log", "invoice_id", "invoices", nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_table(
        "batches",
        *id_key("batches"),
        *reference("batches", "session_id", "ksef_sessions"),
        sa.Column("archive_sha256", sa.String(length=44), nullable=False),
        sa.Column("archive_size", sa.BigInteger(), nullable=False),
        sa.Column("part_count", sa.Integer(), nullable=False),
        sa.Column("invoice_count", sa.Integer(), nullable=False),
        sa.Column("uploaded", sa.Boolean(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        unique("batches", "session_id"),
    )
    op.create_table(
        "invoice_status_history",
        *id_key("invoice_status_history"),
        *reference("invoice_status_history", "invoice_id", "invoices"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    index("invoice_status_history", "invoice_id")
    op.create_table(
        "outbox",
        *id_key("outbox"),
        *reference("outbox", "invoice_id", "invoices"),
        *reference("outbox", "company_id", "companies"),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("offline_mode", sa.Boolean(), nullable=False),
        sa.Column("invoice_hash", sa.String(length=44), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("session_ref", sa.String(length=40), nullable=True),
        sa.Column("session_kind", sa.String(length=8), nullable=True),
        sa.Column("invoice_ref", sa.String(length=40), nullable=True),
        sa.Column("send_started_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        unique("outbox", "invoice_id"),
    )
    index("outbox", "company_id")
    op.create_index("ix_outbox_due", "outbox", ["state", "next_attempt_at"])
    op.create_table(
        "upos",
        *id_key("upos"),
        *reference("upos", "invoice_id", "invoices"),
        sa.Column("ksef_number", sa.String(length=36), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=44), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        unique("upos", "invoice_id"),
    )

    dialect = op.get_bind().dialect.name
    for statement in SQLITE_AUDIT_TRIGGERS if dialect == "sqlite" else PG_AUDIT_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table("upos")
    op.drop_table("outbox")
    op.drop_table("invoice_status_history")
    op.drop_table("batches")
    op.drop_table("audit_log")
    op.drop_table("sync_checkpoints")
    op.drop_table("ksef_sessions")
    op.drop_table("invoices")
    op.drop_table("credentials")
    op.drop_table("vault_secrets")
    op.drop_table("outages")
    op.drop_table("numbering_series")
    op.drop_table("companies")
