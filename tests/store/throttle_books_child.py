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

from fakturnik.store import throttle_books
from tests.ksef import throttle_child


def main(url: str, token: str, context_key: str, count: int, per_second: int, host: str) -> None:
    throttle_books.share_books_through(os.environ["BOOKS_URL"], host=host)
    throttle_child.main(url, token, context_key, count, per_second)  # the same calls, other books


if __name__ == "__main__":
    url, token, context_key, count, per_second, host = sys.argv[1:7]
    main(url, token, context_key, int(count), int(per_second), host)
