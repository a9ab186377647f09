from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakturnik.app import Fakturnik
from tests.app.kit import NIP_A, two_companies
from tests.store.pg import STORES, store_url


@pytest.fixture
def fk(tmp_path: Path) -> Iterator[Fakturnik]:
    """An installation on SQLite with two companies on the Ministry's test environment (no worker)."""
    with two_companies(tmp_path) as app:
        yield app


@pytest.fixture(params=STORES)
def fk_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fakturnik]:
    """The same on SQLite and on PostgreSQL."""
    with store_url(request.param) as url, two_companies(tmp_path, url) as app:
        yield app


@pytest.fixture
def fk_sim(tmp_path: Path) -> Iterator[Fakturnik]:
    """With the embedded simulator; company A on it (``environment="local"``) with a KSeF token."""
    with Fakturnik.open(tmp_path, simulator=True) as app:
        app.companies.add(NIP_A, "Firma A", environment="local")
        yield app


def company_id(app: Fakturnik, nip: str) -> int:
    return app.companies.by_nip(nip).id
