"""Property-based conformance: schemathesis drives the official open-api.json against the simulator.

Every operation gets a bounded number of generated requests, valid ones and invalid ones, sent with
a minted owner token; every response must be free of 5xx and match the spec's schema for its status.
Deliberate deviations are listed in docs/simulator.md ("Conformance").
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer
from tests.conftest import OPENAPI_PATH

pytestmark = pytest.mark.slow

OWNER_NIP = "5265877635"
EXAMPLES_PER_OPERATION = int(os.environ.get("FAKTURNIK_SCHEMATHESIS_EXAMPLES", "12"))
TIME_BUDGET_S = 120.0  # past it (a loaded machine), the remaining operations get 2 examples each


def _token(server: SimulatorServer) -> str:
    return mint_session(
        server.sim, context_type="Nip", context_value=OWNER_NIP, subject_type="Nip", subject_value=OWNER_NIP
    )["accessToken"]


def _checks() -> list[Any]:
    from schemathesis import checks

    return [checks.not_a_server_error, checks.response_schema_conformance]


def _runner(
    server: SimulatorServer,
    operation: Any,
    seen: list[str],
    mode: GenerationMode = GenerationMode.POSITIVE,
    examples: int = EXAMPLES_PER_OPERATION,
) -> Any:
    """A hypothesis test calling one operation with generated, authenticated requests."""
    headers = {"Authorization": f"Bearer {_token(server)}"}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def exercise(case: Any) -> None:
        response = case.call(base_url=server.base_url, headers=headers, timeout=30)
        try:
            case.validate_response(response, checks=_checks())
        except Exception as exc:  # schemathesis raises a group of check failures
            seen.append(f"{operation.label} → {response.status_code}: {str(exc)[:600]}")
        finally:
            server.sim.rate_limiter.enabled = False
            server.sim.rate_limiter.reset_to_production()

    return exercise


def test_schemathesis_finds_no_5xx_and_no_schema_violation(server: SimulatorServer) -> None:
    schema = schemathesis.openapi.from_path(OPENAPI_PATH)
    failures: list[str] = []
    exercised = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        examples = EXAMPLES_PER_OPERATION if time.monotonic() - started < TIME_BUDGET_S else 2
        seen: list[str] = []
        _runner(server, result.ok(), seen, examples=examples)()
        # invalid requests must be refused with a documented 4xx, never a 5xx; an operation with
        # no parameters and no body has nothing to break (Unsatisfiable)
        with contextlib.suppress(Unsatisfiable):
            _runner(server, result.ok(), seen, GenerationMode.NEGATIVE, examples)()
        exercised += 1
        failures.extend(seen[:2])
    assert exercised == 83
    assert not failures, "\n\n".join(failures)
