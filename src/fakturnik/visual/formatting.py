"""Polish formatting for documents: ``1 234,56``, ``DD.MM.RRRR``, ``tak``/``nie``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

__all__ = ["amount", "day", "moment", "money", "quantity"]


def _group(digits: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return " ".join(out)


def amount(value: str | Decimal | None, *, min_places: int = 2) -> str:
    """``-1234.5`` → ``-1 234,50``; keeps extra decimals the document gave (unit prices, rates)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    exponent = number.as_tuple().exponent
    places = max(min_places, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    text = f"{abs(number):.{places}f}"
    whole, _, frac = text.partition(".")
    sign = "-" if number < 0 else ""
    return sign + _group(whole) + ("," + frac if frac else "")


def quantity(value: str | Decimal | None) -> str:
    """Quantities without forced decimals: ``2`` → ``2``, ``1.5`` → ``1,5``."""
    return amount(value, min_places=0)


def money(value: str | Decimal | None, currency: str = "PLN") -> str:
    """``1 234,56 zł`` for PLN, ``1 234,56 EUR`` otherwise."""
    text = amount(value)
    if not text:
        return ""
    return f"{text} {'zł' if currency == 'PLN' else currency}"


def day(value: str | date | None) -> str:
    """``2026-03-15`` → ``15.03.2026``; anything else unchanged."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    text = str(value).strip()
    try:
        return f"{date.fromisoformat(text[:10]):%d.%m.%Y}"
    except ValueError:
        return text


def moment(value: str | datetime | None) -> str:
    """An ISO timestamp → ``15.03.2026 14:05:00`` (as written, without time-zone conversion)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return f"{value:%d.%m.%Y %H:%M:%S}"
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return f"{parsed:%d.%m.%Y %H:%M:%S}"
