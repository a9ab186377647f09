"""App: accounts, contractors, products, numbering; invoice columns for lists, payments, corrections."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fakturnik.store.migrations.columns import (
    INVOICES_COVER_0003,
    company_keys,
    id_key,
    index,
    primary_key,
    reference,
    unique,
)
from fakturnik.store.models import UtcDateTime

revision = "0003_app"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "users",
        *id_key("users"),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("totp_secret_name", sa.String(length=256), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_login_at", UtcDateTime(), nullable=True),
        unique("users", "email"),
    )
    op.create_table(
        "white_list_cache",
        sa.Column("nip", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("fetched_at", UtcDateTime(), nullable=False),
        primary_key("white_list_cache", "nip", "day"),
    )
    op.create_table(
        "api_keys",
        *company_keys("api_keys"),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=256), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        unique("api_keys", "token_hash"),
    )
    index("api_keys", "company_id")
    op.create_table(
        "company_profiles",
        *reference("company_profiles", "company_id", "companies"),
        sa.Column("address", sa.String(length=512), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("bank_account", sa.String(length=64), nullable=False),
        sa.Column("credential_info", sa.JSON(), nullable=False),
        primary_key("company_profiles", "company_id"),
    )
    op.create_table(
        "contractors",
        *company_keys("contractors"),
        sa.Column("nip", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("address_line1", sa.String(length=512), nullable=False),
        sa.Column("address_line2", sa.String(length=512), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("bank_accounts", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_contractors_company_name", "contractors", ["company_id", "name"])
    op.create_index("ix_contractors_company_nip", "contractors", ["company_id", "nip"])
    op.create_table(
        "invitations",
        *company_keys("invitations"),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("accepted_at", UtcDateTime(), nullable=True),
        unique("invitations", "token_hash"),
    )
    index("invitations", "company_id")
    op.create_table(
        "memberships",
        *id_key("memberships"),
        *reference("memberships", "user_id", "users"),
        *reference("memberships", "company_id", "companies"),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "company_id", name="uq_memberships_key"),
    )
    index("memberships", "company_id")
    op.create_table(
        "numbering_configs",
        *company_keys("numbering_configs"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("pattern", sa.String(length=128), nullable=False),
        sa.Column("reset", sa.String(length=8), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("company_id", "kind", name="uq_numbering_configs_key"),
    )
    op.create_table(
        "products",
        *company_keys("products"),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("price", sa.Numeric(precision=22, scale=8), nullable=False),
        sa.Column("price_kind", sa.String(length=8), nullable=False),
        sa.Column("vat_rate", sa.String(length=16), nullable=False),
        sa.Column("gtu", sa.String(length=8), nullable=True),
        sa.Column("pkwiu", sa.String(length=64), nullable=True),
        sa.Column("cn", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_products_company_name", "products", ["company_id", "name"])
    op.create_table(
        "user_sessions",
        *id_key("user_sessions"),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        *reference("user_sessions", "user_id", "users"),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        unique("user_sessions", "token_hash"),
    )
    index("user_sessions", "user_id")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sale_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("net", sa.Numeric(precision=18, scale=2), nullable=True))
        batch_op.add_column(sa.Column("vat", sa.Numeric(precision=18, scale=2), nullable=True))
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("paid_amount", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("paid_at", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("booked_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("corrects_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_index("ix_invoices_buyer", ["company_id", "buyer_id"], unique=False)
        batch_op.create_index("ix_invoices_company_number", ["company_id", "number"], unique=False)
        batch_op.create_index(
            "ix_invoices_issue_date", ["company_id", "direction", "issue_date"], unique=False
        )
        batch_op.create_index("ix_invoices_list", ["company_id", "direction", "id"], unique=False)
        batch_op.create_index("ix_invoices_seller", ["company_id", "seller_nip"], unique=False)
        batch_op.create_index("ix_invoices_status_list", ["company_id", "direction", "status"], unique=False)
        batch_op.create_index(
            "ix_invoices_offline_pending",
            ["company_id", "offline_deadline"],
            unique=False,
            sqlite_where=sa.text("offline_mode = 1 AND ksef_number IS NULL"),
            postgresql_where=sa.text("offline_mode AND ksef_number IS NULL"),
        )
        batch_op.create_index("ix_invoices_cover", INVOICES_COVER_0003, unique=False)
        batch_op.create_unique_constraint("uq_invoices_idempotency_key", ["company_id", "idempotency_key"])
        batch_op.create_foreign_key(
            batch_op.f("fk_invoices_corrects_id_invoices"), "invoices", ["corrects_id"], ["id"]
        )

    with op.batch_alter_table("numbering_series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("month", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint(batch_op.f("uq_numbering_series_key"), type_="unique")
        batch_op.create_unique_constraint("uq_numbering_series_key", ["seller_nip", "kind", "year", "month"])


def downgrade() -> None:
    with op.batch_alter_table("numbering_series", schema=None) as batch_op:
        batch_op.drop_constraint("uq_numbering_series_key", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_numbering_series_key"), ["seller_nip", "kind", "year"]
        )
        batch_op.drop_column("month")

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invoices_corrects_id_invoices"), type_="foreignkey")
        batch_op.drop_constraint("uq_invoices_idempotency_key", type_="unique")
        batch_op.drop_index("ix_invoices_cover")
        batch_op.drop_index("ix_invoices_offline_pending")
        batch_op.drop_index("ix_invoices_status_list")
        batch_op.drop_index("ix_invoices_seller")
        batch_op.drop_index("ix_invoices_list")
        batch_op.drop_index("ix_invoices_issue_date")
        batch_op.drop_index("ix_invoices_company_number")
        batch_op.drop_index("ix_invoices_buyer")
        batch_op.drop_column("corrects_id")
        batch_op.drop_column("request_hash")
        batch_op.drop_column("idempotency_key")
        batch_op.drop_column("booked_at")
        batch_op.drop_column("paid_at")
        batch_op.drop_column("paid_amount")
        batch_op.drop_column("due_date")
        batch_op.drop_column("vat")
        batch_op.drop_column("net")
        batch_op.drop_column("sale_date")

    op.drop_table("user_sessions")
    op.drop_table("products")
    op.drop_table("numbering_configs")
    op.drop_table("memberships")
    op.drop_table("invitations")
    op.drop_table("contractors")
    op.drop_table("company_profiles")
    op.drop_table("api_keys")
    op.drop_table("white_list_cache")
    op.drop_table("users")
