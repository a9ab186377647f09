"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from fakturnik.store.db import Database
from fakturnik.store.migrate import downgrade
from fakturnik.store.models import Base
from tests.threads import run_threads


def _diff(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, Base.metadata))


def test_upgrade_on_empty_database_matches_models(db: Database) -> None:
    assert _diff(db) == []
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_upgrade_is_idempotent_and_downgrade_removes_everything(db: Database) -> None:
    db.upgrade()
    downgrade(db.engine, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.upgrade()
    assert _diff(db) == []


@pytest.mark.postgres
def test_processes_starting_together_migrate_an_empty_postgres_once() -> None:
    from tests.store.pg import fresh_pg_database

    with fresh_pg_database() as url:
        errors: list[BaseException] = []

        def start() -> None:
            try:
                Database(url).dispose()
            except BaseException as exc:
                errors.append(exc)

        run_threads([start] * 3)
        assert not errors
        db = Database(url)
        assert _diff(db) == []
        db.dispose()
