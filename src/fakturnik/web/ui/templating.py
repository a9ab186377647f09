"""The Jinja2 environment of the web UI: autoescaping everywhere, the Polish filters, one render helper."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, Undefined, select_autoescape

from fakturnik.web.ui import formatting

__all__ = ["ASSET_VERSION", "STATIC_DIR", "TEMPLATE_DIR", "env", "render"]

HERE = Path(__file__).parent
TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
ASSET_VERSION = hashlib.sha256((STATIC_DIR / "app.css").read_bytes()).hexdigest()[:10]
"""Changes with the stylesheet, so a browser never keeps an old one after an upgrade."""


class _Lenient(Undefined):
    """Missing values render as nothing (a template never fails on an absent optional field)."""

    __slots__ = ()


def _make_env() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=_Lenient,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    formatting.register(environment)
    return environment


env = _make_env()


def render(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    """Render template ``name`` with ``context`` (plus ``request``) to an HTML response."""
    template = env.get_template(name)
    body = template.render({"request": request, "asset_version": ASSET_VERSION, **context})
    return HTMLResponse(body, status_code=status_code, headers={"Cache-Control": "no-store"})
