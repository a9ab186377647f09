"""The throttle's books shared by every process on this machine, so that together they stay under the limits.

KSeF counts requests per (context, client IP), and the processes of one machine share its IP: two
engine workers, a sync and a CLI command working for the same company draw on one allowance. A
:class:`~fakturnik.ksef.throttle.Throttle` with a :class:`HostLedger` keeps its books in one SQLite
file per KSeF deployment instead of in memory, and decides every reservation in one transaction over
the slots of all processes, with the same sliding-window arithmetic
(:func:`~fakturnik.ksef.throttle.delay_until_free`).

* Times are ``time.monotonic()`` (CLOCK_MONOTONIC), one clock for all processes of one boot; the file
  remembers the boot it was written in (``/proc/sys/kernel/random/boot_id``) and starts afresh after
  a reboot.
* A slot reserved by a process that died before releasing it is dated when a later reservation finds
  its owner gone (identified by pid and start time, so a reused pid is not mistaken for it): the
  request may have reached KSeF, so a crash never frees capacity early.
* The books are not worth an fsync (``synchronous=OFF``): after a power cut the file may lose its
  last writes, and the machine's reboot empties it anyway.

Processes on different machines usually have different IPs and need nothing. Machines behind one
address share books kept where they all reach: a :class:`Ledger` made by the factory given to
:func:`set_ledger_factory` (the store installs its PostgreSQL books,
:mod:`fakturnik.store.throttle_books`, when PostgreSQL is the store); without such books they split the
limits with ``Throttle(share=…)`` (``fakturnik worker --share``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from fakturnik.errors import LedgerUnavailable
from fakturnik.ksef.rate_limits import WINDOWS, RateLimit, delay_until_free

__all__ = [
    "HostLedger",
    "Ledger",
    "LedgerFactory",
    "LedgerUnavailable",
    "boot_id",
    "current_ledger_factory",
    "default_ledger_dir",
    "host_ledger_for",
    "ledger_factory_generation",
    "ledger_for",
    "owner_alive",
    "process_owner",
    "set_ledger_factory",
]

log = logging.getLogger(__name__)

ENV_DIR = "FAKTURNIK_THROTTLE_DIR"
ENV_SHARED = "FAKTURNIK_THROTTLE_SHARED"
_KEEP = WINDOWS[-1] + 60.0  # as the in-memory books: an hour's slots and a minute more


class Ledger(Protocol):
    """Books of slots shared by several throttles (processes, machines): every decision in one place.

    Every method raises :class:`LedgerUnavailable` when the books cannot be used (then the
    :class:`~fakturnik.ksef.throttle.Throttle` goes on with its process's own).
    """

    def reserve(self, key: str, limit: RateLimit, margin: float) -> tuple[float | None, int | None]:
        """(0, slot id) when a request of ``key`` fits now, else (seconds to wait or None, None).

        The wait is :func:`~fakturnik.ksef.rate_limits.delay_until_free` over every slot of ``key``
        (None: "when a request in flight finishes"), lengthened by a :meth:`block` in force.
        """
        ...

    def release(self, slot_id: int) -> None:
        """The response of a reserved slot arrived (or the request failed): date it now."""
        ...

    def block(self, key: str, seconds: float) -> None:
        """KSeF answered 429: nobody uses this counter for ``seconds``."""
        ...

    def close(self) -> None: ...


LedgerFactory = Callable[[str], "Ledger | None"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS slots"
    " (id INTEGER PRIMARY KEY, key TEXT NOT NULL, done REAL, owner TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS slots_by_key ON slots (key, done)",
    "CREATE TABLE IF NOT EXISTS blocks (key TEXT PRIMARY KEY, until REAL NOT NULL)",
)


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/PID/stat`` field 22); None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return "?"
    return stat.rsplit(")", 1)[-1].split()[19]


def _owner(pid: int) -> str:
    return f"{pid}:{_start_time(pid) or '?'}"


def _alive(owner: str) -> bool:
    pid_text, _, started = owner.partition(":")
    pid = int(pid_text)
    if Path("/proc/self/stat").exists():
        now = _start_time(pid)
        return now is not None and (started == "?" or now == "?" or now == started)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# what other books keeping slots per process need too (fakturnik.store.throttle_books)
boot_id = _boot_id
process_owner = _owner
owner_alive = _alive


class HostLedger:
    """Slots of one KSeF deployment's counters, shared through an SQLite file by this machine's processes.

    Thread-safe: one connection per ledger object, used under a lock; several objects (one per process,
    or several in one process in tests) may use the same file.
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._open()
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        with self._transaction() as db:
            for statement in _SCHEMA:
                db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE name = 'boot'").fetchone()
            boot = _boot_id()
            if row is None or row[0] != boot:  # written before a reboot: its times mean nothing now
                db.execute("DELETE FROM slots")
                db.execute("DELETE FROM blocks")
                db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('boot', ?)", (boot,))

    def _open(self) -> None:
        """(Re)connect as this process: at creation, and in a child forked after it."""
        self._pid = os.getpid()
        self._me = _owner(self._pid)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
        )
        # WAL once, by whoever finds the file without it (switching needs the file to itself; a file
        # already in WAL stays so, and every later open just uses it)
        (mode,) = self._db.execute("PRAGMA journal_mode").fetchone()
        if str(mode).lower() != "wal":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if os.getpid() != self._pid:  # forked: an SQLite connection must not cross a fork
            self._open()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def __repr__(self) -> str:
        return f"HostLedger({str(self.path)!r})"

    def reserve(self, key: str, limit: RateLimit, margin: float) -> tuple[float | None, int | None]:
        """(0, slot id) when a request of ``key`` fits now, else (seconds to wait or None, None).

        None as the wait means "when a request in flight finishes" (they alone fill a window).
        """
        try:
            return self._reserve(key, limit, margin)
        except sqlite3.Error as exc:
            raise LedgerUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _reserve(self, key: str, limit: RateLimit, margin: float) -> tuple[float | None, int | None]:
        with self._transaction() as db:
            now = self._clock()
            self._date_the_dead(db, key, now)
            db.execute("DELETE FROM slots WHERE key = ? AND done < ?", (key, now - _KEEP))
            (in_flight,) = db.execute(
                "SELECT count(*) FROM slots WHERE key = ? AND done IS NULL", (key,)
            ).fetchone()
            # Most reservations fit: counting in SQL says so without reading the slots; only when a
            # window is full are they read, for delay_until_free to say how long to wait.
            starts = [now - window - margin for window in WINDOWS]
            inside = db.execute(
                "SELECT count(*), coalesce(sum(done > ?), 0), coalesce(sum(done > ?), 0) "
                "FROM slots WHERE key = ? AND done > ?",
                (starts[1], starts[0], key, starts[2]),
            ).fetchone()
            counts = (inside[2], inside[1], inside[0])  # in the second, minute, hour windows
            if all(n + in_flight < allowed for n, allowed in zip(counts, limit.allowances(), strict=True)):
                wait: float | None = 0.0
            else:
                completed = [
                    r[0]
                    for r in db.execute(
                        "SELECT done FROM slots WHERE key = ? AND done IS NOT NULL ORDER BY done", (key,)
                    )
                ]
                wait = delay_until_free(completed, in_flight, now, limit, margin)
            blocked = db.execute("SELECT until FROM blocks WHERE key = ?", (key,)).fetchone()
            if wait is not None and blocked is not None and blocked[0] > now:
                wait = max(wait, blocked[0] - now)
            if wait != 0.0:
                return wait, None
            cursor = db.execute("INSERT INTO slots (key, done, owner) VALUES (?, NULL, ?)", (key, self._me))
            return 0.0, cursor.lastrowid

    def release(self, slot_id: int) -> None:
        """The response of a reserved slot arrived (or the request failed): date it now."""
        try:
            with self._transaction() as db:
                db.execute(
                    "UPDATE slots SET done = ? WHERE id = ? AND done IS NULL", (self._clock(), slot_id)
                )
        except sqlite3.Error as exc:
            raise LedgerUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def block(self, key: str, seconds: float) -> None:
        """KSeF answered 429: no process uses this counter for ``seconds``."""
        try:
            with self._transaction() as db:
                until = self._clock() + max(0.0, seconds)
                db.execute(
                    "INSERT INTO blocks (key, until) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET until = max(until, excluded.until)",
                    (key, until),
                )
        except sqlite3.Error as exc:
            raise LedgerUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _date_the_dead(self, db: sqlite3.Connection, key: str, now: float) -> None:
        owners = [
            r[0]
            for r in db.execute(
                "SELECT DISTINCT owner FROM slots WHERE key = ? AND done IS NULL AND owner != ?",
                (key, self._me),
            )
        ]
        for owner in owners:
            if not _alive(owner):
                db.execute("UPDATE slots SET done = ? WHERE owner = ? AND done IS NULL", (now, owner))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def default_ledger_dir() -> Path:
    """``$FAKTURNIK_THROTTLE_DIR``, else ``$XDG_CACHE_HOME/fakturnik/throttle`` (``~/.cache/…``)."""
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "fakturnik" / "throttle"


_factory: LedgerFactory | None = None
_generation = 0
_factory_lock = threading.Lock()


def set_ledger_factory(factory: LedgerFactory | None) -> None:
    """Books for every KSeF deployment from now on: ``factory(api_url)`` (None: this machine's file).

    Throttles already made by :func:`~fakturnik.ksef.throttle.throttle_for` take the new books at
    their next use by a new transport or gateway (they see :func:`ledger_factory_generation` change).
    """
    global _factory, _generation
    with _factory_lock:
        _factory = factory
        _generation += 1


def ledger_factory_generation() -> int:
    """Increases at every :func:`set_ledger_factory`."""
    return _generation


def current_ledger_factory() -> LedgerFactory | None:
    return _factory


def ledger_for(api_url: str) -> Ledger | None:
    """The shared books of one KSeF deployment: the installed factory's (:func:`set_ledger_factory`),
    else this machine's file; None when turned off (``FAKTURNIK_THROTTLE_SHARED=0``) or when they
    cannot be used (then each process keeps its own books, as a warning in the log says)."""
    if os.environ.get(ENV_SHARED, "").lower() in ("0", "false", "no", "off"):
        return None
    factory = _factory
    if factory is not None:
        try:
            return factory(api_url)
        except LedgerUnavailable as exc:
            log.warning("throttle books not shared between processes (%s)", exc)
            return None
    return host_ledger_for(api_url)


def host_ledger_for(api_url: str) -> HostLedger | None:
    """This machine's file of books for one KSeF deployment (None: it cannot be used, as logged)."""
    name = hashlib.sha256(api_url.encode()).hexdigest()[:16] + ".sqlite"
    path = default_ledger_dir() / name
    try:
        return HostLedger(path)
    except (OSError, sqlite3.Error) as exc:
        log.warning("throttle books not shared between processes (%s: %s)", path, exc)
        return None
