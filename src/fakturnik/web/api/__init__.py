"""The REST API (``/api/v1``): one router per resource, each route thin — parse, call the app, render."""

from __future__ import annotations

from types import ModuleType

from fastapi import APIRouter, FastAPI

from fakturnik.web.api import docs, health


def install_api(app: FastAPI, prefix: str) -> None:
    api = APIRouter(prefix=prefix)
    api.include_router(health.router)
    api.include_router(docs.router)
    for module in _resource_modules():
        api.include_router(module.router)
    app.include_router(api)


def _resource_modules() -> list[ModuleType]:
    """The resource routers that exist (the app layer grows under them)."""
    import importlib

    modules = []
    for name in (
        "session",
        "companies",
        "credentials",
        "doctor",
        "invoices",
        "received",
        "catalog",
        "keys",
        "webhooks",
        "permissions",
        "offices",
        "collective",
    ):
        try:
            modules.append(importlib.import_module(f"fakturnik.web.api.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"fakturnik.web.api.{name}":
                raise
    return modules
