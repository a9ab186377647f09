"""The KSeF throttle's books in PostgreSQL: one set for every process on every machine of one store.

KSeF counts requests per (context, client IP). Workers on several machines behind one address draw on
one allowance; when PostgreSQL is the store they keep their books in it (tables ``throttle_slots`` and
``throttle_blocks``, migration ``0006_r14``) instead of in a file per machine
(:class:`~fakturnik.ksef.throttle_ledger.HostLedger`), so no ``--share 1/N`` split is needed.

* One transaction per reservation, serialised per counter with
  ``pg_advisory_xact_lock(hashtext(key))``: it counts the counter's slots in the three windows and
  inserts the new one only when it fits (the arithmetic is
  :func:`~fakturnik.ksef.rate_limits.delay_until_free`, as in the other books).
* Times are the database's clock (``clock_timestamp()``, seconds since the epoch), one clock for every
  machine: theirs need not agree.
* A slot whose owner died is dated, never dropped (its request may have reached KSeF): a process of
  this machine that is gone (pid and start time, as the host file does) at the next reservation of its
  counter; a slot of another machine, which cannot be asked, once it has been in flight longer than
  any request can take (``stale_after``, default 300 s).
* Each deployment (API base URL) has its own keys: the first 16 hex digits of the URL's SHA-256
  before the counter.

:func:`share_books_through` installs these books for every throttle of the process
(:func:`~fakturnik.ksef.throttle_ledger.set_ledger_factory`); the engine calls it when its store is
PostgreSQL (:func:`fakturnik.engine.connect.default_gateway`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from fakturnik.ksef.rate_limits import WINDOWS, RateLimit, delay_until_free
from fakturnik.ksef.throttle_ledger import (
    LedgerUnavailable,
    boot_id,
    current_ledger_factory,
    owner_alive,
    process_owner,
    set_ledger_factory,
)

__all__ = [
    "ENV_HOST",
    "STALE_AFTER",
    "PostgresLedger",
    "host_identity",
    "share_books_through",
    "stop_sharing_books",
]

log = logging.getLogger(__name__)

STALE_AFTER = 300.0  # longer than any one request (its timeouts, an upload of a big batch part)
_KEEP = WINDOWS[-1] + 60.0  # as the other books: an hour's slots and a minute more
_PRUNE_EVERY = 256  # reservations between two deletions of slots older than _KEEP
_T = TypeVar("_T")

# the lock first (a volatile function in a subquery is evaluated before the outer list), then the clock
_LOCK_AND_NOW = text(
    "SELECT extract(epoch FROM clock_timestamp())::float8 "
    "FROM (SELECT pg_advisory_xact_lock(hashtext(:key))) AS locked"
)
_COUNTS = text(
    "SELECT count(*) FILTER (WHERE done IS NULL) AS in_flight, "
    "count(*) FILTER (WHERE done > :second) AS in_second, "
    "count(*) FILTER (WHERE done > :minute) AS in_minute, "
    "count(*) FILTER (WHERE done > :hour) AS in_hour, "
    "count(*) FILTER (WHERE done IS NULL AND host <> :host AND reserved < :stale) AS stale, "
    "array_agg(DISTINCT owner) FILTER (WHERE done IS NULL AND host = :host AND owner <> :me) AS local, "
    "(SELECT until FROM throttle_blocks WHERE key = :key) AS blocked "
    "FROM throttle_slots WHERE key = :key AND (done IS NULL OR done > :hour)"
)
_DATE_STALE = text(
    "UPDATE throttle_slots SET done = :now "
    "WHERE key = :key AND done IS NULL AND host <> :host AND reserved < :stale"
)
_DATE_DEAD = text(
    "UPDATE throttle_slots SET done = :now "
    "WHERE key = :key AND done IS NULL AND host = :host AND owner = ANY(:owners)"
)
_COMPLETED = text("SELECT done FROM throttle_slots WHERE key = :key AND done > :since ORDER BY done")
_INSERT = text(
    "INSERT INTO throttle_slots (key, host, owner, reserved, done) "
    "VALUES (:key, :host, :me, :now, NULL) RETURNING id"
)
_PRUNE_SLOTS = text("DELETE FROM throttle_slots WHERE done < :cut")
_PRUNE_BLOCKS = text("DELETE FROM throttle_blocks WHERE until < :cut")
_RELEASE = text(
    "UPDATE throttle_slots SET done = extract(epoch FROM clock_timestamp())::float8 "
    "WHERE id = :id AND done IS NULL"
)
_BLOCK = text(
    "INSERT INTO throttle_blocks (key, until) "
    "VALUES (:key, extract(epoch FROM clock_timestamp())::float8 + :s) "
    "ON CONFLICT (key) DO UPDATE SET until = greatest(throttle_blocks.until, excluded.until)"
)


ENV_HOST = "FAKTURNIK_THROTTLE_HOST"


def host_identity() -> str:
    """This machine and boot (a pid means something only there): ``hostname/boot id``, or
    ``$FAKTURNIK_THROTTLE_HOST`` (containers that share a host name and a kernel must set it apart)."""
    explicit = os.environ.get(ENV_HOST)
    if explicit:
        return explicit[:200]
    return f"{socket.gethostname()[:120]}/{boot_id()}"[:200]


class PostgresLedger:
    """Slots of one KSeF deployment's counters in a PostgreSQL database, shared by every process and
    machine using it. Thread-safe (a small pool of its own connections, apart from the store's).

    ``host`` names this machine (default :func:`host_identity`); ``stale_after``: seconds after which a
    slot of another machine still in flight is taken as finished (its process is surely gone).
    """

    def __init__(
        self,
        url: str,
        api_url: str,
        *,
        stale_after: float = STALE_AFTER,
        host: str | None = None,
    ) -> None:
        if make_url(url).get_backend_name() != "postgresql":
            raise ValueError("PostgresLedger needs a PostgreSQL URL")
        self.api_url = api_url
        self.stale_after = stale_after
        self.host = (host or host_identity())[:200]
        self._prefix = hashlib.sha256(api_url.encode()).hexdigest()[:16] + "|"
        self._url = url
        self._engine: Engine = create_engine(url, pool_size=2, max_overflow=30, pool_pre_ping=False)
        self._lock = threading.Lock()
        self._calls = 0
        self._at_start()

    def _at_start(self) -> None:
        self._pid = os.getpid()
        self._me = process_owner(self._pid)

    def __repr__(self) -> str:
        shown = make_url(self._url).render_as_string(hide_password=True)
        return f"PostgresLedger({shown!r}, {self.api_url!r})"

    def _key(self, key: str) -> str:
        full = self._prefix + key
        if len(full) > 300:  # a very long endpoint counter: its hash keeps it apart from the others
            full = self._prefix + hashlib.sha256(key.encode()).hexdigest()
        return full

    def _run(self, work: Callable[[Connection], _T], *, autocommit: bool = False) -> _T:
        """``work`` in one transaction (retried once on a connection the server dropped)."""
        if os.getpid() != self._pid:  # forked: the parent's connections are not ours to use
            self._engine.dispose(close=False)
            self._at_start()
        for attempt in (1, 2):
            try:
                if autocommit:
                    with self._engine.connect() as conn:
                        result = work(conn.execution_options(isolation_level="AUTOCOMMIT"))
                    return result
                with self._engine.begin() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if attempt == 1 and exc.connection_invalidated:
                    continue
                raise LedgerUnavailable(f"{type(exc.orig or exc).__name__}: {_first_line(exc)}") from exc
            except SQLAlchemyError as exc:
                raise LedgerUnavailable(f"{type(exc).__name__}: {_first_line(exc)}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def reserve(self, key: str, limit: RateLimit, margin: float) -> tuple[float | None, int | None]:
        """(0, slot id) when a request of ``key`` fits now, else (seconds to wait or None, None)."""
        full = self._key(key)
        with self._lock:
            self._calls += 1
            prune = self._calls % _PRUNE_EVERY == 1
        return self._run(lambda conn: self._reserve(conn, full, limit, margin, prune))

    def _reserve(
        self, conn: Connection, key: str, limit: RateLimit, margin: float, prune: bool
    ) -> tuple[float | None, int | None]:
        now: float = conn.execute(_LOCK_AND_NOW, {"key": key}).scalar_one()
        if prune:
            conn.execute(_PRUNE_SLOTS, {"cut": now - _KEEP})
            conn.execute(_PRUNE_BLOCKS, {"cut": now - 60.0})
        starts = [now - window - margin for window in WINDOWS]
        params: dict[str, Any] = {
            "key": key,
            "second": starts[0],
            "minute": starts[1],
            "hour": starts[2],
            "host": self.host,
            "me": self._me,
            "stale": now - self.stale_after,
        }
        row = conn.execute(_COUNTS, params).one()
        dead = [owner for owner in (row.local or ()) if not owner_alive(owner)]
        if row.stale or dead:
            if row.stale:
                conn.execute(_DATE_STALE, {**params, "now": now})
            if dead:
                conn.execute(_DATE_DEAD, {"key": key, "host": self.host, "owners": dead, "now": now})
            row = conn.execute(_COUNTS, params).one()
        in_flight = int(row.in_flight)
        counts = (int(row.in_second), int(row.in_minute), int(row.in_hour))
        if all(n + in_flight < allowed for n, allowed in zip(counts, limit.allowances(), strict=True)):
            wait: float | None = 0.0
        else:  # a window is full: read its slots for how long to wait
            completed = list(conn.execute(_COMPLETED, {"key": key, "since": now - _KEEP}).scalars())
            wait = delay_until_free(completed, in_flight, now, limit, margin)
        if wait is not None and row.blocked is not None and row.blocked > now:
            wait = max(wait, float(row.blocked) - now)
        if wait != 0.0:
            return wait, None
        slot_id: int = conn.execute(
            _INSERT, {"key": key, "host": self.host, "me": self._me, "now": now}
        ).scalar_one()
        return 0.0, slot_id

    def release(self, slot_id: int) -> None:
        """The response of a reserved slot arrived (or the request failed): date it now."""
        self._run(lambda conn: conn.execute(_RELEASE, {"id": slot_id}), autocommit=True)

    def block(self, key: str, seconds: float) -> None:
        """KSeF answered 429: no process on any machine uses this counter for ``seconds``."""
        full = self._key(key)
        self._run(lambda conn: conn.execute(_BLOCK, {"key": full, "s": max(0.0, seconds)}), autocommit=True)

    def close(self) -> None:
        self._engine.dispose()


def _first_line(exc: BaseException) -> str:
    """The error's first line without its SQL and parameters (no data in logs)."""
    orig = getattr(exc, "orig", None)
    return str(orig or exc).splitlines()[0][:200] if str(orig or exc) else type(exc).__name__


class _Factory:
    """``set_ledger_factory``'s callable for one store: a ledger per deployment, made on first use."""

    def __init__(self, url: str, stale_after: float, host: str | None) -> None:
        self.url = url
        self.stale_after = stale_after
        self.host = host

    def same(self, url: str, stale_after: float, host: str | None) -> bool:
        return (self.url, self.stale_after, self.host) == (url, stale_after, host)

    def __call__(self, api_url: str) -> PostgresLedger:
        return PostgresLedger(self.url, api_url, stale_after=self.stale_after, host=self.host)


_install_lock = threading.Lock()


def share_books_through(url: str, *, stale_after: float = STALE_AFTER, host: str | None = None) -> None:
    """Every throttle of this process keeps its books in this PostgreSQL database from now on.

    Idempotent for the same arguments (the engine calls it for each gateway it makes). ``host``: this
    machine's name in the books (default :func:`host_identity`).
    """
    with _install_lock:
        current = current_ledger_factory()
        if isinstance(current, _Factory) and current.same(url, stale_after, host):
            return
        set_ledger_factory(_Factory(url, stale_after, host))
        log.info("throttle books shared through the store's PostgreSQL")


def stop_sharing_books(url: str | None = None) -> None:
    """Back to this machine's books (the host file) — only if the books in use are ``url``'s, when given
    (a store that closes; tests)."""
    with _install_lock:
        current = current_ledger_factory()
        if isinstance(current, _Factory) and (url is None or current.url == url):
            set_ledger_factory(None)
