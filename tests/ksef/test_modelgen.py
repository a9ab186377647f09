"""ksef/models.py is what the generator makes of the contract of record; enums and properties are open."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from fakturnik.ksef import model_base, modelgen
from fakturnik.ksef import models as m
from tests.conftest import OPENAPI_PATH

MODELS = Path(modelgen.__file__).with_name("models.py")
SPEC = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]


def test_committed_models_are_the_generators_output() -> None:
    expected = modelgen.generate(SPEC)
    assert MODELS.read_text(encoding="utf-8") == expected, (
        "regenerate: python -m fakturnik.ksef.modelgen ../shared/ksef/open-api-2.7.0.json"
        " > src/fakturnik/ksef/models.py"
    )


def test_every_schema_of_the_contract_has_its_model() -> None:
    assert [name for name in SCHEMAS if not hasattr(m, name)] == []


NAMED = {
    "KsefNumber": "5265877635-20250826-0100001AF629-AF",
    "Nip": "5265877635",
    "Pesel": "85010112345",
    "InternalId": "5265877635-12345",
    "NipVatUe": "5265877635-DE123456789",
    "PeppolId": "PPL123456",
}


def _example(name: str, depth: int = 0) -> Any:
    """A minimal instance of schema ``name`` from the contract (required members only), plus extras."""
    if name in NAMED:
        return NAMED[name]
    return _value(SCHEMAS[name], depth)


def _value(node: dict[str, Any], depth: int) -> Any:
    if "$ref" in node:
        return _example(node["$ref"].rsplit("/", 1)[1], depth + 1)
    if node.get("allOf"):
        return _value(node["allOf"][0], depth)
    if "enum" in node:
        return "SomethingNew2030"  # a member the contract does not know
    kind = node.get("type")
    if kind == "array":
        return [_value(node.get("items") or {}, depth + 1)] if depth < 6 else []
    if kind == "object" or node.get("properties"):
        required = set(node.get("required") or [])
        out = {
            p: _value(sub, depth + 1) for p, sub in (node.get("properties") or {}).items() if p in required
        }
        if node.get("properties"):  # a model, not a free map
            out["propertyFromTheFuture"] = {"x": 1}
        return out
    if kind == "string":
        fmt = node.get("format")
        if fmt == "date-time":
            return "2026-12-07T10:00:00Z"
        if fmt == "date":
            return "2026-12-07"
        if "pattern" in node:
            return None  # filled by field name below
        return "A" * max(int(node.get("minLength", 5)), min(int(node.get("maxLength", 5)), 5))
    if kind == "integer":
        return max(1, int(node.get("minimum", 1)))
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    return None


RESPONSES = sorted(
    {
        schema["$ref"].rsplit("/", 1)[1]
        for path in SPEC["paths"].values()
        for op in path.values()
        if isinstance(op, dict)
        for status, resp in (op.get("responses") or {}).items()
        if status.startswith("2")
        for media in (resp.get("content") or {}).values()
        for schema in [media.get("schema") or {}]
        if "$ref" in schema
    }
)


@pytest.mark.parametrize("name", RESPONSES)
def test_every_response_shape_survives_new_fields_and_enum_members(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each 2xx response model parses an answer with unknown properties and unknown enum members."""
    model = getattr(m, name)
    example = _example(name)
    # constrained strings (numbers, hashes) come from the spec's own example when it has one
    strings = _fill_strings(model, example)
    with caplog.at_level(logging.INFO, logger="fakturnik.ksef.models"):
        parsed = model.model_validate(strings)
        model_base.note_unknown(parsed)
    assert (name, "propertyFromTheFuture") in model_base.unknown_seen()
    assert "propertyFromTheFuture" not in json.dumps(m.dump(parsed))  # never sent back


def _fill_strings(model: Any, data: Any) -> Any:
    """Replace ``None`` placeholders by a string accepted by the field (validated by trial)."""
    if isinstance(data, list):
        return [_fill_strings(model, d) for d in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        out[key] = _fill_strings(model, value) if value is not None else _a_string(key)
    return out


def _a_string(field: str) -> str:
    samples = {
        "ksefNumber": "5265877635-20250826-0100001AF629-AF",
        "referenceNumber": "20250625-SO-2C3E6C8000-B675CF5D68-07",
        "invoiceHash": "A" * 43 + "=",
        "collectiveIdentifierNumber": "1111111111-IZ202607-65ED02180000-E7",
        "certificateSerialNumber": "0123456789ABCDEF",
        "nip": "5265877635",
        "currency": "PLN",
        "challenge": "20250625-CR-2C3E6C8000-B675CF5D68-07",
        "id": "12345678-1234-1234-1234-123456789012",
    }
    return samples.get(field, "x" * 44 if "hash" in field.lower() else "text-" + field)


def test_unknown_enum_member_is_kept_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    body = {"type": "Biometric2031", "value": "5265877635"}
    with caplog.at_level(logging.INFO, logger="fakturnik.ksef.models"):
        parsed = [m.CertificateSubjectIdentifier.model_validate(body) for _ in "ab"]
    assert [p.type for p in parsed] == ["Biometric2031", "Biometric2031"]
    assert ("CertificateSubjectIdentifierType", "Biometric2031") in model_base.unknown_seen()
    assert len([r for r in caplog.records if "Biometric2031" in r.getMessage()]) == 1


def test_open_enum_keeps_the_value() -> None:
    parsed = m.PersonPermissionsGrantRequest.model_validate(
        {
            "subjectIdentifier": {"type": "Nip", "value": "5265877635"},
            "permissions": ["InvoiceRead", "PaymentManage2031"],
            "description": "Uprawnienie testowe",
            "subjectDetails": {
                "subjectDetailsType": "PersonByIdentifier",
                "personById": {"firstName": "Anna", "lastName": "Nowak"},
            },
        }
    )
    assert parsed.permissions == ["InvoiceRead", "PaymentManage2031"]
    assert ("PersonPermissionType", "PaymentManage2031") in model_base.unknown_seen()


def test_an_unknown_enum_member_that_is_not_a_string_still_fails() -> None:
    with pytest.raises(ValueError):
        m.PersonPermissionsGrantRequest.model_validate(
            {
                "subjectIdentifier": {"type": "Nip", "value": "5265877635"},
                "permissions": [42],
                "description": "Uprawnienie testowe",
                "subjectDetails": {"subjectDetailsType": "PersonByIdentifier"},
            }
        )
