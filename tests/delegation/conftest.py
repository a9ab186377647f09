from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer


@pytest.fixture
def prod_sim() -> Iterator[SimulatorServer]:
    """The simulator on its production profile: only KSeF certificates authenticate, checksums checked."""
    with SimulatorServer(SimulatorConfig(profile="prod", rate_limits_enabled=False)) as server:
        yield server
