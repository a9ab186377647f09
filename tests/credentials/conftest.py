from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakturnik.app import Fakturnik
from tests.app.kit import NIP_A
from tests.store.pg import STORES, store_url


@pytest.fixture
def fk_prod(tmp_path: Path) -> Iterator[Fakturnik]:
    """The embedded simulator on its production profile (only KSeF certificates log in by signature);
    company A on it with a KSeF token, as the simulator hands one out."""
    with Fakturnik.open(tmp_path, simulator=True, simulator_profile="prod") as app:
        app.companies.add(NIP_A, "Firma A", environment="local")
        yield app


@pytest.fixture(params=STORES)
def fk_prod_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fakturnik]:
    """:func:`fk_prod` on SQLite and on PostgreSQL."""
    with (
        store_url(request.param) as url,
        Fakturnik.open(tmp_path, database_url=url, simulator=True, simulator_profile="prod") as app,
    ):
        app.companies.add(NIP_A, "Firma A", environment="local")
        yield app


@pytest.fixture
def fk_test(tmp_path: Path) -> Iterator[Fakturnik]:
    """The embedded simulator on its test profile (self-signed signatures accepted: the first login)."""
    with Fakturnik.open(tmp_path, simulator=True) as app:
        yield app
