"""What a person should do about KSeF's verdict, and which form field it concerns (pure)."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["hint_for", "ksef_field"]

_HINTS: dict[str, str] = {
    "410": "KSeF nie uznaje uprawnień tego połączenia do wystawiania faktur za tę firmę. "
    "Sprawdź poświadczenia firmy w Ustawieniach (token lub certyfikat właściwej firmy).",
    "415": "Faktura z załącznikiem wymaga zgłoszenia w KSeF i wysyłki wsadowej. "
    "Usuń załącznik albo zgłoś go.",
    "430": "Plik faktury nie przeszedł kontroli KSeF. Popraw wskazane pole i wystaw fakturę ponownie.",
    "440": "KSeF ma już fakturę o tym numerze od tej firmy. "
    "Sprawdź listę faktur, zanim wystawisz ją ponownie.",
    "450": "KSeF odrzucił treść faktury. Popraw wskazane pole i wystaw fakturę ponownie (jako nową fakturę).",
}
_DEFAULT = "Popraw fakturę i wystaw ją ponownie; odrzucona faktura nie jest w obrocie prawnym."

_FIELDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"data wystawienia|P_1\b", re.I), "issue_date"),
    (re.compile(r"data sprzedaży|P_6\b", re.I), "sale_date"),
    (re.compile(r"NIP nabywcy|Podmiot2", re.I), "buyer_nip"),
    (re.compile(r"numer faktury|P_2\b|duplikat", re.I), "number"),
    (re.compile(r"kurs|KursWaluty", re.I), "exchange_rate"),
    (re.compile(r"FaWiersz|pozycj", re.I), "lines"),
)


def _texts(error: Any) -> list[str]:
    return [str(error.message or ""), *(str(d) for d in (error.details or ()))]


def ksef_field(error: Any) -> str:
    """The form field KSeF's reason points at (``""`` when it does not say)."""
    for text in _texts(error):
        for pattern, name in _FIELDS:
            if pattern.search(text):
                return name
    return ""


def hint_for(error: Any) -> str:
    return _HINTS.get(str(error.code), _DEFAULT)
