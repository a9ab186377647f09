"""Fakturnik: KSeF 2.0 e-invoicing without ever logging in to a portal.

The front door is :class:`Fakturnik` (``fakturnik.app``)::

    from fakturnik import Fakturnik

    with Fakturnik.open("dane", simulator=True, run_worker=True) as fk:
        company = fk.companies.add("5265877635", "Firma Sp. z o.o.", environment="local")
        invoice = fk.invoices.issue(company.id, draft).invoice

For FA(3) files alone: ``Faktura`` (the typed model), ``xml_from_draft`` / ``invoice_from_draft``
(a JSON draft → XML / model, amounts computed), ``validate`` (XSD + business rules); for KSeF alone:
``KsefClient``. Every error derives from ``FakturnikError``. Names are imported on first use
(PEP 562), so ``import fakturnik`` stays fast; their types are in ``__init__.pyi``.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_ERRORS = (
    "AppError",
    "AuthenticationError",
    "ConflictError",
    "FakturnikError",
    "IdempotencyConflictError",
    "InputError",
    "InvoiceError",
    "InvoiceValidationError",
    "KsefError",
    "NotFoundError",
    "PermissionDeniedError",
    "Problem",
)
_WHERE: dict[str, tuple[str, str]] = {
    "Fakturnik": ("fakturnik.app.core", "Fakturnik"),
    "Actor": ("fakturnik.app.actor", "Actor"),
    "InvoiceFilter": ("fakturnik.app.filters", "InvoiceFilter"),
    "Faktura": ("fakturnik.fa3.model", "Faktura"),
    "invoice_from_draft": ("fakturnik.fa3.jsonform", "invoice_from_draft"),
    "invoice_from_json": ("fakturnik.fa3.jsonform", "invoice_from_json"),
    "invoice_to_json": ("fakturnik.fa3.jsonform", "invoice_to_json"),
    "xml_from_draft": ("fakturnik.fa3.jsonform", "xml_from_draft"),
    "parse_invoice": ("fakturnik.fa3.parser", "parse_invoice"),
    "write_invoice": ("fakturnik.fa3.writer", "write_invoice"),
    "validate": ("fakturnik.fa3.validation", "validate_xml"),
    "ValidationReport": ("fakturnik.fa3.validation", "ValidationReport"),
    "KsefClient": ("fakturnik.ksef.client", "KsefClient"),
    **{name: ("fakturnik.errors", name) for name in _ERRORS},
}

__all__ = [
    "Actor",
    "AppError",
    "AuthenticationError",
    "ConflictError",
    "Faktura",
    "Fakturnik",
    "FakturnikError",
    "IdempotencyConflictError",
    "InputError",
    "InvoiceError",
    "InvoiceFilter",
    "InvoiceValidationError",
    "KsefClient",
    "KsefError",
    "NotFoundError",
    "PermissionDeniedError",
    "Problem",
    "ValidationReport",
    "__version__",
    "invoice_from_draft",
    "invoice_from_json",
    "invoice_to_json",
    "parse_invoice",
    "validate",
    "write_invoice",
    "xml_from_draft",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'fakturnik' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(where[0]), where[1])
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
