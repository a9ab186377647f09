from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakturnik.store.db import Database
from tests.store.pg import fresh_pg_database


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(data_dir=tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def pg_db() -> Iterator[Database]:
    with fresh_pg_database() as url:
        db = Database(url)
        yield db
        db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(data_dir=tmp_path)
        yield database
        database.dispose()
    else:
        with fresh_pg_database() as url:
            database = Database(url)
            yield database
            database.dispose()
