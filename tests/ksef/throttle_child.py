"""A separate process making KSeF requests through a throttle (for tests/ksef/test_throttle_ledger.py).

``python -m tests.ksef.throttle_child URL ACCESS_TOKEN CONTEXT_KEY COUNT PER_SECOND``: waits for the
file named by ``$START_AT`` to appear (so that all children start together), then makes COUNT
``GET /limits/context`` calls with a throttle allowing PER_SECOND, its books shared through
``$FAKTURNIK_THROTTLE_DIR`` unless ``$FAKTURNIK_THROTTLE_SHARED=0``, and no retry: prints the status
code of each call (429 when KSeF refused it).
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
from tests.ksef.clientkit import StaticTokens


def main(url: str, token: str, context_key: str, count: int, per_second: int) -> None:
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
    url, token, context_key, count, per_second = sys.argv[1:6]
    main(url, token, context_key, int(count), int(per_second))
