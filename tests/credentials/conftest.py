from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakturnik.app import Fakturnik
from tests.app.kit import NIP_A


@pytest.fixture
def fk_prod(tmp_path: Path) -> Iterator[Fakturnik]:
    """The embedded simulator on its production profile (only KSeF certificates log in by signature);
    company A on it with a KSeF token, as the simulator hands one out."""
    with Fakturnik.open(tmp_path, simulator=True, simulator_profile="prod") as app:
        app.companies.add(NIP_A, "Firma A", environment="local")
        yield app


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fk_prod_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fakturnik]:
    """:func:`fk_prod` on SQLite and on PostgreSQL."""
    from tests.store.pg import fresh_pg_database

    if request.param == "sqlite":
        with Fakturnik.open(tmp_path, simulator=True, simulator_profile="prod") as app:
            app.companies.add(NIP_A, "Firma A", environment="local")
            yield app
    else:
        with (
            fresh_pg_database() as url,
            Fakturnik.open(tmp_path, database_url=url, simulator=True, simulator_profile="prod") as app,
        ):
            app.companies.add(NIP_A, "Firma A", environment="local")
            yield app


@pytest.fixture
def fk_test(tmp_path: Path) -> Iterator[Fakturnik]:
    """The embedded simulator on its test profile (self-signed signatures accepted: the first login)."""
    with Fakturnik.open(tmp_path, simulator=True) as app:
        yield app
