"""A process making KSeF requests, its throttle's books in PostgreSQL (for test_throttle_books.py).

``python -m tests.store.throttle_books_child URL ACCESS_TOKEN CONTEXT_KEY COUNT PER_SECOND HOST``: the
books are those of ``$BOOKS_URL`` (installed as the engine does, :func:`share_books_through`) with
HOST as this process's machine name (so that children pose as machines behind one IP), unless
``$FAKTURNIK_THROTTLE_SHARED=0``. Waits for the file ``$START_AT``, makes COUNT ``GET /limits/context``
calls without retrying and prints their status codes.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from fakturnik.errors import KsefApiError
from fakturnik.ksef.environments import local
from fakturnik.ksef.rate_limits import PUBLISHED_LIMITS, RateLimit
from fakturnik.ksef.throttle import Throttle
from fakturnik.ksef.throttle_ledger import ledger_for
from fakturnik.ksef.transport import Transport
from fakturnik.store import throttle_books
from tests.ksef.clientkit import StaticTokens


def main(url: str, token: str, context_key: str, count: int, per_second: int, host: str) -> None:
    throttle_books.share_books_through(os.environ["BOOKS_URL"], host=host)
    limits = {group: RateLimit(per_second, 1000, 10000) for group in PUBLISHED_LIMITS}
    throttle = Throttle(limits, ledger=ledger_for(url))
    transport = Transport(
        local(url), tokens=StaticTokens(token, context_key=context_key), throttle=throttle, max_retries=0
    )
    start = Path(os.environ["START_AT"])
    while not start.exists():
        time.sleep(0.01)
    codes = []
    for _ in range(count):
        try:
            codes.append(transport.request("GET", "/limits/context").status_code)
        except KsefApiError as exc:
            codes.append(exc.status_code)
    transport.close()
    print(" ".join(map(str, codes)))


if __name__ == "__main__":
    url, token, context_key, count, per_second, host = sys.argv[1:7]
    main(url, token, context_key, int(count), int(per_second), host)
