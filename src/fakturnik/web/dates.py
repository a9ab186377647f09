"""Dates and moments as Polish users read them: ``DD.MM.RRRR`` and ``DD.MM.RRRR GG:MM`` in Europe/Warsaw.

The web UI's filters (``pl_date``, ``pl_datetime``) and the CLI's tables use these; nothing here needs
the web framework.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fakturnik.base.warsaw import warsaw

__all__ = ["WARSAW", "format_date", "format_datetime"]

WARSAW = warsaw()


def format_date(value: Any) -> str:
    """``2026-02-02`` (date, datetime or ISO text) → ``02.02.2026``."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(WARSAW).date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    if isinstance(value, date):
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
    return str(value)


def format_datetime(value: Any) -> str:
    """A moment → ``02.02.2026 10:42`` in Warsaw time (naive values are UTC, as the store keeps them)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(WARSAW)
        return f"{format_date(local.date())} {local.hour:02d}:{local.minute:02d}"
    return format_date(value)
