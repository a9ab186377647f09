"""Poland's calendar: the day KSeF and Polish law count by is the day in Europe/Warsaw.

A server's own clock is often UTC; from 22:00 or 23:00 UTC Poland is already on the next day, so
"today" is never ``date.today()``. A naive moment is UTC (as the store keeps them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

__all__ = ["warsaw", "warsaw_today"]


@cache
def warsaw() -> ZoneInfo:
    """The Europe/Warsaw zone (read once, when first needed)."""
    return ZoneInfo("Europe/Warsaw")


def warsaw_today(now: datetime | None = None) -> date:
    """The Polish calendar day of ``now`` (by default: this moment)."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(warsaw()).date()
