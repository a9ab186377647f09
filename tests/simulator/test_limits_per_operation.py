"""Every operation is counted in the rate-limit group whose production values the spec declares.

The spec gives each operation its limits (``x-rate-limits``). The simulator is switched to a table
whose per-second values differ for every group; calling an operation until the first 429 then
tells which group counted it, and that group's production limits must equal the spec's. Public
operations (``{"perSecond": 60}``) must admit exactly 60 calls per second and client IP. Each
operation runs in a context and from a loopback address of its own, so no counter is shared.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.ratelimit import PRODUCTION_LIMITS, Limit
from fakturnik.simulator.server import SimulatorServer
from tests.simulator import spec_check
from tests.simulator.grants_kit import nip

GROUPS = list(PRODUCTION_LIMITS)
# the per-minute value tells the groups apart (a minute is long enough even on a loaded machine)
PROBE_TABLE = {group: Limit(100_000, 3 + i, 1_000_000) for i, group in enumerate(GROUPS)}
PUBLIC = {"perSecond": 60}
# these change the very table the probe relies on; the spec puts them in "other" (10/30/120)
SWITCHES = {"/testdata/rate-limits", "/testdata/rate-limits/production"}
REFRESH_TOKEN_OPERATIONS = {("POST", "/auth/token/refresh"), ("DELETE", "/auth/sessions/current")}
OPERATIONS = [(m, p) for m, p in spec_check.operations() if p not in SWITCHES]
# operations served only in another context type (checked before the rate limit, digest §14.1)
CONTEXT_FOR = {"/permissions/eu-entities/grants": ("NipVatUe", "5265877635-DE123456789")}
ALL_PERMISSIONS = [
    "InvoiceWrite",
    "InvoiceRead",
    "CredentialsManage",
    "CredentialsRead",
    "Introspection",
    "SubunitManage",
    "EnforcementOperations",
    "VatUeManage",
    "PefInvoiceWrite",
]
_addresses = (f"127.0.{a}.{b}" for a, b in itertools.product(range(1, 250), range(2, 250)))


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=True)) as s:
        s.sim.rate_limiter.limits = dict(PROBE_TABLE)
        # a frozen clock: every call of a probe falls in the same second, however loaded the machine
        s.sim.rate_limiter.clock = lambda: 1_000_000.0
        yield s


def _admitted(server: SimulatorServer, method: str, template: str, limit: int) -> int:
    """How many calls pass before the first 429 (from a fresh client IP and context)."""
    path, query, headers, content = spec_check.concrete_request(method, template)
    owner = nip()
    context_type, context = CONTEXT_FOR.get(template, ("Nip", owner))

    def token() -> str:
        # a fresh session per call: DELETE /auth/sessions/current ends the one it is called with
        minted = mint_session(
            server.sim,
            context_type=context_type,
            context_value=context,
            subject_type="Nip",
            subject_value=owner,
            permissions=ALL_PERMISSIONS,
        )
        return (
            minted["refreshToken"]
            if (method, template) in REFRESH_TOKEN_OPERATIONS
            else minted["accessToken"]
        )

    transport = httpx.HTTPTransport(local_address=next(_addresses))
    with httpx.Client(base_url=server.base_url, transport=transport, timeout=30) as c:
        for n in range(limit + 3):
            fresh = dict(headers, Authorization=f"Bearer {token()}")
            r = c.request(method, path, params=query, headers=fresh, content=content)
            if r.status_code == 429:
                assert int(r.headers["Retry-After"]) >= 1
                if 429 in spec_check.declared_statuses(method, template):  # not for 3 queries of 2.7.0
                    spec_check.assert_matches_spec(method, template, 429, r.json())
                return n
    return limit + 3


# 2.8.0 (changelog): closing a session has groups of its own; the 2.7.0 document still gives the opening ones
CLOSED_BY_28 = {
    ("POST", "/sessions/online/{referenceNumber}/close"): PRODUCTION_LIMITS["onlineSessionClose"].as_json(),
    ("POST", "/sessions/batch/{referenceNumber}/close"): PRODUCTION_LIMITS["batchSessionClose"].as_json(),
}


def _expected(template: str, method: str) -> dict[str, Any]:
    if (method, template) in CLOSED_BY_28:
        return CLOSED_BY_28[(method, template)]
    # 2.7.0 gives three collective-identifier queries no x-rate-limits: the simulator counts them as "other"
    limits: dict[str, Any] = spec_check.operation(method, template).get(
        "x-rate-limits", PRODUCTION_LIMITS["other"].as_json()
    )
    return limits


@pytest.mark.parametrize(("method", "template"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_is_limited_as_the_spec_says(method: str, template: str, server: SimulatorServer) -> None:
    expected = _expected(template, method)
    if expected == PUBLIC:
        # 61 calls must fit in one second; a slow machine may spread them wider, so try again
        tries = [_admitted(server, method, template, 60)]
        while tries[-1] > 60 and len(tries) < 4:
            tries.append(_admitted(server, method, template, 60))
        assert tries[-1] == 60, f"{method} {template}: {tries} calls admitted in a second, spec: 60"
        return
    admitted = _admitted(server, method, template, max(p.per_minute for p in PROBE_TABLE.values()))
    counted_by = [g for g, limit in PROBE_TABLE.items() if limit.per_minute == admitted]
    assert counted_by, f"{method} {template}: {admitted} calls admitted, matching no group"
    group = counted_by[0]
    assert PRODUCTION_LIMITS[group].as_json() == expected, f"{method} {template} counted as {group}"


def test_rate_limit_switches_are_in_the_other_group() -> None:
    for template in SWITCHES:
        for method in ("POST", "DELETE"):
            if method.lower() in spec_check.spec()["paths"][template]:
                assert _expected(template, method) == PRODUCTION_LIMITS["other"].as_json()
