"""Polish formatting for the web UI: the Jinja filters, in one place.

Amounts ``1 234,56 zł`` (a narrow no-break space groups thousands so a number never wraps), dates
``DD.MM.RRRR``, date-times ``DD.MM.RRRR GG:MM`` in Europe/Warsaw, VAT rates as Poles read them
(``23%``, ``zw``, ``np.``), statuses as words. Pure functions; :func:`register` puts them on an
environment.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from jinja2 import Environment

from fakturnik.web.dates import format_date, format_datetime

__all__ = [
    "RATE_LABELS",
    "STATUS_LABELS",
    "format_amount",
    "format_date",
    "format_datetime",
    "format_money",
    "format_quantity",
    "parse_amount",
    "rate_label",
    "register",
    "status_label",
]

_GROUP = "\u00a0"  # no-break space: "1 234,56" never breaks across lines
_CURRENCY_SUFFIX = {"PLN": "zł"}

RATE_LABELS: dict[str, str] = {
    "23": "23%",
    "22": "22%",
    "8": "8%",
    "7": "7%",
    "5": "5%",
    "4": "4%",
    "3": "3%",
    "0 KR": "0% (kraj)",
    "0 WDT": "0% (WDT)",
    "0 EX": "0% (eksport)",
    "zw": "zw.",
    "oo": "o.o. (odwrotne obciążenie)",
    "np I": "np. (poza krajem)",
    "np II": "np. (art. 100 ust. 1 pkt 4)",
}
"""Every ``P_12`` value as the form's rate chooser shows it."""

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "draft": ("Szkic", "grey"),
    "queued": ("W kolejce", "blue"),
    "sending": ("Wysyłanie", "blue"),
    "sent": ("Wysłana", "blue"),
    "accepted": ("Przyjęta w KSeF", "green"),
    "rejected": ("Odrzucona", "red"),
    "offline": ("Offline", "amber"),
    "failed": ("Błąd", "red"),
}
"""status → (Polish word, pill colour)."""


def _to_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def format_amount(value: Any, places: int = 2) -> str:
    """``1234.5`` → ``1 234,50`` (no currency); empty for nothing."""
    number = _to_decimal(value)
    if number is None or not number.is_finite():
        return ""
    quantum = Decimal(1).scaleb(-places)
    number = number.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    whole, _, fraction = f"{abs(number):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = _GROUP.join(groups)
    return f"{sign}{text},{fraction}" if places > 0 else f"{sign}{text}"


def format_money(value: Any, currency: str = "PLN") -> str:
    """``1234.56`` → ``1 234,56 zł``; other currencies by code: ``1 234,56 EUR``."""
    text = format_amount(value)
    if not text:
        return ""
    return f"{text}{_GROUP}{_CURRENCY_SUFFIX.get(currency, currency)}"


def format_quantity(value: Any) -> str:
    """Quantities keep their own precision, trailing zeros dropped: ``12.500`` → ``12,5``."""
    number = _to_decimal(value)
    if number is None or not number.is_finite():
        return ""
    text = f"{number.normalize():f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    whole, dot, fraction = text.partition(".")
    return format_amount(whole, 0) + ("," + fraction if dot else "")


def parse_amount(text: str) -> Decimal | None:
    """What a Polish user types (``1 234,56``, ``1234.56``, ``1.234,56``) → Decimal, or None."""
    cleaned = text.strip().replace(_GROUP, "").replace("\u202f", "").replace(" ", "")
    cleaned = cleaned.removesuffix("zł").removesuffix("PLN")
    if not cleaned:
        return None
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    if cleaned.count(".") > 1 or len(cleaned) > 40:
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def format_time(value: Any) -> str:
    """A moment → ``10:42`` in Warsaw time."""
    text = format_datetime(value)
    return text.rpartition(" ")[2] if " " in text else text


def rate_label(value: Any) -> str:
    return RATE_LABELS.get(str(value), str(value or "—"))


def status_label(value: Any) -> str:
    return STATUS_LABELS.get(str(value), (str(value), "grey"))[0]


def status_colour(value: Any) -> str:
    return STATUS_LABELS.get(str(value), (str(value), "grey"))[1]


FILTERS: dict[str, Callable[..., str]] = {
    "money": format_money,
    "amount": format_amount,
    "qty": format_quantity,
    "pl_date": format_date,
    "pl_datetime": format_datetime,
    "pl_time": format_time,
    "rate": rate_label,
    "status_label": status_label,
    "status_colour": status_colour,
}


def register(env: Environment) -> None:
    """Put every filter on ``env``."""
    env.filters.update(FILTERS)
