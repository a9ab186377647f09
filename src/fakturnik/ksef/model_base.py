"""What every generated KSeF model shares: the base class, ``dump``, open enums (forward compatibility).

KSeF adds properties and enum members with each API version, and production and the test environment run
newer versions than the document the models come from. So an answer never fails to parse for that: unknown
properties are ignored, unknown enum members are kept as the string KSeF sent; each is logged once per
process (model and name), so a newer API shows up in the log, not as a crash.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, ValidatorFunctionWrapHandler, WrapValidator

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
    """Base of every KSeF model: unknown properties kept aside (``model_extra``, never sent back by
    :func:`dump`), population by field name or alias. :func:`note_unknown` logs them once."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)  # built on first use


def note_unknown(model: BaseModel) -> None:
    """Log, once per (model, property), the properties KSeF sent that the models do not know.

    Walks the parsed answer through the fields that can hold models; called by the client on every answer.
    """
    stack: list[Any] = [model]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, BaseModel):
            continue
        extra = node.__pydantic_extra__
        if extra:
            for key in extra:
                if _first_time(type(node).__name__, key):
                    log.info(
                        "KSeF sent a property %s.%s this version of Fakturnik does not know",
                        type(node).__name__,
                        key,
                    )
        for name in _nested_fields(type(node)):
            value = getattr(node, name)
            if value is not None:
                stack.append(value)


_NESTED: dict[type, tuple[str, ...]] = {}


def _nested_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """Names of ``cls``'s fields whose type can hold a model (directly or in a list)."""
    found = _NESTED.get(cls)
    if found is None:
        found = tuple(n for n, f in cls.model_fields.items() if _holds_model(f.annotation))
        _NESTED[cls] = found
    return found


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(arg) for arg in get_args(annotation))


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict as KSeF expects it: aliases (``from``), no ``None`` members, no unknown properties."""
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    _known_only(data, model)
    return data


def _known_only(data: Any, model: Any) -> Any:
    """``data`` (a dump of ``model``) without the properties a parsed answer carried but no model declares."""
    if isinstance(model, BaseModel) and isinstance(data, dict):
        if model.__pydantic_extra__:
            for key in model.__pydantic_extra__:
                data.pop(key, None)
        for name, field in type(model).model_fields.items():
            key = field.alias or name
            if key in data:
                data[key] = _known_only(data[key], getattr(model, name))
    elif isinstance(model, list) and isinstance(data, list):
        return [_known_only(d, m) for d, m in zip(data, model, strict=False)]
    return data


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
