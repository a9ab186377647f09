"""A self-contained documentation page of the REST API, rendered from our own OpenAPI document.

No JavaScript and nothing from a CDN (the CSP allows only this origin): every operation with its
parameters, request example and answers, grouped by tag, and a link to ``openapi.json``.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter()

_STYLE = "/api/v1/docs.css"
_CSS = """body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h2{border-bottom:1px solid #ccc;padding-bottom:.3rem;margin-top:2.5rem}
.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:4.5rem;font-weight:bold;font-family:monospace}
.m.get{color:#1a6} .m.post{color:#16a} .m.put,.m.patch{color:#a60} .m.delete{color:#b22}
code,pre{background:#f5f5f5;border-radius:4px} pre{padding:.5rem;overflow:auto;font-size:.85rem}
table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;font-size:.9rem}
"""


def _example(media: dict[str, Any]) -> Any | None:
    if "example" in media:
        return media["example"]
    examples = media.get("examples")
    if isinstance(examples, dict) and examples:
        first = next(iter(examples.values()))
        if isinstance(first, dict):
            return first.get("value")
    schema = media.get("schema", {})
    if isinstance(schema, dict) and "examples" in schema and schema["examples"]:
        return schema["examples"][0]
    return None


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    parts = [
        f'<div class="op" id="{escape(op.get("operationId", ""))}">',
        f'<div><span class="m {method}">{method.upper()}</span> <code>{escape(path)}</code> '
        f"— {escape(op.get('summary', ''))}</div>",
    ]
    if op.get("description"):
        parts.append(f"<p>{escape(op['description'])}</p>")
    params = op.get("parameters", [])
    if params:
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
            f"<td>{'tak' if p.get('required') else ''}</td><td>{escape(p.get('description', ''))}</td></tr>"
            for p in params
        )
        parts.append(
            f"<table><tr><th>parametr</th><th>gdzie</th><th>wymagany</th><th>opis</th></tr>{rows}</table>"
        )
    body = op.get("requestBody", {}).get("content", {})
    for media_type, media in body.items():
        example = _example(media)
        if example is not None:
            text = example if isinstance(example, str) else json.dumps(example, ensure_ascii=False, indent=2)
            parts.append(f"<p>Treść ({escape(media_type)}), przykład:</p><pre>{escape(text)}</pre>")
    answers = ", ".join(
        f"<code>{escape(code)}</code> {escape(r.get('description', ''))}"
        for code, r in op.get("responses", {}).items()
    )
    parts.append(f"<p>Odpowiedzi: {answers}</p></div>")
    return "".join(parts)


def render_docs(spec: dict[str, Any]) -> str:
    groups: dict[str, list[str]] = {}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                tag = (op.get("tags") or ["inne"])[0]
                groups.setdefault(tag, []).append(_operation(method, path, op))
    info = spec.get("info", {})
    toc = "".join(f'<li><a href="#tag-{escape(t)}">{escape(t)}</a></li>' for t in groups)
    sections = "".join(
        f'<h2 id="tag-{escape(t)}">{escape(t)}</h2>{"".join(ops)}' for t, ops in groups.items()
    )
    description = escape(info.get("description", "")).replace("\n\n", "</p><p>")
    return (
        '<!doctype html><html lang="pl"><head><meta charset="utf-8">'
        f"<title>{escape(info.get('title', 'API'))}</title>"
        f'<link rel="stylesheet" href="{_STYLE}"></head><body>'
        f"<h1>{escape(info.get('title', 'API'))} <small>v{escape(str(info.get('version', '')))}</small></h1>"
        f"<p>{description}</p>"
        '<p>Dokument OpenAPI 3.1: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a></p>'
        f"<ul>{toc}</ul>{sections}</body></html>"
    )


@router.get("/docs", include_in_schema=False)
def docs_page(request: Request) -> HTMLResponse:
    return HTMLResponse(render_docs(request.app.openapi()))


@router.get("/docs.css", include_in_schema=False)
def docs_css() -> HTMLResponse:
    return HTMLResponse(_CSS, media_type="text/css")
