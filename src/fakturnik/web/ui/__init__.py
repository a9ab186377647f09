"""The Polish web app: server-rendered pages (FastAPI + Jinja2, htmx for the live parts), a thin face
of ``fakturnik.app``. ``install_ui(app)`` mounts the pages at ``/`` and the static files at ``/static``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

__all__ = ["install_ui"]


def install_ui(app: FastAPI) -> None:
    from fakturnik.web.ui import (
        routes_auth,
        routes_doctor,
        routes_form,
        routes_invoices,
        routes_more,
        routes_permissions,
        routes_received,
        routes_wizard,
    )
    from fakturnik.web.ui.templating import STATIC_DIR

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        routes_auth,
        routes_form,
        routes_invoices,
        routes_more,
        routes_received,
        routes_wizard,
        routes_doctor,
        routes_permissions,
    ):
        app.include_router(module.router)
    import importlib

    for name in ("routes_collective", "routes_strictness"):  # collective identifiers; issuing strictness
        app.include_router(importlib.import_module(f"fakturnik.web.ui.{name}").router)
