"""SQLAlchemy 2 schema of the store: companies, secrets, invoices, outbox, sessions, UPOs, sync, audit.

Times are stored as naive UTC and read back as aware UTC (:class:`UtcDateTime`), so SQLite and
PostgreSQL behave the same.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Integer primary keys that autoincrement on SQLite (INTEGER) and are 64-bit on PostgreSQL.
Id = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        date: Date(),
        Decimal: Numeric(18, 2),
    }


class Company(Base):
    """A KSeF context (usually a NIP) in one environment."""

    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    nip: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(512), default="")
    environment: Mapped[str] = mapped_column(String(16))  # local | test | demo | prod | custom
    base_url: Mapped[str | None] = mapped_column(String(512))  # API base for local/custom
    context_type: Mapped[str] = mapped_column(String(16), default="Nip")
    context_value: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # --- issuing strictness (migration 0006_k12): "all" refuses every validation error (default),
    # "ksef" only what KSeF rejects (VAT-act and amounts problems become warnings); fa3.authority
    issue_strictness: Mapped[str] = mapped_column(String(8), default="all", server_default="all")


class Credential(Base):
    """How the engine logs a company in: a pointer to a vault secret, never the secret itself."""

    __tablename__ = "credentials"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    # ksef_token | certificate | offline_certificate | office | person_certificate (engine/companies.py)
    kind: Mapped[str] = mapped_column(String(32))
    secret_name: Mapped[str] = mapped_column(String(256))  # empty for ``office``
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # -- KSeF certificate metadata (d16cred: enroll / renew / revoke; migration 0006_d16cred) --
    serial: Mapped[str | None] = mapped_column(String(32))  # KSeF serial, 16 uppercase hex
    certificate_type: Mapped[str | None] = mapped_column(String(16))  # Authentication | Offline
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime())
    valid_to: Mapped[datetime | None] = mapped_column(UtcDateTime())  # as KSeF reports it (may shorten)
    ksef_status: Mapped[str | None] = mapped_column(String(16))  # Active | Blocked | Revoked | Expired
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # last time KSeF was asked
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"))  # the one renewed
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # offices and co-workers (0006_d16perm): ``office`` logs in with the active certificate of the
    # accounting office company named here, in this company's context (nothing is copied);
    # ``person_certificate`` is a co-worker's own KSeF certificate, owned by that user
    office_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CertificatePolicy(Base):
    """Per company: renew KSeF certificates automatically this many days before they expire (d16cred)."""

    __tablename__ = "certificate_policies"
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    renewal_margin_days: Mapped[int] = mapped_column(Integer, default=30)
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class VaultSecret(Base):
    """AES-GCM ciphertext of one secret (see ``fakturnik.vault``)."""

    __tablename__ = "vault_secrets"
    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    scope: Mapped[str] = mapped_column(String(128))  # company/context, bound as associated data
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(64))  # fingerprint of the master key used
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invoice(Base):
    """An invoice issued by a company or received by it, with the fields lists need."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint(
            "company_id", "direction", "seller_nip", "kind", "number", name="uq_invoices_number"
        ),
        # one KSeF number per company and direction (a seller and its buyer may share one database)
        UniqueConstraint("company_id", "direction", "ksef_number", name="uq_invoices_ksef_number"),
        Index("ix_invoices_company_status", "company_id", "status"),
        # app (0003_app): list paging newest first, filters by date, buyer, number; idempotent issuing
        Index("ix_invoices_list", "company_id", "direction", "id"),
        Index("ix_invoices_issue_date", "company_id", "direction", "issue_date"),
        Index("ix_invoices_buyer", "company_id", "buyer_id"),
        Index("ix_invoices_seller", "company_id", "seller_nip"),
        Index("ix_invoices_company_number", "company_id", "number"),
        Index("ix_invoices_status_list", "company_id", "direction", "status"),
        # offline invoices still waiting for a KSeF number (the outage banner on every page)
        Index(
            "ix_invoices_offline_pending",
            "company_id",
            "offline_deadline",
            sqlite_where=text("offline_mode = 1 AND ksef_number IS NULL"),
            postgresql_where=text("offline_mode AND ksef_number IS NULL"),
        ),
        # covers the free-text search (newest first, so a page stops early) and the count/sum of a
        # list: neither reads the rows (with their XML) of 100,000 invoices
        Index(
            "ix_invoices_cover",
            "company_id",
            "direction",
            "id",
            "number",
            "ksef_number",
            "buyer_name",
            "buyer_id",
            "seller_name",
            "seller_nip",
            "status",
            "issue_date",
            "currency",
            "gross",
            # fe7 (0007_fe7): the list's net/VAT/unpaid totals and its kind/paid/overdue filters
            "net",
            "vat",
            "paid_amount",
            "due_date",
            "kind",
        ),
        UniqueConstraint("company_id", "idempotency_key", name="uq_invoices_idempotency_key"),
        # sb (0008_sb): the few invoices someone else issued in the company's name (the list's filter)
        Index(
            "ix_invoices_origin",
            "company_id",
            "direction",
            "origin",
            sqlite_where=text("origin IS NOT NULL"),
            postgresql_where=text("origin IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    direction: Mapped[str] = mapped_column(String(8))  # issued | received
    kind: Mapped[str] = mapped_column(String(16), default="VAT")  # RodzajFaktury
    number: Mapped[str] = mapped_column(String(256))  # P_2
    issue_date: Mapped[date | None]
    seller_nip: Mapped[str] = mapped_column(String(32))
    seller_name: Mapped[str] = mapped_column(String(512), default="")
    buyer_id: Mapped[str] = mapped_column(String(64), default="")
    buyer_name: Mapped[str] = mapped_column(String(512), default="")
    gross: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(3), default="PLN")
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(44), index=True)
    ksef_number: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))
    offline_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    offline_kind: Mapped[str | None] = mapped_column(String(16))  # offline24 | offline | failure
    offline_deadline: Mapped[date | None]
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    acquired_at: Mapped[datetime | None]  # KSeF number assigned (received: acquisitionDate)
    # A technical correction (digest §10) replaced the file: the hash and bytes of the rejected offline
    # file as first issued (what the buyer holds, its KOD I), sent as hashOfCorrectedInvoice.
    corrected_hash: Mapped[str | None] = mapped_column(String(44))
    corrected_xml: Mapped[bytes | None] = mapped_column(LargeBinary)
    # app (0003_app): what lists filter and show, payments, booking, idempotency, corrections
    sale_date: Mapped[date | None]  # P_6
    net: Mapped[Decimal | None]  # sum of P_13_x
    vat: Mapped[Decimal | None]  # sum of P_14_x
    due_date: Mapped[date | None]  # Platnosc/TerminPlatnosci/Termin (the first)
    paid_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    paid_at: Mapped[date | None]
    booked_at: Mapped[datetime | None]  # received: marked as booked
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    # sb (0008_sb): who issued an invoice of the company that Fakturnik did not issue itself; None:
    # issued here (or, received, by its seller); "buyer": a sale the buyer self-billed in the company's
    # name (art. 106d), downloaded from KSeF (Subject1, isSelfInvoicing)
    origin: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    history: Mapped[list[InvoiceStatusChange]] = relationship(
        back_populates="invoice", order_by="InvoiceStatusChange.id", cascade="all"
    )


class InvoiceStatusChange(Base):
    __tablename__ = "invoice_status_history"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    invoice: Mapped[Invoice] = relationship(back_populates="history")


class NumberingSeries(Base):
    """Invoice numbers per seller and kind (and year); handed out inside the issuing transaction."""

    __tablename__ = "numbering_series"
    __table_args__ = (
        UniqueConstraint("seller_nip", "kind", "year", "month", name="uq_numbering_series_key"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    seller_nip: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)  # 0: a series that never resets
    month: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 1-12 when reset monthly
    pattern: Mapped[str] = mapped_column(String(128), default="FV/{year}/{seq:06d}")
    next_value: Mapped[int] = mapped_column(BigInteger, default=1)


class OutboxEntry(Base):
    """One invoice on its way to KSeF: queued → sending → sent | uncertain → accepted | rejected."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    offline_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    invoice_hash: Mapped[str] = mapped_column(String(44))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]
    session_ref: Mapped[str | None] = mapped_column(String(40))  # KSeF session the last send went to
    session_kind: Mapped[str | None] = mapped_column(String(8))  # online | batch
    invoice_ref: Mapped[str | None] = mapped_column(String(40))  # KSeF invoice reference number
    send_started_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # -- per-issuer login (c16; migration 0007_c16): the credential that must send this invoice —
    # the issuing co-worker's own KSeF certificate (engine/issuers.py decides at issue time);
    # NULL = the company's login credential. Claims and sessions are per (company, credential).
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"))


class KsefSession(Base):
    __tablename__ = "ksef_sessions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    reference_number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # online | batch
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed | failed
    opened_by: Mapped[str] = mapped_column(String(128), default="")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    invoice_count: Mapped[int] = mapped_column(Integer, default=0)
    # c16 (0007_c16): the login that opened it (NULL = the company's); only it may read the session
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"))


class Batch(Base):
    """The archive of a batch session (correlation data only; no key is stored)."""

    __tablename__ = "batches"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("ksef_sessions.id"), unique=True)
    archive_sha256: Mapped[str] = mapped_column(String(44))
    archive_size: Mapped[int] = mapped_column(BigInteger)
    part_count: Mapped[int] = mapped_column(Integer)
    invoice_count: Mapped[int] = mapped_column(Integer)
    uploaded: Mapped[bool] = mapped_column(Boolean, default=False)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class UpoDocument:
    """What is kept of a UPO (an invoice's, or a page of a session's): the XML exactly as KSeF gave it,
    its SHA-256 and when it was fetched."""

    xml: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(44))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Upo(UpoDocument, Base):
    __tablename__ = "upos"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), unique=True)
    ksef_number: Mapped[str] = mapped_column(String(36))


# --- e10engine: the session UPO (migration 0006_e10) -------------------------------------------------
class SessionUpo(UpoDocument, Base):
    """One page of a KSeF session's UPO, stored as soon as the session's final status offers it."""

    __tablename__ = "session_upos"
    __table_args__ = (UniqueConstraint("session_id", "page", name="uq_session_upos_page"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("ksef_sessions.id"))
    page: Mapped[int] = mapped_column(Integer)  # 1, 2, … (a big session's UPO comes in pages)
    reference_number: Mapped[str] = mapped_column(String(64))  # the page's upoReferenceNumber


# --- end e10engine ---------------------------------------------------------------------------------


class SyncCheckpoint(Base):
    """Incoming sync position per company and subject type (PermanentStorage high-water mark)."""

    __tablename__ = "sync_checkpoints"
    __table_args__ = (UniqueConstraint("company_id", "subject_type", name="uq_sync_checkpoints_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    subject_type: Mapped[str] = mapped_column(String(32))
    from_date: Mapped[datetime]
    last_run_at: Mapped[datetime | None]
    last_count: Mapped[int] = mapped_column(Integer, default=0)


class Outage(Base):
    """A period of KSeF unavailability seen by the engine, per environment (API base URL)."""

    __tablename__ = "outages"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    api_base: Mapped[str] = mapped_column(String(512), index=True)
    mode: Mapped[str] = mapped_column(String(16), default="offline")  # offline | failure
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """Append-only: updates and deletes are refused by database triggers."""

    __tablename__ = "audit_log"
    # fe7 (0007_fe7): an invoice's entries (who issued it) without scanning the whole log
    __table_args__ = (Index("ix_audit_log_invoice", "invoice_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- app (0003_app): accounts, tenancy, master data -------------------------------------------------


class NumberingConfig(Base):
    """A company's numbering series for one invoice kind: its pattern and when the counter resets."""

    __tablename__ = "numbering_configs"
    __table_args__ = (UniqueConstraint("company_id", "kind", name="uq_numbering_configs_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    kind: Mapped[str] = mapped_column(String(16))
    pattern: Mapped[str] = mapped_column(String(128))  # FV/{yyyy}/{mm}/{seq}
    reset: Mapped[str] = mapped_column(String(8), default="yearly")  # yearly | monthly | never
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompanyProfile(Base):
    """What the app keeps of a company beyond its KSeF context (address, contact, bank account)."""

    __tablename__ = "company_profiles"
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    address: Mapped[str] = mapped_column(String(512), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    bank_account: Mapped[str] = mapped_column(String(64), default="")
    credential_info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # subject, serial, expiry


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased
    name: Mapped[str] = mapped_column(String(256), default="")
    password_hash: Mapped[str] = mapped_column(String(256))  # argon2id, PHC string
    totp_secret_name: Mapped[str | None] = mapped_column(String(256))  # vault secret, when enrolled
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class UserSession(Base):
    """A sign-in session; only the SHA-256 of its token is stored."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "company_id", name="uq_memberships_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # owner | accountant | issuer | viewer
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invitation(Base):
    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]


class ApiKey(Base):
    """A company's API key; only the SHA-256 of the key is stored, with a short prefix to recognise it."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(256))  # space-separated
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Contractor(Base):
    __tablename__ = "contractors"
    __table_args__ = (
        Index("ix_contractors_company_nip", "company_id", "nip"),
        Index("ix_contractors_company_name", "company_id", "name"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    nip: Mapped[str] = mapped_column(String(32), default="")
    name: Mapped[str] = mapped_column(String(512))
    address_line1: Mapped[str] = mapped_column(String(512), default="")
    address_line2: Mapped[str] = mapped_column(String(512), default="")
    country: Mapped[str] = mapped_column(String(2), default="PL")
    email: Mapped[str] = mapped_column(String(320), default="")
    bank_accounts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (Index("ix_products_company_name", "company_id", "name"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(512))
    unit: Mapped[str] = mapped_column(String(32), default="szt.")
    price: Mapped[Decimal] = mapped_column(Numeric(22, 8))
    price_kind: Mapped[str] = mapped_column(String(8), default="net")  # net | gross
    vat_rate: Mapped[str] = mapped_column(String(16), default="23")
    gtu: Mapped[str | None] = mapped_column(String(8))
    pkwiu: Mapped[str | None] = mapped_column(String(64))
    cn: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WhiteListCache(Base):
    """The VAT white list's answer for a NIP, kept for the day it was asked about."""

    __tablename__ = "white_list_cache"
    nip: Mapped[str] = mapped_column(String(10), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
