"""Throwaway PostgreSQL databases for tests (server from ``scripts/postgres.sh``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fakturnik.store.db import Database

PG_URL = os.environ.get("FAKTURNIK_TEST_PG_URL")
SKIP_REASON = "FAKTURNIK_TEST_PG_URL is not set (source scripts/postgres.sh to start a local PostgreSQL)"
needs_pg = pytest.mark.skipif(not PG_URL, reason=SKIP_REASON)
# parameters of a test (or fixture) run on SQLite and once more on a throwaway PostgreSQL database
STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """Create an empty database, yield its URL, drop it afterwards."""
    if not PG_URL:
        pytest.skip(SKIP_REASON)
    name = f"fakturnik_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def store_url(kind: str) -> Iterator[str | None]:
    """For one of :data:`STORES`: ``None`` (SQLite in the data directory) or a throwaway database's URL."""
    if kind == "sqlite":
        yield None
    else:
        with fresh_pg_database() as url:
            yield url


@pytest.fixture(name="db", params=STORES)
def store_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated store on SQLite in ``tmp_path``, and once more on a throwaway PostgreSQL database."""
    with store_url(request.param) as url:
        database = Database(url) if url else Database(data_dir=tmp_path)
        yield database
        database.dispose()
