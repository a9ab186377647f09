"""Store tables of the web app (migration ``0005_web``; used by ``fakturnik.app.drafts``).

Invoice drafts a person saved from the form: the FA(3) JSON draft as it was typed so far (it may be
incomplete), per company, with who saved it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
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
