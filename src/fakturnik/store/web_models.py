"""Store tables of the web app (migration ``0005_web``; used by ``fakturnik.app.drafts``).

Invoice drafts a person saved from the form (the fields as typed, possibly incomplete) and each company's
SMTP settings for sending invoices to buyers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fakturnik.store.models import Base, Id, utcnow


class InvoiceDraft(Base):
    __tablename__ = "invoice_drafts"
    __table_args__ = (Index("ix_invoice_drafts_company", "company_id", "updated_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    kind: Mapped[str] = mapped_column(String(16), default="VAT")
    title: Mapped[str] = mapped_column(String(512), default="")  # the buyer's name, for the list
    data: Mapped[dict[str, object]] = mapped_column(JSON)  # the FA(3) JSON draft
    created_by: Mapped[str] = mapped_column(String(256))  # the actor's label
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CompanyMailSettings(Base):
    """How a company sends e-mail (invoices to buyers); the SMTP password is in the vault."""

    __tablename__ = "company_mail_settings"
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    security: Mapped[str] = mapped_column(String(16))  # starttls | ssl | none
    username: Mapped[str] = mapped_column(String(255), default="")
    password_secret: Mapped[str | None] = mapped_column(String(256))  # vault name, never the password
    sender: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RecurringInvoice(Base):
    """An invoice issued again on a day of every month (the FA(3) draft of the first one)."""

    __tablename__ = "recurring_invoices"
    __table_args__ = (Index("ix_recurring_invoices_due", "active", "next_run"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    title: Mapped[str] = mapped_column(String(512), default="")
    draft: Mapped[dict[str, object]] = mapped_column(JSON)  # FA(3) JSON draft; P_1, P_2, due date set per run
    day_of_month: Mapped[int] = mapped_column(Integer)  # 1..28
    due_days: Mapped[int | None] = mapped_column(Integer)
    email_to: Mapped[str] = mapped_column(String(320), default="")
    next_run: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)
    last_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
