"""The invoice's PDF through the front door (``Fakturnik.invoices.pdf``); None without the visual extra."""

from __future__ import annotations

import importlib.util
from typing import Any

__all__ = ["pdf_available", "pdf_or_none"]


def pdf_available() -> bool:
    """Whether this installation can render PDFs (the ``visual`` extra, ReportLab)."""
    return importlib.util.find_spec("reportlab") is not None


def pdf_or_none(ui: Any, invoice_id: int) -> bytes | None:
    """The PDF of an issued invoice, with the QR codes its state requires, or None without the visual extra.

    Errors of the invoice itself (an offline invoice whose company has no Offline certificate for KOD
    II) are raised as they are, so the page says what to do.
    """
    if not pdf_available():
        return None
    return bytes(ui.svc.invoices.pdf(ui.company_id, invoice_id))
