"""Fixtures of the simulator tests: one simulator per test module, a KSeF client per test."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import pytest

from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from tests.simulator.sessions_kit import Ksef, nip


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    """A simulator (test profile, no rate limits) on a loopback port, shared by a test module."""
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as srv:
        yield srv


@pytest.fixture
def ksef(server: SimulatorServer, request: pytest.FixtureRequest) -> Iterator[Ksef]:
    """A client of ``server`` with a NIP of the test's own (from its name; a module's ``NIP_OFFSET``
    keeps its NIPs apart from the other modules')."""
    offset = getattr(request.module, "NIP_OFFSET", 0)
    client = Ksef(server, nip=nip(zlib.crc32(request.node.name.encode()) % 100_000 + offset))
    yield client
    client.close()
