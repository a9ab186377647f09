"""Filters and paging of invoice lists (plain values the faces build from query strings or forms)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Paid = Literal["paid", "unpaid", "overdue", "partly_paid"]
IssuedBy = Literal["company", "buyer"]  # issued invoices: by the company itself / self-billed by its buyer


@dataclass(frozen=True)
class InvoiceFilter:
    """Every field optional; all given ones must match (AND). Dates are inclusive."""

    status: tuple[str, ...] = ()  # any of these statuses
    kind: tuple[str, ...] = ()
    issue_from: date | None = None
    issue_to: date | None = None
    sale_from: date | None = None
    sale_to: date | None = None
    month: str | None = None  # "2026-12": issue date in that month
    buyer_nip: str | None = None  # issued: buyer; received: the filter applies to the seller
    seller_nip: str | None = None
    number: str | None = None  # exact invoice number
    ksef_number: str | None = None  # exact KSeF number
    paid: Paid | None = None
    booked: bool | None = None  # received invoices only
    issued_by: IssuedBy | None = None  # issued invoices: "buyer" = self-billed in the company's name
    q: str | None = None  # free text: number, KSeF number, party name or NIP (case-insensitive)


def like_prefix(text: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching what starts with ``text`` taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def like_anywhere(text: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching what contains ``text`` taken literally."""
    return "%" + like_prefix(text)


DEFAULT_LIMIT = 50
MAX_LIMIT = 500
