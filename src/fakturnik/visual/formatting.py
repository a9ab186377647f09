"""Polish formatting for documents: ``1 234,56``, ``DD.MM.RRRR``, amounts in words."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["amount", "amount_in_words", "polish_date", "quantity"]

NBSP = "\u00a0"


def _group(digits: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return NBSP.join(out)


def amount(value: Decimal | None, places: int = 2) -> str:
    """``Decimal('1234.5')`` → ``1 234,50`` (non-breaking space between thousands)."""
    if value is None:
        return ""
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) if places else value
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    return sign + _group(whole) + ("," + frac if frac else "")


def quantity(value: Decimal | None) -> str:
    """A quantity or unit price as written, with a decimal comma, trailing zeros dropped."""
    if value is None:
        return ""
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")
    whole, _, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return sign + _group(whole.lstrip("-")) + ("," + frac if frac else "")


def polish_date(value: date | str | None) -> str:
    """``2026-12-07`` → ``07.12.2026``; other text is returned as it is."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            return f"{date.fromisoformat(value[:10]):%d.%m.%Y}"
        except ValueError:
            return value
    return f"{value:%d.%m.%Y}"


_UNITS = ("", "jeden", "dwa", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem", "dziewięć")
_TEENS = (
    "dziesięć", "jedenaście", "dwanaście", "trzynaście", "czternaście", "piętnaście", "szesnaście",
    "siedemnaście", "osiemnaście", "dziewiętnaście",
)  # fmt: skip
_TENS = (
    "", "", "dwadzieścia", "trzydzieści", "czterdzieści", "pięćdziesiąt", "sześćdziesiąt",
    "siedemdziesiąt", "osiemdziesiąt", "dziewięćdziesiąt",
)  # fmt: skip
_HUNDREDS = (
    "", "sto", "dwieście", "trzysta", "czterysta", "pięćset", "sześćset", "siedemset", "osiemset",
    "dziewięćset",
)  # fmt: skip
_SCALES = (("", "", ""), ("tysiąc", "tysiące", "tysięcy"), ("milion", "miliony", "milionów"),
           ("miliard", "miliardy", "miliardów"))  # fmt: skip


def _plural(n: int, forms: tuple[str, str, str]) -> str:
    if n == 1:
        return forms[0]
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return forms[1]
    return forms[2]


def _triple(n: int) -> list[str]:
    words = [_HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    else:
        words += [_TENS[rest // 10], _UNITS[rest % 10]]
    return [w for w in words if w]


def amount_in_words(value: Decimal, currency: str = "PLN") -> str:
    """``Decimal('1234.56')`` → ``tysiąc dwieście trzydzieści cztery zł 56/100``."""
    value = abs(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    whole = int(value)
    cents = int((value - whole) * 100)
    if whole >= 10**12:
        return f"{amount(value)} {currency}"
    parts: list[str] = []
    scale = 0
    n = whole
    while n:
        chunk = n % 1000
        if chunk:
            words = _triple(chunk)
            if scale:
                words = ([] if chunk == 1 else words) + [_plural(chunk, _SCALES[scale])]
            parts = words + parts
        n //= 1000
        scale += 1
    unit = "zł" if currency == "PLN" else currency
    return f"{' '.join(parts) or 'zero'} {unit} {cents:02d}/100"
