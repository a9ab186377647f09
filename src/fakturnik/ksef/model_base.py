"""What every generated KSeF model shares: the base class, ``dump``, open enums (forward compatibility).

KSeF adds properties and enum members with each API version, and production and the test environment run
newer versions than the document the models come from. So an answer never fails to parse for that: unknown
properties are ignored, unknown enum members are kept as the string KSeF sent; each is logged once per
process (model and name), so a newer API shows up in the log, not as a crash.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

log = logging.getLogger("fakturnik.ksef.models")

_seen: set[tuple[str, str]] = set()
_seen_lock = threading.Lock()


def _first_time(kind: str, name: str) -> bool:
    key = (kind, name)
    if key in _seen:
        return False
    with _seen_lock:
        if key in _seen:
            return False
        _seen.add(key)
        return True


def unknown_seen() -> set[tuple[str, str]]:
    """``(where, name)`` of every unknown property or enum member met so far (for tests and diagnostics)."""
    return set(_seen)


class KsefModel(BaseModel):
    """Base of every KSeF model: unknown properties ignored (and logged once), population by name or alias."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    _known: ClassVar[frozenset[str] | None] = None

    @model_validator(mode="before")
    @classmethod
    def _note_unknown(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = cls.__dict__.get("_known_names")
            if known is None:
                known = frozenset(
                    name for n, f in cls.model_fields.items() for name in (n, f.alias) if name is not None
                )
                cls._known_names = known  # type: ignore[attr-defined]
            for key in data.keys() - known:
                if _first_time(cls.__name__, str(key)):
                    log.info(
                        "KSeF sent a property %s.%s this version of Fakturnik does not know",
                        cls.__name__,
                        key,
                    )
        return data


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict as KSeF expects it: aliases (``from``), no ``None`` members."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def OpenEnum(name: str) -> WrapValidator:
    """An enum that keeps a member it does not know as the string KSeF sent (logged once)."""

    def keep_unknown(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            if not isinstance(value, str):
                raise
            if _first_time(name, value):
                log.info("KSeF sent %s = %r, a value this version of Fakturnik does not know", name, value)
            return value

    return WrapValidator(keep_unknown)
