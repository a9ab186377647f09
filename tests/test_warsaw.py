"""The Polish calendar day: what "today" means for an issue date, a deadline or a default in a form."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from fakturnik.base.warsaw import warsaw_today
from fakturnik.fa3.rules.base import RuleContext


def test_poland_is_a_day_ahead_of_utc_late_in_the_evening() -> None:
    assert warsaw_today(datetime(2026, 12, 7, 22, 59, tzinfo=UTC)) == date(2026, 12, 7)
    assert warsaw_today(datetime(2026, 12, 7, 23, 0, tzinfo=UTC)) == date(2026, 12, 8)  # CET, UTC+1
    assert warsaw_today(datetime(2026, 7, 7, 22, 0, tzinfo=UTC)) == date(2026, 7, 8)  # CEST, UTC+2
    assert warsaw_today(datetime(2026, 7, 7, 21, 59, tzinfo=UTC)) == date(2026, 7, 7)


def test_a_naive_moment_is_utc_and_other_zones_are_converted() -> None:
    assert warsaw_today(datetime(2026, 12, 7, 23, 30)) == date(2026, 12, 8)
    new_york = timezone(timedelta(hours=-5))
    assert warsaw_today(datetime(2026, 12, 7, 18, 30, tzinfo=new_york)) == date(2026, 12, 8)


def test_the_rules_count_an_issue_date_by_the_polish_day() -> None:
    late = RuleContext(now=datetime(2026, 12, 7, 23, 30, tzinfo=UTC))
    assert late.today == date(2026, 12, 8)
    assert RuleContext().today == warsaw_today()
