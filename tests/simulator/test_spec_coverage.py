"""Every operation of open-api.json is served by the simulator, on the spec's own path template.

Two checks per operation: the FastAPI app declares the path template and method (under ``/v2``),
and a real HTTP request to a concrete path reaches the handler of that very template (the admin
statistics record which route matched) without 404/405, answering a status the spec declares with
a body that validates against the spec's schema for that status.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer
from tests.simulator import spec_check
from tests.simulator.grants_kit import nip

OPERATIONS = spec_check.operations()
OWNER_NIP = "5265877635"


def test_the_spec_has_83_operations() -> None:
    assert len(OPERATIONS) == 83
    assert len(set(OPERATIONS)) == 83


@pytest.fixture(scope="module")
def app_operations(server: SimulatorServer) -> set[tuple[str, str]]:
    """(METHOD, path template) as the FastAPI app routes them, ``/v2`` included."""
    paths = server.app.openapi()["paths"]
    return {(m.upper(), p) for p, ops in paths.items() for m in ops if m in spec_check.HTTP_METHODS}


def _shape(template: str) -> str:
    """The template with parameter names erased: ``/tokens/{referenceNumber}`` → ``/tokens/{}``."""
    return spec_check.PARAM.sub("{}", template)


@pytest.mark.parametrize(("method", "template"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_is_served(
    method: str, template: str, server: SimulatorServer, app_operations: set[tuple[str, str]]
) -> None:
    shapes = {(m, _shape(p)) for m, p in app_operations}
    assert (method, _shape("/v2" + template)) in shapes, f"{method} {template} is not routed"
    path, query, headers, content = spec_check.concrete_request(method, template)
    token = mint_session(
        server.sim, context_type="Nip", context_value=OWNER_NIP, subject_type="Nip", subject_value=OWNER_NIP
    )["accessToken"]
    headers["Authorization"] = f"Bearer {token}"
    server.sim.stats.reset()
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        r = c.request(method, path, params=query, headers=headers, content=content)
    server.sim.rate_limiter.enabled = False  # a /testdata/rate-limits example may have switched it on
    server.sim.rate_limiter.reset_to_production()
    assert r.status_code not in (404, 405), f"{method} {path} → {r.status_code}: {r.text[:300]}"
    routes = {(row["method"], row["route"]) for row in server.sim.stats.as_json()["byRoute"]}  # type: ignore[union-attr]
    assert {(m, _shape(t)) for m, t in routes} == {(method, _shape(template))}, f"{path} handled by {routes}"
    assert r.status_code < 500, r.text[:500]
    body = r.json() if r.content and "json" in r.headers.get("content-type", "") else None
    if body is not None or r.status_code in spec_check.declared_statuses(method, template):
        spec_check.assert_matches_spec(method, template, r.status_code, body)


def test_nothing_is_served_that_the_spec_does_not_declare(app_operations: set[tuple[str, str]]) -> None:
    declared = {(m, _shape("/v2" + p)) for m, p in OPERATIONS + spec_check.AFTER_CONTRACT}
    extra = {(m, p) for m, p in app_operations if p.startswith("/v2") and (m, _shape(p)) not in declared}
    assert extra == set()


def test_path_parameter_names_match_the_spec(app_operations: set[tuple[str, str]]) -> None:
    """Templates match letter for letter (``{referenceNumber}``, not ``{reference_number}``)."""
    routed = {(m, p[len("/v2") :]) for m, p in app_operations if p.startswith("/v2")}
    renamed = sorted(f"{m} {p}" for m, p in OPERATIONS if (m, p) not in routed)
    assert renamed == []


def test_my_areas_happy_paths_match_the_spec(server: SimulatorServer) -> None:
    """Responses of the permission/limit endpoints validate against the spec's schemas."""
    owner, person = nip(), "85010112345"
    token = mint_session(
        server.sim, context_type="Nip", context_value=owner, subject_type="Nip", subject_value=owner
    )["accessToken"]
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}) as c:
        calls: list[tuple[str, str, dict[str, Any] | None]] = [
            ("GET", "/limits/context", None),
            ("GET", "/limits/subject", None),
            ("GET", "/rate-limits", None),
            ("GET", "/permissions/attachments/status", None),
            ("GET", "/permissions/query/entities/roles", None),
            ("GET", "/peppol/query", None),
            (
                "POST",
                "/permissions/persons/grants",
                {
                    "subjectIdentifier": {"type": "Pesel", "value": person},
                    "permissions": ["InvoiceRead", "CredentialsRead"],
                    "description": "Uprawnienie testowe",
                    "subjectDetails": {
                        "subjectDetailsType": "PersonByIdentifier",
                        "personById": {"firstName": "Anna", "lastName": "Nowak"},
                    },
                },
            ),
            ("POST", "/permissions/query/persons/grants", {"queryType": "PermissionsInCurrentContext"}),
            ("POST", "/permissions/query/personal/grants", {}),
            ("POST", "/permissions/query/entities/grants", {}),
            ("POST", "/permissions/query/subunits/grants", {}),
            ("POST", "/permissions/query/subordinate-entities/roles", {}),
            ("POST", "/permissions/query/authorizations/grants", {"queryType": "Granted"}),
            ("POST", "/permissions/query/eu-entities/grants", {}),
        ]
        for method, path, body in calls:
            r = c.request(method, path, json=body)
            spec_check.assert_matches_spec(method, path, r.status_code, r.json())
        r = c.post("/permissions/query/persons/grants", json={"queryType": "PermissionsInCurrentContext"})
        assert len(r.json()["permissions"]) == 2
        ref = c.post("/permissions/entities/grants", json={}).json()
        spec_check.assert_matches_spec("POST", "/permissions/entities/grants", 400, ref)


GUARDED = [(m, p) for m, p in OPERATIONS if spec_check.operation(m, p).get("x-required-permissions")]
# PefInvoiceWrite opens sessions for PEF invoices only (FA needs InvoiceWrite/EnforcementOperations)
_PEF_FORM = {"systemCode": "PEF (3)", "schemaVersion": "2-1", "value": "PEF"}
BODY_FOR = {
    ("/sessions/online", "PefInvoiceWrite"): json.dumps(
        {
            **json.loads(spec_check.concrete_request("POST", "/sessions/online")[3] or b"{}"),
            "formCode": _PEF_FORM,
        }
    ).encode()
}
# operations served only in another context type (checked before permissions, digest §14.1)
CONTEXT_FOR = {"/permissions/eu-entities/grants": ("NipVatUe", f"{OWNER_NIP}-DE123456789")}


@pytest.mark.parametrize(("method", "template"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_required_permissions_are_enforced(method: str, template: str, server: SimulatorServer) -> None:
    """x-required-permissions = any one of the list: none → 403 missing-permissions, one → past it."""
    required = spec_check.operation(method, template)["x-required-permissions"]
    path, query, headers, content = spec_check.concrete_request(method, template)

    context_type, context_value = CONTEXT_FOR.get(template, ("Nip", OWNER_NIP))

    def call(permissions: list[str]) -> httpx.Response:
        body = BODY_FOR.get((template, *permissions), content)
        token = mint_session(
            server.sim,
            context_type=context_type,
            context_value=context_value,
            subject_type="Nip",
            subject_value=OWNER_NIP,
            permissions=permissions,
        )["accessToken"]
        with httpx.Client(base_url=server.base_url, timeout=30) as c:
            return c.request(
                method,
                path,
                params=query,
                headers={**headers, "Authorization": f"Bearer {token}"},
                content=body,
            )

    refused = call([])
    assert refused.status_code == 403, refused.text[:300]
    body = refused.json()
    assert body["reasonCode"] == "missing-permissions"
    assert set(body["security"]["requiredAnyOfPermissions"]) == set(required)
    spec_check.assert_matches_spec(method, template, 403, body, refused.headers["content-type"])
    for permission in required:
        r = call([permission])
        assert not (r.status_code == 403 and r.json().get("reasonCode") == "missing-permissions"), (
            f"{permission} should be enough for {method} {template}"
        )
    server.sim.rate_limiter.enabled = False
    server.sim.rate_limiter.reset_to_production()


EVERY_PERMISSION = sorted(
    {p for m, t in OPERATIONS for p in spec_check.operation(m, t).get("x-required-permissions", [])}
)
WITH_JSON_BODY = [
    (m, p)
    for m, p in OPERATIONS
    if "application/json" in ((spec_check.operation(m, p).get("requestBody") or {}).get("content") or {})
]


@pytest.mark.parametrize(("method", "template"), WITH_JSON_BODY, ids=[f"{m} {p}" for m, p in WITH_JSON_BODY])
@pytest.mark.parametrize("problem_details", [False, True], ids=["legacy", "problem-details"])
def test_input_errors_use_the_requested_format(
    method: str, template: str, problem_details: bool, server: SimulatorServer
) -> None:
    """A body of the wrong JSON type → 400 21405, as ExceptionResponse or, with
    ``X-Error-Format: problem-details``, as application/problem+json (digest §2)."""
    path, query, headers, _ = spec_check.concrete_request(method, template)
    context_type, context_value = CONTEXT_FOR.get(template, ("Nip", OWNER_NIP))
    token = mint_session(
        server.sim,
        context_type=context_type,
        context_value=context_value,
        subject_type="Nip",
        subject_value=OWNER_NIP,
        permissions=EVERY_PERMISSION,
    )["accessToken"]
    headers = {**headers, "Authorization": f"Bearer {token}"}
    if problem_details:
        headers["X-Error-Format"] = "problem-details"
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        r = c.request(method, path, params=query, headers=headers, content=b"[1, 2, 3]")
    assert r.status_code == 400, r.text[:300]
    ctype = r.headers["content-type"]
    assert ctype.startswith("application/problem+json" if problem_details else "application/json"), ctype
    body = r.json()
    codes = (
        [e["code"] for e in body["errors"]]
        if problem_details
        else [d["exceptionCode"] for d in body["exception"]["exceptionDetailList"]]
    )
    assert codes == [21405]
    spec_check.assert_matches_spec(method, template, 400, body, ctype)


PROTECTED = [(m, p) for m, p in OPERATIONS if 401 in spec_check.declared_statuses(m, p)]


@pytest.mark.parametrize(("method", "template"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_protected_operations_answer_401_without_a_bearer(
    method: str, template: str, server: SimulatorServer
) -> None:
    path, query, headers, content = spec_check.concrete_request(method, template)
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        r = c.request(method, path, params=query, headers=headers, content=content)
    assert r.status_code == 401, r.text[:300]
    assert r.headers["content-type"].startswith("application/problem+json")
    spec_check.assert_matches_spec(method, template, 401, r.json(), r.headers["content-type"])
