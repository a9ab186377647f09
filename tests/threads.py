"""Running test code in several threads at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable


def run_threads(targets: Iterable[Callable[[], object]], timeout: float | None = None) -> None:
    """Start one thread for each target, then wait for every one of them (``timeout`` each)."""
    threads = [threading.Thread(target=target) for target in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
