"""Offline-mode deadlines in Polish business days (digest §10): weekends and public holidays skipped."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Final, Literal

import holidays

OfflineKind = Literal["offline24", "offline", "failure"]
OFFLINE24: Final = "offline24"  # the taxpayer's choice: next business day after the issue date
UNAVAILABILITY: Final = "offline"  # announced unavailability: next business day after it ends
FAILURE: Final = "failure"  # announced failure (awaria): 7 business days after it ends
FAILURE_BUSINESS_DAYS: Final = 7


@lru_cache(maxsize=64)
def _polish_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("PL", years=year).keys())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _polish_holidays(day.year)


def add_business_days(start: date, count: int) -> date:
    """The ``count``-th business day after ``start`` (``start`` itself never counts)."""
    day = start
    left = count
    while left > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            left -= 1
    return day


def offline_deadline(kind: str, issue_date: date, outage_end: date | None) -> date | None:
    """Last day to send an offline invoice to KSeF; None while an announced outage has not ended.

    A failure restarts the count from its own end, whatever mode the invoice was issued in.
    """
    if kind == OFFLINE24:
        return add_business_days(issue_date, 1)
    if outage_end is None:
        return None
    if kind == UNAVAILABILITY:
        return add_business_days(outage_end, 1)
    if kind == FAILURE:
        return add_business_days(outage_end, FAILURE_BUSINESS_DAYS)
    raise ValueError(f"unknown offline mode {kind!r}")
