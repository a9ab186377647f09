"""The simulator's persistent state: JSON documents and blobs in SQLite.

One table of documents keyed by (kind, key) and one of blobs. ``data_dir=None`` keeps everything in
memory. All access goes through one lock: the simulator is a test tool, and correctness under
concurrent requests matters more than parallel throughput.

Kinds in use (each module documents its documents' fields): ``mf_key``, ``ca``, ``challenge``,
``auth``, ``ksef_token``, ``certificate``, ``enrollment``, ``session``, ``invoice``,
``permission``, ``permission_op``, ``export``, ``subject``, ``person``, ``limits``, ``setting``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fakturnik.base.files import private_dir, private_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS doc (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS doc_kind_seq ON doc(kind, seq);
CREATE TABLE IF NOT EXISTS blob (
    key TEXT PRIMARY KEY,
    data BLOB NOT NULL
);
"""


class StateStore:
    """Thread-safe document store. Documents are plain JSON-able dicts."""

    def __init__(self, data_dir: Path | None = None) -> None:
        if data_dir is not None:
            private_dir(data_dir)  # the database holds the CA keys and the JWT secret
            target = str(private_file(data_dir / "simulator.sqlite"))
        else:
            target = ":memory:"
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL" if data_dir is not None else "PRAGMA journal_mode=MEMORY")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self.lock = threading.RLock()
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM doc").fetchone()
        self._seq = int(row[0])

    # -- documents ---------------------------------------------------------------------------------

    def put(self, kind: str, key: str, body: dict[str, Any]) -> None:
        """Insert or replace; a replaced document keeps its insertion order."""
        text = json.dumps(body, separators=(",", ":"), default=str)
        with self.lock:
            self._seq += 1
            self._db.execute(
                "INSERT INTO doc(kind, key, seq, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(kind, key) DO UPDATE SET body = excluded.body",
                (kind, key, self._seq, text),
            )

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._db.execute("SELECT body FROM doc WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return json.loads(row[0]) if row else None

    def delete(self, kind: str, key: str) -> bool:
        with self.lock:
            cur = self._db.execute("DELETE FROM doc WHERE kind = ? AND key = ?", (kind, key))
        return cur.rowcount > 0

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Every document of a kind, in insertion order."""
        with self.lock:
            rows = self._db.execute("SELECT body FROM doc WHERE kind = ? ORDER BY seq", (kind,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def all_prefixed(self, kind: str, prefix: str) -> list[dict[str, Any]]:
        """Documents of a kind whose key starts with ``prefix``, in key order (uses the primary key)."""
        with self.lock:
            rows = self._db.execute(
                "SELECT body FROM doc WHERE kind = ? AND key >= ? AND key < ? ORDER BY key",
                (kind, prefix, prefix + "\U0010ffff"),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def count(self, kind: str) -> int:
        with self.lock:
            return int(self._db.execute("SELECT COUNT(*) FROM doc WHERE kind = ?", (kind,)).fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes atomically (and hold the lock meanwhile)."""
        with self.lock:
            self._db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- blobs -------------------------------------------------------------------------------------

    def put_blob(self, key: str, data: bytes) -> None:
        with self.lock:
            self._db.execute("INSERT OR REPLACE INTO blob(key, data) VALUES (?, ?)", (key, data))

    def get_blob(self, key: str) -> bytes | None:
        with self.lock:
            row = self._db.execute("SELECT data FROM blob WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    def delete_blob(self, key: str) -> None:
        with self.lock:
            self._db.execute("DELETE FROM blob WHERE key = ?", (key,))

    def close(self) -> None:
        with self.lock:
            self._db.close()
