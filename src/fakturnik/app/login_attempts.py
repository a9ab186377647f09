"""Failed sign-ins per account and per client address, counted in the store (``fk.login_attempts``).

Every ``serve`` process of one store (SQLite file or PostgreSQL) counts the same failures, so N
processes behind a proxy allow what one does: ``max_per_account`` failures of one account (from any
address) and ``max_per_ip`` failures from one address (for any account) in a sliding ``window_s``.
The e-mail is kept only as a SHA-256 (lower-cased), never in clear. A success clears the account's
count (not the address's: a password sprayer that also knows one password stays counted).
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

from fakturnik.app.service import Service
from fakturnik.store import login_failures

_PRUNE_EVERY = 200  # failures between two deletions of every key's old rows
_counter = itertools.count(1)


def keys_of(email: str, ip: str) -> tuple[str, str]:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return "a:" + account, "i:" + ip[:64]


class LoginAttemptsService(Service):
    def wait(self, email: str, ip: str, *, max_per_account: int, max_per_ip: int, window_s: float) -> float:
        """Seconds until this account and this address may try again (0: now)."""
        account, address = keys_of(email, ip)
        now = datetime.now(UTC)
        window = timedelta(seconds=window_s)
        wait = 0.0
        with self._tx() as s:
            for key, limit in ((account, max_per_account), (address, max_per_ip)):
                oldest = login_failures.nth_latest(s, key, now - window, limit)
                if oldest is not None:
                    wait = max(wait, (oldest + window - now).total_seconds())
        return max(0.0, wait)

    def failure(self, email: str, ip: str, *, window_s: float) -> None:
        with self._tx() as s:
            login_failures.record(
                s,
                keys_of(email, ip),
                datetime.now(UTC),
                window=timedelta(seconds=window_s),
                prune_all=next(_counter) % _PRUNE_EVERY == 1,
            )

    def success(self, email: str, ip: str) -> None:
        account, _ = keys_of(email, ip)
        with self._tx() as s:
            login_failures.forget(s, account)
