"""Polish formatting for documents: ``1 234,56``, ``DD.MM.RRRR``, amounts in words."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CURRENCY_NAMES", "amount", "amount_in_words", "number_in_words", "polish_date", "quantity"]

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

Forms = tuple[str, str, str]  # after 1; after 2–4 (not 12–14); after 0, 5–21, 25 …
# currency → (its name's three forms, grammatical gender: m, f, n); others are written as the code
CURRENCY_NAMES: dict[str, tuple[Forms, str]] = {
    "PLN": (("złoty", "złote", "złotych"), "m"),
    "EUR": (("euro", "euro", "euro"), "n"),
    "USD": (("dolar amerykański", "dolary amerykańskie", "dolarów amerykańskich"), "m"),
    "GBP": (("funt szterling", "funty szterlingi", "funtów szterlingów"), "m"),
    "CHF": (("frank szwajcarski", "franki szwajcarskie", "franków szwajcarskich"), "m"),
    "CZK": (("korona czeska", "korony czeskie", "koron czeskich"), "f"),
    "SEK": (("korona szwedzka", "korony szwedzkie", "koron szwedzkich"), "f"),
    "NOK": (("korona norweska", "korony norweskie", "koron norweskich"), "f"),
    "DKK": (("korona duńska", "korony duńskie", "koron duńskich"), "f"),
    "HUF": (("forint", "forinty", "forintów"), "m"),
    "UAH": (("hrywna", "hrywny", "hrywien"), "f"),
    "JPY": (("jen", "jeny", "jenów"), "m"),
    "CNY": (("juan", "juany", "juanów"), "m"),
    "CAD": (("dolar kanadyjski", "dolary kanadyjskie", "dolarów kanadyjskich"), "m"),
    "AUD": (("dolar australijski", "dolary australijskie", "dolarów australijskich"), "m"),
    "RON": (("lej rumuński", "leje rumuńskie", "lei rumuńskich"), "m"),
}
_ONE = {"m": "jeden", "f": "jedna", "n": "jedno"}  # the number 1 alone, before a noun of that gender


def _plural(n: int, forms: Forms) -> str:
    if n == 1:
        return forms[0]
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return forms[1]
    return forms[2]


def _triple(n: int, *, feminine: bool = False) -> list[str]:
    words = [_HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    else:
        unit = "dwie" if feminine and rest % 10 == 2 else _UNITS[rest % 10]
        words += [_TENS[rest // 10], unit]
    return [w for w in words if w]


def number_in_words(n: int, gender: str = "m") -> str:
    """A whole number 0 … 999 999 999 999 in Polish words, before a noun of ``gender`` (m, f, n):
    ``1234`` → ``tysiąc dwieście trzydzieści cztery``, ``2`` feminine → ``dwie``."""
    if not 0 <= n < 10**12:
        raise ValueError("number_in_words: 0 … 999 999 999 999")
    if n == 0:
        return "zero"
    if n == 1:
        return _ONE.get(gender, "jeden")
    parts: list[str] = []
    scale = 0
    while n:
        chunk = n % 1000
        if chunk:
            if scale:  # tysiąc, milion, miliard are masculine nouns: "dwa tysiące", never "dwie"
                words = ([] if chunk == 1 else _triple(chunk)) + [_plural(chunk, _SCALES[scale])]
            else:
                words = _triple(chunk, feminine=gender == "f")
            parts = words + parts
        n //= 1000
        scale += 1
    return " ".join(parts)


def amount_in_words(value: Decimal, currency: str = "PLN") -> str:
    """An amount as Polish invoices write it in words: the whole units with the currency's name in the
    right form, the hundredths as a fraction. ``Decimal('1234.56')`` → ``tysiąc dwieście trzydzieści
    cztery złote 56/100``; ``EUR`` → ``… euro 56/100``; a negative amount (a correction) → ``minus …``;
    a currency without a Polish name here keeps its code."""
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "minus " if q < 0 else ""
    q = abs(q)
    whole = int(q)
    cents = int((q - whole) * 100)
    code = (currency or "PLN").upper()
    if whole >= 10**12:
        return f"{sign}{amount(q)} {code}"
    forms, gender = CURRENCY_NAMES.get(code, ((code, code, code), "m"))
    return f"{sign}{number_in_words(whole, gender)} {_plural(whole, forms)} {cents:02d}/100"
