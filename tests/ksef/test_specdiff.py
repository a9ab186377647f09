"""`fakturnik ksef spec-diff`: what changed between two KSeF OpenAPI documents."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.ksef import specdiff
from tests.conftest import OPENAPI_260_PATH, OPENAPI_PATH

OLD = json.loads(OPENAPI_260_PATH.read_text(encoding="utf-8"))
NEW = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))

NEW_OPERATIONS = {
    "POST /collective-identifiers",
    "POST /collective-identifiers/query",
    "GET /collective-identifiers/{collectiveIdentifierNumber}/invoices",
    "GET /collective-identifiers/ksef/{ksefNumber}",
    "PUT /testdata/certificates/{serialNumber}",
}


def test_260_to_270_lists_the_five_new_operations_and_the_new_schemas() -> None:
    changes = specdiff.diff(OLD, NEW)
    added_ops = {c.where for c in changes if c.area == "operation" and c.kind == "added"}
    assert added_ops == NEW_OPERATIONS
    added_schemas = {c.where for c in changes if c.area == "schema" and c.kind == "added"}
    assert len(added_schemas) == 13 and "GenerateCollectiveIdentifierRequest" in added_schemas
    enum_values = {(c.where, c.what) for c in changes if c.area == "enum"}
    assert ("PersonPermissionType", "value CollectiveIdentifierManage") in enum_values
    assert not [c for c in changes if c.kind == "removed"]


def test_same_document_has_no_changes() -> None:
    assert specdiff.diff(NEW, NEW) == []


def _op(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "parameters": [{"name": "pageSize", "in": "query", "schema": {"type": "integer", "maximum": 200}}],
        "responses": {
            "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
            "400": {"description": "| 21405 | Błąd walidacji |"},
        },
        "x-rate-limits": {"perSecond": 10},
        "x-required-permissions": ["InvoiceRead"],
    }
    return base | extra


def test_changed_parameters_limits_errors_permissions_fields_and_enums() -> None:
    old = {
        "paths": {"/x": {"post": _op()}},
        "components": {
            "schemas": {
                "A": {
                    "type": "object",
                    "required": ["a"],
                    "properties": {"a": {"type": "string", "maxLength": 5}},
                },
                "E": {"type": "string", "enum": ["One", "Two"]},
            }
        },
    }
    new = {
        "paths": {
            "/x": {
                "post": _op(
                    parameters=[
                        {"name": "pageSize", "in": "query", "schema": {"type": "integer", "maximum": 500}}
                    ],
                    responses={
                        "200": {
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}
                        },
                        "400": {"description": "| 21405 | x |\n| 71001 | Faktura nie może |"},
                    },
                    **{"x-rate-limits": {"perSecond": 20}, "x-required-permissions": ["InvoiceRead", "New"]},
                )
            }
        },
        "components": {
            "schemas": {
                "A": {
                    "type": "object",
                    "required": ["a", "b"],
                    "properties": {"a": {"type": "string", "maxLength": 9}, "b": {"type": "boolean"}},
                },
                "E": {"type": "string", "enum": ["One", "Three"]},
            }
        },
    }
    lines = {c.line() for c in specdiff.diff(old, new)}
    assert "~ POST /x: query:pageSize: type='integer' maximum=200 → type='integer' maximum=500" in lines
    assert "~ POST /x: x-rate-limits {'perSecond': 10} → {'perSecond': 20}" in lines
    assert "+ POST /x: 400 error 71001" in lines
    assert "+ POST /x: permission New" in lines
    assert "~ A: a: type='string' maxLength=5 → type='string' maxLength=9" in lines
    assert "+ A: b type='boolean'" in lines and "+ A: required b" in lines
    assert "+ E: value Three" in lines and "- E: value Two" in lines


def test_the_cli_prints_the_diff() -> None:
    result = CliRunner().invoke(app, ["ksef", "spec-diff", str(OPENAPI_260_PATH), str(OPENAPI_PATH)])
    assert result.exit_code == 0, result.output
    assert "Operations (5)" in result.output
    assert "+ POST /collective-identifiers" in result.output
