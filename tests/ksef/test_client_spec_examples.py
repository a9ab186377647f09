"""Every permission grant and query of open-api.json, sent by its KsefClient method with the spec's own
example body, against the simulator: typed answers come back (or the documented refusal)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from fakturnik.errors import KsefApiError
from fakturnik.ksef import models as m
from fakturnik.ksef.client import KsefClient, Page, operations_of
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from tests.conftest import OPENAPI_PATH
from tests.ksef.clientkit import client_for, random_nip

SPEC = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))

# In a Nip context KSeF refuses EU-representative grants (they need a NipVatUe context): 403.
REFUSED_IN_NIP_CONTEXT = {"/permissions/eu-entities/grants"}
# The spec's example breaks the spec's own vatUeIdentifier pattern (see test_models); a valid body instead.
REPLACED_EXAMPLES = {"/permissions/query/eu-entities/grants": {"vatUeIdentifier": "DE123456789"}}


def _cases() -> list[tuple[str, str, str, dict[str, Any]]]:
    ops = operations_of(KsefClient)
    cases = []
    for path, methods in SPEC["paths"].items():
        if not path.startswith("/permissions/"):
            continue
        for method, op in methods.items():
            media = op.get("requestBody", {}).get("content", {}).get("application/json")
            if not media:
                continue
            schema = media["schema"].get("$ref") or media["schema"]["allOf"][0]["$ref"]
            example = REPLACED_EXAMPLES.get(path, media["example"])
            cases.append((path, ops[(method.upper(), path)][0], schema.rsplit("/", 1)[-1], example))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def shared_simulator() -> Iterator[SimulatorServer]:
    """One simulator for the module (each case uses its own random NIP context)."""
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as server:
        yield server


def test_all_permission_bodies_covered() -> None:
    assert len(CASES) == 14


@pytest.mark.parametrize(("path", "method_name", "schema", "example"), CASES, ids=[c[0] for c in CASES])
def test_spec_example_through_client_method(
    shared_simulator: Any, path: str, method_name: str, schema: str, example: dict[str, Any]
) -> None:
    client = client_for(shared_simulator, random_nip())
    request = getattr(m, schema).model_validate(example)
    method = getattr(client, method_name)
    if path in REFUSED_IN_NIP_CONTEXT:
        with pytest.raises(KsefApiError) as err:
            method(request)
        assert err.value.status_code == 403 and err.value.reason_code == "context-type-not-allowed"
        return
    answer = method(request, Page(0, 10)) if "/query/" in path else method(request)
    if "/query/" in path:
        assert answer.hasMore is False
    else:
        assert isinstance(answer, m.PermissionsOperationResponse)
        status = client.permission_operation_status(answer.referenceNumber)
        assert status.status.code in (100, 200, 400, 410, 420, 430, 440, 450)
