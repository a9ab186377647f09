"""Shared fixtures: paths to ../shared, a running simulator on 127.0.0.1."""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("FAKTURNIK_SHARED_DIR", REPO.parent / "shared"))
SCHEMA_DIR = Path(os.environ.get("FAKTURNIK_SCHEMA_DIR", SHARED / "ksef" / "faktury" / "schemy"))
os.environ.setdefault("FAKTURNIK_SCHEMA_DIR", str(SCHEMA_DIR))
# The throttle's books shared between processes (ksef/throttle_ledger.py): one directory per test
# process, inherited by the processes it starts (which may import this module too), never the
# user's cache.
if "FAKTURNIK_THROTTLE_DIR" not in os.environ:
    _LEDGERS = Path(tempfile.mkdtemp(prefix="fakturnik-throttle-"))
    os.environ["FAKTURNIK_THROTTLE_DIR"] = str(_LEDGERS)
    atexit.register(shutil.rmtree, _LEDGERS, ignore_errors=True)
SAMPLES_DIR = SHARED / "fa3-samples"
# the contract of record (API 2.7.0); open-api.json beside it is 2.6.0, kept for comparison
OPENAPI_PATH = SHARED / "ksef" / "open-api-2.7.0.json"
OPENAPI_260_PATH = SHARED / "ksef" / "open-api.json"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES_DIR


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where a CLI test's ``fakturnik`` keeps its data: ``tmp_path / "data"`` in ``$FAKTURNIK_DATA_DIR``,
    with a vault key made for the test in ``$FAKTURNIK_MASTER_KEY`` (never the user's keyring)."""
    from fakturnik.vault import ENV_MASTER_KEY

    data = tmp_path / "data"
    monkeypatch.setenv(ENV_MASTER_KEY, secrets.token_hex(32))
    monkeypatch.setenv("FAKTURNIK_DATA_DIR", str(data))
    return data


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    """A fresh in-memory simulator (test profile, no rate limits) on a real loopback port."""
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as server:
        yield server


@pytest.fixture
def simulator_factory() -> Iterator[object]:
    """Start simulators with custom configs; all are stopped at the end of the test."""
    servers: list[SimulatorServer] = []

    def start(config: SimulatorConfig) -> SimulatorServer:
        server = SimulatorServer(config).start()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


@pytest.fixture(autouse=True)
def _throttle_books_of_the_machine() -> Iterator[None]:
    """Books a test installed for the process (an engine on PostgreSQL shares the KSeF throttle's
    books through its store) are taken back after it: the next test starts with the machine's file."""
    from fakturnik.ksef.throttle_ledger import current_ledger_factory, set_ledger_factory

    before = current_ledger_factory()
    yield
    if current_ledger_factory() is not before:
        set_ledger_factory(before)
