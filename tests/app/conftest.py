from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakturnik.app import Fakturnik
from fakturnik.engine.settings import EngineSettings
from tests.app.kit import NIP_A, NIP_B
from tests.store.pg import fresh_pg_database


@pytest.fixture
def fk(tmp_path: Path) -> Iterator[Fakturnik]:
    """An installation on SQLite with two companies on the Ministry's test environment (no worker)."""
    with Fakturnik.open(tmp_path, settings=EngineSettings.fast()) as app:
        app.companies.add(NIP_A, "Firma A", environment="test")
        app.companies.add(NIP_B, "Firma B", environment="test")
        yield app


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fk_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fakturnik]:
    """The same on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        with Fakturnik.open(tmp_path, settings=EngineSettings.fast()) as app:
            app.companies.add(NIP_A, "Firma A", environment="test")
            app.companies.add(NIP_B, "Firma B", environment="test")
            yield app
    else:
        with (
            fresh_pg_database() as url,
            Fakturnik.open(tmp_path, database_url=url, settings=EngineSettings.fast()) as app,
        ):
            app.companies.add(NIP_A, "Firma A", environment="test")
            app.companies.add(NIP_B, "Firma B", environment="test")
            yield app


@pytest.fixture
def fk_sim(tmp_path: Path) -> Iterator[Fakturnik]:
    """With the embedded simulator; company A on it (``environment="local"``) with a KSeF token."""
    with Fakturnik.open(tmp_path, simulator=True) as app:
        app.companies.add(NIP_A, "Firma A", environment="local")
        yield app


def company_id(app: Fakturnik, nip: str) -> int:
    return app.companies.by_nip(nip).id
