"""``fakturnik.app``: the application core — the one front door of the CLI, REST API, web app and library.

``Fakturnik.open(...)`` gives the services (companies, invoices, received, ksef, accounts, api_keys,
contractors, products, series, audit); ``acting_as(actor)`` scopes them to a user or API key, checked
in :mod:`fakturnik.app.access`. Results are the frozen read models of :mod:`fakturnik.app.views`.
See docs/app.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakturnik.app.actor import Actor
    from fakturnik.app.core import Fakturnik, Services
    from fakturnik.app.filters import InvoiceFilter

__all__ = ["Actor", "Fakturnik", "InvoiceFilter", "Services"]

_WHERE = {
    "Actor": "fakturnik.app.actor",
    "Fakturnik": "fakturnik.app.core",
    "Services": "fakturnik.app.core",
    "InvoiceFilter": "fakturnik.app.filters",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'fakturnik.app' has no attribute {name!r}")
