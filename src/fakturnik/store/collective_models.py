"""Collective identifiers a company created through KSeF (migration ``0006_k12``; ``app.collective``).

One row per identifier: the buyer it was made for, the KSeF numbers it covers and the amount to pay. The
identifiers sellers made for a company's received invoices are read from KSeF when asked, not kept.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from fakturnik.store.models import Base, Id, utcnow


class CollectiveIdentifierRow(Base):
    __tablename__ = "collective_identifiers"
    __table_args__ = (Index("ix_collective_identifiers_company", "company_id", "created_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    buyer_id: Mapped[str] = mapped_column(String(64), default="")
    buyer_name: Mapped[str] = mapped_column(String(512), default="")
    ksef_numbers: Mapped[list[str]] = mapped_column(JSON)
    invoice_ids: Mapped[list[int]] = mapped_column(JSON)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    created_by: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
