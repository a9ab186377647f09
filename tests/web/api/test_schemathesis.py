"""schemathesis against our own OpenAPI document over real HTTP: no 5xx, no answer that breaks the schema.

Bounded: a few examples per operation (``FAKTURNIK_SCHEMATHESIS_EXAMPLES``, default 8). Path ids are
mostly the tenant's own company so that real objects are reached, not only 404s. The VAT white list
is a local fake; the operations that would reach KSeF after a generated body switched the company to
the Ministry's hosts are left out: tests talk to loopback only.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from fakturnik.app.whitelist_fake import FakeWhiteList
from tests.web.api.harness import ApiServer, api_server
from tests.web.api.helpers import Tenant, draft, make_tenant

EXAMPLES = int(os.environ.get("FAKTURNIK_SCHEMATHESIS_EXAMPLES", "8"))
# KSeF once a generated body has switched the company to the Ministry's test/demo/prod hosts (tests talk to
# loopback only; the VAT white list is a local fake here)
EXTERNAL = {"configureKsef", "syncReceived"}
# these ask KSeF with whatever credential a generated body stored (a refused login is a 502, not a bug)
EXTERNAL |= {"createCollectiveIdentifier", "listReceivedCollectiveIdentifiers", "exportPaymentList"}


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiServer, Tenant]]:
    subjects = {"7740001454": {"name": "KLIENT S.A.", "workingAddress": "UL. DŁUGA 2, 30-001 KRAKÓW"}}
    with (
        FakeWhiteList(subjects) as white_list,
        api_server(
            Path(tmp_path_factory.mktemp("st")),
            env="local",
            worker=False,
            webhooks=False,
            whitelist_url=white_list.url,
        ) as server,
    ):
        tenant = make_tenant(server, "schemat@firma.pl", "5265877635")
        with tenant.api() as api:
            api.post(f"/companies/{tenant.company_id}/invoices", json=draft(tenant.nip))
            api.post(f"/companies/{tenant.company_id}/contractors", json={"nip": "7740001454", "name": "K"})
            api.post(f"/companies/{tenant.company_id}/products", json={"name": "P", "price": "1.00"})
        yield server, tenant


def test_api_conforms_to_its_schema(context: tuple[ApiServer, Tenant]) -> None:
    server, tenant = context
    spec = httpx.get(server.api + "/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(spec)
    rng = random.Random(14)
    failures: list[str] = []
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.definition.raw.get("operationId") not in EXTERNAL]
    assert len(operations) >= 50

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case: Any) -> None:
            params = case.path_parameters or {}
            if "company_id" in params and rng.random() < 0.8:
                params["company_id"] = tenant.company_id
            for name in ("invoice_id", "contractor_id", "product_id"):
                if name in params and rng.random() < 0.5:
                    params[name] = 1
            response = case.call(base_url=server.url, headers={"Authorization": f"Bearer {tenant.key}"})
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
            )

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
