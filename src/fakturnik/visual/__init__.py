"""What people see: KSeF verification links (KOD I, KOD II), QR images, invoice and UPO as HTML/PDF.

May import ``fa3``, ``fakturnik.base``, ``ksef.verification_links``, jinja2, cryptography and the
``visual`` extra (zxing-cpp for QR symbols, ReportLab for PDF, python-bidi); nothing of the engine,
store, app, web or CLI.
"""

from fakturnik.visual.render import (
    Codes,
    OfflineSigner,
    invoice_codes,
    invoice_html,
    invoice_pdf,
    upo_html,
    upo_pdf,
)

__all__ = ["Codes", "OfflineSigner", "invoice_codes", "invoice_html", "invoice_pdf", "upo_html", "upo_pdf"]
