"""Whose data a KSeF session works on: the context identifier (digest §2, §4)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from fakturnik.base.ksef_numbers import is_valid_internal_id
from fakturnik.errors import KsefError

ContextType = Literal["Nip", "InternalId", "NipVatUe", "PeppolId"]
SubjectIdentifierType = Literal["certificateSubject", "certificateFingerprint"]

_NIP = r"[1-9]((\d[1-9])|([1-9]\d))\d{7}"
_PATTERNS: dict[str, re.Pattern[str]] = {
    "Nip": re.compile(f"^{_NIP}$"),
    "InternalId": re.compile(rf"^{_NIP}-\d{{5}}$"),
    "NipVatUe": re.compile(rf"^{_NIP}-[A-Z]{{2}}[A-Z0-9+*]{{2,13}}$"),
    "PeppolId": re.compile(r"^P[A-Z]{2}[0-9]{6}$"),
}


@dataclass(frozen=True)
class ContextIdentifier:
    """``Nip`` 5265877635, ``InternalId`` 5265877635-12345, ``NipVatUe`` 5265877635-DE123456789, ``PeppolId``.

    ``type`` is spelled as KSeF spells it in JSON and in the ``AuthTokenRequest`` XML.
    """

    type: ContextType
    value: str

    def __post_init__(self) -> None:
        pattern = _PATTERNS.get(self.type)
        if pattern is None:
            raise KsefError(f"Nieznany typ kontekstu {self.type!r}.")
        if not pattern.match(self.value):
            raise KsefError(f"Nieprawidłowy identyfikator kontekstu {self.type}: {self.value!r}.")
        if self.type == "InternalId" and not is_valid_internal_id(self.value):
            raise KsefError(f"Identyfikator wewnętrzny {self.value!r} ma błędną cyfrę kontrolną.")

    @classmethod
    def nip(cls, value: str) -> ContextIdentifier:
        return cls("Nip", value.strip())

    @classmethod
    def internal_id(cls, value: str) -> ContextIdentifier:
        return cls("InternalId", value.strip())

    @classmethod
    def nip_vat_ue(cls, value: str) -> ContextIdentifier:
        return cls("NipVatUe", value.strip())

    @classmethod
    def peppol_id(cls, value: str) -> ContextIdentifier:
        return cls("PeppolId", value.strip())

    @classmethod
    def parse(cls, text: str) -> ContextIdentifier:
        """``"Nip:5265877635"`` (as :attr:`key` prints it) or a bare NIP / InternalId / NipVatUe."""
        kind, sep, value = text.strip().partition(":")
        if sep:
            if kind not in _PATTERNS:
                raise KsefError(f"Nieznany typ kontekstu {kind!r}.")
            return cls(kind, value.strip())  # type: ignore[arg-type]
        for candidate in ("Nip", "InternalId", "NipVatUe", "PeppolId"):
            if _PATTERNS[candidate].match(kind):
                return cls(candidate, kind)  # type: ignore[arg-type]
        raise KsefError(f"Nie rozpoznano identyfikatora kontekstu {text!r}.")

    @property
    def key(self) -> str:
        """``"Nip:5265877635"`` – the throttling and cache key of the context."""
        return f"{self.type}:{self.value}"

    def as_json(self) -> dict[str, str]:
        return {"type": self.type, "value": self.value}

    def __str__(self) -> str:
        return self.key
