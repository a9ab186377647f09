"""Client-side sliding-window throttling that mirrors KSeF's published rate limits (digest §8).

KSeF counts requests per (context, client IP) in three sliding windows (1 s, 60 s, 60 min) per
endpoint group; every endpoint of the ``other`` group has its own counter; public endpoints share
60 requests per second per IP. A :class:`Throttle` keeps the same books on the client and makes a
caller *wait* until the request fits, so that normal use never meets a 429.

A slot is counted from the moment it is reserved and dated by the moment its response arrived: the
server saw the request somewhere in between, so a request sent ``window`` after the previous
response can never be counted in the same server window. No clock synchronisation is needed.

Throttles are shared by all threads of a process through :func:`throttle_for` (one per API base),
and their books by all processes of the machine through a
:class:`~fakturnik.ksef.throttle_ledger.HostLedger` (KSeF counts per IP, which they share) — or, when
PostgreSQL is the store, by every process on every machine using it
(:func:`~fakturnik.ksef.throttle_ledger.set_ledger_factory`).
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakturnik.errors import LedgerUnavailable
from fakturnik.ksef.rate_limits import (
    OTHER,
    PUBLIC,
    PUBLISHED_LIMITS,
    WINDOWS,
    RateLimit,
    delay_until_free,
)

if TYPE_CHECKING:
    from fakturnik.ksef.throttle_ledger import Ledger

log = logging.getLogger(__name__)

RETRY_SHARING_AFTER = 30.0  # seconds on this process's own books after the shared ones failed


@dataclass
class _Book:
    completed: list[float] = field(default_factory=list)
    in_flight: int = 0
    blocked_until: float = 0.0

    def prune(self, now: float) -> None:
        cut = bisect.bisect_right(self.completed, now - WINDOWS[-1] - 60.0)
        if cut:
            del self.completed[:cut]


@dataclass(frozen=True)
class Slot:
    """A reserved request slot; hand it back with :meth:`Throttle.release`."""

    key: tuple[str, str]
    shared_id: int | None = None  # its row in the shared books, when there are some


class Throttle:
    """Blocking sliding-window limiter keyed by (counter, context), safe across threads.

    ``limits`` maps group names to :class:`RateLimit` (default: the published table);
    ``context_limits`` overrides them for one context (e.g. after ``GET /rate-limits``).
    ``margin`` is the safety margin in seconds added to every window. ``ledger``: books shared with
    the other processes of this machine, or of every machine of one store
    (:mod:`fakturnik.ksef.throttle_ledger`), so that together they stay within the limits; without it
    the books are this process's alone. ``share`` is this
    process's part of the limits when processes that do not share books use one IP for the same
    contexts (e.g. several machines behind one address): with 4 of them, ``share=0.25`` keeps their
    sum within the published table.
    """

    def __init__(
        self,
        limits: Mapping[str, RateLimit] | None = None,
        *,
        margin: float = 0.05,
        enabled: bool = True,
        share: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        ledger: Ledger | None = None,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        self.limits: dict[str, RateLimit] = dict(PUBLISHED_LIMITS if limits is None else limits)
        self.context_limits: dict[str, dict[str, RateLimit]] = {}
        self.margin = margin
        self.enabled = enabled
        self.share = share
        self._clock = clock
        self._cond = threading.Condition()
        self._books: dict[tuple[str, str], _Book] = {}
        self.ledger = ledger
        self._paused_ledger: Ledger | None = None  # books that failed, tried again at _retry_at
        self._retry_at = 0.0
        self.total_wait = 0.0  # seconds callers spent waiting here (for benchmarks)

    @classmethod
    def unlimited(cls) -> Throttle:
        return cls(enabled=False)

    # -- configuration -----------------------------------------------------------------------------

    def limit_for(self, group: str, context: str = "") -> RateLimit:
        """The allowances this process uses for ``group`` in ``context`` (``share`` applied)."""
        table = self.context_limits.get(context, {})
        limit = (
            table.get(group) or self.limits.get(group) or self.limits.get(OTHER) or PUBLISHED_LIMITS[OTHER]
        )
        if self.share == 1.0:
            return limit
        return RateLimit(*(max(1, int(n * self.share)) for n in limit.allowances()))

    def set_limits(self, limits: Mapping[str, RateLimit], context: str | None = None) -> None:
        """Replace limits for every context (``context=None``) or for one context."""
        with self._cond:
            if context is None:
                self.limits.update(limits)
            else:
                self.context_limits.setdefault(context, {}).update(limits)
            self._cond.notify_all()

    def apply_rate_limits_json(self, body: Mapping[str, Any], context: str | None = None) -> None:
        """Adopt the body of ``GET /rate-limits`` (``{group: {perSecond, perMinute, perHour}}``)."""
        parsed = {
            group: RateLimit.from_json(value) for group, value in body.items() if isinstance(value, Mapping)
        }
        self.set_limits(parsed, context)

    # -- use -----------------------------------------------------------------------------------------

    def acquire(self, group: str, context: str = "", counter: str | None = None) -> Slot:
        """Block until a request of ``group`` fits the windows of ``context``; reserve its slot.

        ``counter`` gives an ``other`` endpoint its own books (KSeF counts those per endpoint).
        Public endpoints are counted per IP, so their context is ignored.
        """
        if group == PUBLIC:
            context = ""
        key = (counter or group, context)
        limit = self.limit_for(group, context)
        if self.ledger is None and self._paused_ledger is not None:
            self._retry_sharing()
        if self.ledger is not None and self.enabled:
            shared = self._acquire_shared(key, group, context, limit, self.ledger)
            if shared is not None:
                return shared
        with self._cond:
            book = self._books.setdefault(key, _Book())
            while True:
                now = self._clock()
                book.prune(now)
                if not self.enabled:
                    wait: float | None = 0.0
                else:
                    wait = delay_until_free(book.completed, book.in_flight, now, limit, self.margin)
                    if wait is not None and book.blocked_until > now:
                        wait = max(wait, book.blocked_until - now)
                if wait == 0.0:
                    book.in_flight += 1
                    return Slot(key)
                started = time.monotonic()
                self._cond.wait(timeout=1.0 if wait is None else min(wait, 5.0))
                self.total_wait += time.monotonic() - started
                limit = self.limit_for(group, context)

    def _acquire_shared(
        self, key: tuple[str, str], group: str, context: str, limit: RateLimit, ledger: Ledger
    ) -> Slot | None:
        """:meth:`acquire` against the shared books (other processes cannot notify us: poll).

        None when the books cannot be used any more: the caller goes on with this process's own.
        """
        shared_key = f"{key[0]}|{key[1]}"
        while True:
            try:
                wait, slot_id = ledger.reserve(shared_key, limit, self.margin)
            except LedgerUnavailable as exc:
                self._give_up_sharing(exc)
                return None
            if slot_id is not None:
                return Slot(key, slot_id)
            started = time.monotonic()
            with self._cond:  # a release in this process wakes us early
                self._cond.wait(timeout=0.05 if wait is None else min(wait, 1.0))
            self.total_wait += time.monotonic() - started
            limit = self.limit_for(group, context)

    def release(self, slot: Slot) -> None:
        """The response of a reserved slot arrived (or the request failed): date it now."""
        if slot.shared_id is not None:
            if self.ledger is not None:
                try:
                    self.ledger.release(slot.shared_id)
                except LedgerUnavailable as exc:
                    self._give_up_sharing(exc)
            with self._cond:
                self._cond.notify_all()
            return
        with self._cond:
            book = self._books[slot.key]
            book.in_flight = max(0, book.in_flight - 1)
            # keep the list sorted: completion times are taken under the lock, hence monotonic
            book.completed.append(self._clock())
            self._cond.notify_all()

    def penalize(self, slot_or_key: Slot | tuple[str, str], retry_after: float) -> None:
        """KSeF said 429 anyway: nobody in this process (nor, with shared books, on this machine) uses
        that counter for ``retry_after`` s."""
        key = slot_or_key.key if isinstance(slot_or_key, Slot) else slot_or_key
        if self.ledger is not None:
            try:
                self.ledger.block(f"{key[0]}|{key[1]}", retry_after)
            except LedgerUnavailable as exc:
                self._give_up_sharing(exc)
        with self._cond:
            book = self._books.setdefault(key, _Book())
            book.blocked_until = max(book.blocked_until, self._clock() + max(0.0, retry_after))

    def _give_up_sharing(self, exc: Exception) -> None:
        """The shared books failed (file removed, disk full, database gone …): keep this process's own
        for a while (``RETRY_SHARING_AFTER``), then try the books again."""
        ledger = self.ledger
        if ledger is not None:
            if self._paused_ledger is None:
                log.warning("throttle books no longer shared between processes (%r: %s)", ledger, exc)
            else:
                log.debug("throttle books still unusable (%r: %s)", ledger, exc)
            self.ledger = None
            self._paused_ledger = ledger
            self._retry_at = time.monotonic() + RETRY_SHARING_AFTER

    def _retry_sharing(self) -> None:
        with self._cond:
            if self._paused_ledger is not None and time.monotonic() >= self._retry_at:
                self.ledger, self._paused_ledger = self._paused_ledger, None

    def use_ledger(self, ledger: Ledger | None) -> None:
        """Share the books through ``ledger`` from now on (slots already reserved are released where
        they were taken)."""
        with self._cond:
            self.ledger = ledger
            self._paused_ledger = None
            self._cond.notify_all()

    @contextmanager
    def slot(self, group: str, context: str = "", counter: str | None = None) -> Iterator[Slot]:
        taken = self.acquire(group, context, counter)
        try:
            yield taken
        finally:
            self.release(taken)


_registry: dict[str, tuple[Throttle, int]] = {}
_registry_lock = threading.Lock()


def throttle_for(api_url: str) -> Throttle:
    """The process-wide throttle of one KSeF deployment (shared by every transport and thread), its
    books shared with the other processes unless that is turned off or impossible
    (:func:`fakturnik.ksef.throttle_ledger.ledger_for`: the installed books, else this machine's)."""
    from fakturnik.ksef.throttle_ledger import ledger_factory_generation, ledger_for

    with _registry_lock:
        generation = ledger_factory_generation()
        entry = _registry.get(api_url)
        if entry is None:
            throttle = Throttle(ledger=ledger_for(api_url))
        else:
            throttle, made_in = entry
            if made_in == generation:
                return throttle
            old = throttle.ledger or throttle._paused_ledger
            throttle.use_ledger(ledger_for(api_url))  # other books were installed since
            if old is not None and old is not throttle.ledger:
                old.close()
        _registry[api_url] = (throttle, generation)
        return throttle
