"""Check simulator responses against the response schemas of the official open-api.json.

Usage in any simulator test::

    from tests.simulator.spec_check import assert_matches_spec
    assert_matches_spec("GET", "/limits/context", r.status_code, r.json())

OpenAPI 3.0 schemas are turned into JSON Schema (draft 7): ``nullable: true`` becomes a union with
``null`` and every ``#/components/schemas/X`` reference points into the same document, so
``$ref`` chains resolve. The spec itself is read from ../shared, never copied into the repo.
"""

from __future__ import annotations

import json
import re
import uuid
from functools import cache
from typing import Any

import httpx
import jsonschema_rs

from fakturnik.base.ksef_numbers import make_collective_identifier, make_ksef_number, make_reference_number
from fakturnik.base.warsaw import warsaw_today
from tests.conftest import OPENAPI_PATH

HTTP_METHODS = ("get", "post", "put", "delete", "patch")
# operations KSeF added after the contract of record, served from the changelog (digest §15)
AFTER_CONTRACT = [("POST", "/collective-identifiers/invoices")]
_REF_PREFIX = "#/components/schemas/"
_DROP = {"example", "examples", "xml", "discriminator", "readOnly", "writeOnly", "deprecated", "externalDocs"}


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return loaded


def operations() -> list[tuple[str, str]]:
    """Every (METHOD, path template) the spec declares, in spec order."""
    return [(m.upper(), path) for path, ops in spec()["paths"].items() for m in ops if m in HTTP_METHODS]


def operation(method: str, path_template: str) -> dict[str, Any]:
    op: dict[str, Any] = spec()["paths"][path_template][method.lower()]
    return op


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema object → JSON Schema draft 7 (recursively)."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key.startswith("x-"):
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX):
            out[key] = "#/definitions/" + value[len(_REF_PREFIX) :]
        elif key == "properties":
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key == "format" and value in ("int32", "int64", "byte", "binary", "double", "float"):
            continue
        else:
            out[key] = to_json_schema(value)
    for bound in ("Minimum", "Maximum"):  # OpenAPI 3.0 boolean exclusive bounds → draft 7 numbers
        flag = out.get("exclusive" + bound)
        if isinstance(flag, bool):
            del out["exclusive" + bound]
            if flag and bound.lower() in out:
                out["exclusive" + bound] = out.pop(bound.lower())
    if out.pop("nullable", False):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _definitions() -> dict[str, Any]:
    schemas = spec()["components"]["schemas"]
    return {name: to_json_schema(s) for name, s in schemas.items()}


def response_schema(
    method: str, path_template: str, status: int, content_type: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    """``(content type, JSON schema)`` the spec declares for this response, or None (no body).

    ``content_type`` picks one of several declared media types (e.g. ``application/problem+json``).
    """
    responses = operation(method, path_template).get("responses", {})
    declared = responses.get(str(status))
    if declared is None:
        return None
    wanted = (content_type or "").split(";")[0].strip()
    media_types = declared.get("content") or {}
    for media_type, media in sorted(media_types.items(), key=lambda kv: kv[0] != wanted):
        if "json" in media_type and "schema" in media:
            schema = dict(to_json_schema(media["schema"]))
            schema["definitions"] = _definitions()
            return media_type, schema
    return None


@cache
def _validator(method: str, path_template: str, status: int, content_type: str | None = None) -> Any:
    found = response_schema(method, path_template, status, content_type)
    if found is None:
        return None
    return jsonschema_rs.Draft7Validator(found[1], validate_formats=True)


def schema_errors(
    method: str, path_template: str, status: int, body: Any, content_type: str | None = None
) -> list[str]:
    """Problems of ``body`` against the spec's schema for this response (empty list: valid)."""
    media_type = (content_type or "").split(";")[0].strip() or None
    validator = _validator(method.upper(), path_template, status, media_type)
    if validator is None:
        return []
    return [
        f"{'/'.join(map(str, e.instance_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(body)
    ]


def declared_statuses(method: str, path_template: str) -> set[int]:
    return {int(s) for s in operation(method, path_template).get("responses", {}) if s.isdigit()}


def assert_matches_spec(
    method: str, path_template: str, status: int, body: Any, content_type: str | None = None
) -> None:
    """Fail when ``status`` is not declared for the operation or ``body`` breaks its schema.

    ``content_type`` (the response's header) selects among several declared media types.
    """
    method = method.upper()
    assert status in declared_statuses(method, path_template), (
        f"{method} {path_template}: status {status} not declared in open-api.json"
    )
    errors = schema_errors(method, path_template, status, body, content_type)
    assert not errors, f"{method} {path_template} {status}: " + "; ".join(errors[:10])


PARAM = re.compile(r"\{[^}]+\}")


def template_for(path: str) -> str | None:
    """The spec's path template matching a concrete path (``/sessions/X/invoices`` → template)."""
    candidates = []
    for template in spec()["paths"]:
        pattern = "^" + PARAM.sub(r"[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")) + "$"
        if re.match(pattern, path):
            candidates.append(template)
    # the most literal template wins (``/invoices/failed`` over ``/invoices/{ref}``)
    candidates.sort(key=lambda t: len(PARAM.findall(t)))
    return candidates[0] if candidates else None


# -- concrete requests for any operation ----------------------------------------------------------


def path_value(name: str, seller_nip: str = "5265877635") -> str:
    """A well-formed value for a path parameter of the spec."""
    today = warsaw_today()
    values = {
        "referenceNumber": make_reference_number("SO", today),
        "invoiceReferenceNumber": make_reference_number("EE", today),
        "upoReferenceNumber": make_reference_number("EU", today),
        "ksefNumber": make_ksef_number(seller_nip, today),
        "permissionId": str(uuid.uuid4()),
        "certificateSerialNumber": "0123456789ABCDEF",
        "serialNumber": "0123456789ABCDEF",
        "collectiveIdentifierNumber": make_collective_identifier(seller_nip, today),
    }
    return values.get(name, "x")


def concrete_request(method: str, template: str) -> tuple[str, dict[str, str], dict[str, str], bytes | None]:
    """``(path, query, headers, body)`` for a plausible call: path parameters filled in, required
    query parameters from their example/default/first enum value, the spec's JSON body example."""
    op = operation(method, template)
    path = template
    query: dict[str, str] = {}
    for param in op.get("parameters", []):
        if param.get("in") == "path":
            path = path.replace("{" + param["name"] + "}", path_value(param["name"]))
        elif param.get("in") == "query" and param.get("required"):
            schema = param.get("schema", {})
            value = param.get("example", schema.get("default", (schema.get("enum") or ["1"])[0]))
            query[param["name"]] = str(value)
    content = (op.get("requestBody") or {}).get("content") or {}
    if "application/json" in content:
        example = content["application/json"].get("example", {})
        body = httpx.Request("POST", "/", json=example).content
        return path, query, {"Content-Type": "application/json"}, body
    if content:
        return (
            path,
            query,
            {"Content-Type": next(iter(content))},
            b"<?xml version='1.0' encoding='utf-8'?><x/>",
        )
    return path, query, {}, None


# -- recording every response of a running simulator ----------------------------------------------


class ResponseRecorder:
    """ASGI wrapper that keeps every ``/v2`` JSON response, to check real traffic against the spec.

    >>> server = SimulatorServer(config)
    >>> server.app = recorder = ResponseRecorder(server.app)  # before server.start()
    >>> ...  # drive any client
    >>> assert recorder.problems() == []
    """

    def __init__(self, app: Any, prefix: str = "/v2") -> None:
        self.app = app
        self.prefix = prefix
        self.seen: list[tuple[str, str, int, str, bytes]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        status, content_type, chunks = 0, "", []
        method, path = scope["method"], scope["path"][len(self.prefix) :]
        index = -1

        async def capture(message: dict[str, Any]) -> None:
            nonlocal status, content_type, index
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
                content_type = headers.get("content-type", "")
                index = len(self.seen)
                self.seen.append((method, path, status, content_type, b""))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                # kept up to date before each chunk leaves: a client that checks right after its
                # response (whose last byte may come before the final empty message) finds it here
                if 0 <= index < len(self.seen):  # the list may have been cleared between tests
                    self.seen[index] = (method, path, status, content_type, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def operations(self) -> set[tuple[str, str]]:
        """(METHOD, spec template) of every recorded call."""
        found = {(m, template_for(p)) for m, p, _, _, _ in self.seen}
        return {(m, t) for m, t in found if t is not None}

    def problems(self) -> list[str]:
        """Every recorded API response whose status is undeclared or whose JSON body breaks the spec."""
        out: list[str] = []
        for method, path, status, content_type, body in self.seen:
            template = template_for(path)
            if template is None or method.lower() not in spec()["paths"][template]:
                continue  # not an API operation (pre-signed upload/download links live here too)
            if status not in declared_statuses(method, template):
                out.append(f"{method} {template}: status {status} not declared")
                continue
            if "json" in content_type and body:
                errors = schema_errors(method, template, status, json.loads(body), content_type)
                out.extend(f"{method} {template} {status}: {e}" for e in errors[:5])
        return out
