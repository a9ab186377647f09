"""The curated models accept the official examples of open-api.json and serialize them back unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from fakturnik.ksef import models as m
from tests.conftest import OPENAPI_PATH

SPEC = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def _schema_name(schema: dict[str, Any]) -> str | None:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "allOf" in schema:
        return _schema_name(schema["allOf"][0])
    return None


def _examples() -> list[tuple[str, str, Any]]:
    """(schema name, where, example) for every JSON request/2xx response example in the spec."""
    found = []
    for path, ops in SPEC["paths"].items():
        for method, op in ops.items():
            bodies = [("request", op.get("requestBody", {}))]
            bodies += [(f"response {c}", r) for c, r in op.get("responses", {}).items() if c.startswith("2")]
            for where, body in bodies:
                media = body.get("content", {}).get("application/json")
                if not media or "example" not in media:
                    continue
                name = _schema_name(media.get("schema", {}))
                if name:
                    found.append((name, f"{method.upper()} {path} {where}", media["example"]))
    return found


EXAMPLES = _examples()

# Examples in open-api.json that contradict the spec's own schemas: our models follow the schemas.
SPEC_EXAMPLE_DEFECTS = {
    "GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber} response 200": "invoiceHash",  # absent
    "GET /peppol/query response 200": "peppolProviders.0.id",  # 'P123456789' > maxLength 9
    "POST /permissions/query/eu-entities/grants request": "vatUeIdentifier",  # DE + 12 digits vs DE\\d{9}
}


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def test_examples_found() -> None:
    assert len(EXAMPLES) > 50


@pytest.mark.parametrize(("name", "where", "example"), EXAMPLES, ids=[e[1] for e in EXAMPLES])
def test_official_example_validates(name: str, where: str, example: Any) -> None:
    model = getattr(m, name)
    if where in SPEC_EXAMPLE_DEFECTS:
        with pytest.raises(ValidationError) as err:
            model.model_validate(example)
        assert [".".join(map(str, e["loc"])) for e in err.value.errors()] == [SPEC_EXAMPLE_DEFECTS[where]]
        return
    parsed = model.model_validate(example)
    assert isinstance(parsed, BaseModel)
    if where.endswith("request"):
        dumped = json.loads(json.dumps(m.dump(parsed)))
        assert set(dumped) == set(_strip_nulls(example)), where


def test_unknown_properties_are_ignored() -> None:
    r = m.OpenOnlineSessionResponse.model_validate(
        {
            "referenceNumber": "20250625-SO-2C3E6C8000-B675CF5D68-07",
            "validUntil": "2025-07-11T12:23:56Z",
            "new": 1,
        }
    )
    assert r.referenceNumber.startswith("20250625-SO")


def test_from_alias_serialises_as_from() -> None:
    rng = m.InvoiceQueryDateRange(dateType="PermanentStorage", **{"from": "2026-01-01T00:00:00Z"})
    assert m.dump(rng) == {"dateType": "PermanentStorage", "from": "2026-01-01T00:00:00Z"}


def test_constraints_from_the_spec_are_enforced() -> None:
    with pytest.raises(ValidationError):
        m.SendInvoiceRequest(
            invoiceHash="short",
            invoiceSize=1,
            encryptedInvoiceHash="x" * 44,
            encryptedInvoiceSize=16,
            encryptedInvoiceContent="AA==",
        )


def test_public_key_list_adapter() -> None:
    adapter = TypeAdapter(list[m.PublicKeyCertificate])
    assert adapter.validate_python([]) == []
