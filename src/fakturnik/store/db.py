"""Database connection: SQLite in a data directory by default, PostgreSQL by URL; migrations on start."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from fakturnik.base.files import private_dir, private_file
from fakturnik.errors import StoreError

DB_FILE_NAME = "fakturnik.db"
ENV_DATABASE_URL = "FAKTURNIK_DATABASE_URL"
ENV_DATA_DIR = "FAKTURNIK_DATA_DIR"


def default_data_dir() -> Path:
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env) if env else Path.home() / ".local" / "share" / "fakturnik"


def database_url(url: str | None = None, data_dir: Path | None = None) -> str:
    """The URL to use: explicit, then ``FAKTURNIK_DATABASE_URL``, then SQLite in the data directory."""
    if url:
        return url
    env = os.environ.get(ENV_DATABASE_URL)
    if env:
        return env
    directory = private_dir(data_dir or default_data_dir())
    return f"sqlite:///{private_file(directory / DB_FILE_NAME)}"


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL, a long busy timeout, foreign keys, and every transaction ``BEGIN IMMEDIATE``.

    Immediate transactions take the write lock up front, so a read-then-write sequence (claiming
    outbox entries, numbering) never fails half-way with "database is locked".
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class Database:
    """An engine, a session factory and the migration runner for one database."""

    def __init__(self, url: str | None = None, *, data_dir: Path | None = None, migrate: bool = True) -> None:
        self.url = database_url(url, data_dir)
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.upgrade()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self, revision: str = "head") -> None:
        from fakturnik.store.migrate import upgrade

        try:
            upgrade(self.engine, revision)
        except Exception as exc:  # a broken migration must not look like a data error
            raise StoreError(f"database migration failed: {type(exc).__name__}") from exc

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit at the end, roll back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def session(self) -> Session:
        return self._sessions()

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"
