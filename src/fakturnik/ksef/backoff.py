"""The one retry delay: exponential backoff with "equal jitter".

Try ``attempt + 1`` waits between half and all of ``base · 2^attempt`` seconds, never more than
``cap``. The transport sleeps it between repeats of a safe request; the engine writes it into an
outbox entry's ``next_attempt_at`` (``engine.outcomes.backoff``). What may be repeated at all (safe
vs outcome unknown) and ``Retry-After`` are the transport's decisions, not this function's.
"""

from __future__ import annotations

import random


def delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 0)."""
    ceiling = min(cap, base * (2 ** max(0, attempt)))
    return float(ceiling * (rng or random).uniform(0.5, 1.0))
