from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakturnik.store.db import Database
from tests.store.pg import fresh_pg_database, store_db  # noqa: F401 (store_db: the fixture `db`)


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
