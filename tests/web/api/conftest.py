"""Fixtures of the REST API tests: a served app on a temp data dir, SQLite by default."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.pg import STORES, store_url
from tests.web.api.harness import ApiServer, api_server

# A master key for the vault made at test time (never the user's keyring)
os.environ.setdefault("FAKTURNIK_MASTER_KEY", secrets.token_hex(32))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ApiServer]:
    """An API server on SQLite without background work (fast tests of routes and security)."""
    with api_server(tmp_path, worker=False, webhooks=False) as s:
        yield s


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[ApiServer]:
    """SQLite, the embedded simulator (companies with environment 'local'), no background work."""
    with api_server(tmp_path, env="local", worker=False, webhooks=False) as s:
        yield s


@pytest.fixture
def hooks_server(tmp_path: Path) -> Iterator[ApiServer]:
    """SQLite, the embedded simulator, the worker and webhook delivery (to loopback receivers too)."""
    with api_server(tmp_path, env="local", webhooks_allow_private_targets=True) as s:
        yield s


@pytest.fixture(params=STORES)
def any_db_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ApiServer]:
    """The embedded simulator, no background work, on SQLite and on PostgreSQL."""
    with (
        store_url(request.param) as url,
        api_server(tmp_path, url, env="local", worker=False, webhooks=False) as s,
    ):
        yield s
