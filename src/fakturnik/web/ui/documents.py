"""The invoice's PDF, when the visual layer is installed (``fakturnik.visual``); None until then."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["pdf_available", "pdf_or_none"]


def _renderer() -> Any | None:
    try:
        module = importlib.import_module("fakturnik.visual")
    except ImportError:
        return None
    return getattr(module, "invoice_pdf", None)


def pdf_available() -> bool:
    return _renderer() is not None


def pdf_or_none(ui: Any, invoice_id: int) -> bytes | None:
    """The PDF of an issued invoice (with its KSeF number and QR code when it has them), or None."""
    renderer = _renderer()
    if renderer is None:
        return None
    xml = ui.svc.invoices.xml(ui.company_id, invoice_id)
    invoice = ui.svc.invoices.get(ui.company_id, invoice_id)
    result = renderer(xml, ksef_number=invoice.ksef_number)
    return bytes(result)
