"""The online-session pool: one open KSeF online session per (company, credential, offline mode), reused.

The credential is the login the entries are sent with (None: the company's; else the issuing
co-worker's own certificate), so an invoice never goes into a session another person's login opened.

A session is rolled over before KSeF's 10,000 invoices or its 12-hour close, and closed when it has
been idle for ``online_idle_close``. Every session opened is recorded (``ksef_sessions``) before an
invoice is sent in it, so reconciliation can always find where an invoice may have gone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from fakturnik.engine.gateway import KsefGateway, OnlineSession
from fakturnik.engine.jobs import now
from fakturnik.engine.transitions import Outbox

log = logging.getLogger("fakturnik.engine")

ONLINE_SESSION_MAX = 9_000  # roll over before KSeF's 10 000 invoices per session
SESSION_RENEW_BEFORE = timedelta(minutes=15)  # open a new online session before KSeF's 12 h close

Key = tuple[int, int | None, bool]  # company id, credential id (None: the company's), offline mode


@dataclass
class Online:
    session: OnlineSession
    ref: str
    count: int
    last_used: float


class OnlinePool:
    def __init__(
        self,
        outbox: Outbox,
        idle_close: timedelta,
        on_closed: Callable[[int, str, int | None], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self.idle_close = idle_close
        self.on_closed = on_closed  # (company id, session ref, credential id) once a session is closed
        self._open: dict[Key, Online] = {}

    @property
    def open_count(self) -> int:
        """Online sessions open now."""
        return len(self._open)

    def __repr__(self) -> str:
        return f"OnlinePool({len(self._open)} open)"

    def session(
        self, company_id: int, gateway: KsefGateway, offline: bool, credential_id: int | None = None
    ) -> Online:
        """The open session for this login and mode, or a new one (recorded before it is used).

        ``gateway`` is the login's own (``Gateways.for_company(company, credential_id)``)."""
        key = (company_id, credential_id, offline)
        current = self._open.get(key)
        valid_until = current.session.valid_until if current is not None else None
        fresh = valid_until is None or valid_until - SESSION_RENEW_BEFORE > now()
        if current is not None and current.count < ONLINE_SESSION_MAX and fresh:
            return current
        if current is not None:
            self.close(key)
        session = gateway.open_online()
        self.outbox.session_opened(
            company_id, session.ref, "online", valid_until=session.valid_until, credential_id=credential_id
        )
        current = self._open[key] = Online(session, session.ref, 0, time.monotonic())
        return current

    def used(self, online: Online) -> None:
        online.count += 1
        online.last_used = time.monotonic()

    def close(self, key: Key) -> None:
        """Close the session (best effort: KSeF closes it after 12 h anyway) and record that."""
        online = self._open.pop(key, None)
        if online is None:
            return
        try:
            online.session.close()
        except Exception as exc:
            log.info(
                "closing session %s failed (%s); KSeF closes it after 12 h", online.ref, type(exc).__name__
            )
        self.outbox.session_status(online.ref, "closed")
        if self.on_closed is not None:
            self.on_closed(key[0], online.ref, key[1])

    def close_idle(self) -> None:
        idle = self.idle_close.total_seconds()
        moment = time.monotonic()
        for key, online in list(self._open.items()):
            if moment - online.last_used > idle:
                self.close(key)

    def close_all(self) -> None:
        for key in list(self._open):
            self.close(key)
