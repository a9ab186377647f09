"""One projection for every plain record that copies a row (the application's read models, the engine's
claimed entries and login credentials): a field of the record is the row's attribute of the same
name, unless the caller gives it (a renamed, converted or computed value)."""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["project"]

V = TypeVar("V", bound="DataclassInstance")


def project(view: type[V], row: object, **given: Any) -> V:
    """``view`` (a dataclass) filled from ``row``: each field from ``given`` if there, else the row's
    attribute of that name; a field with a default that the row does not have keeps its default.

    A field neither given nor on the row, with no default, is an ``AttributeError``: a view that does not
    match its row fails at once, never silently."""
    values = dict(given)
    for f in fields(view):
        if not f.init or f.name in values:
            continue
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        if has_default and not hasattr(row, f.name):
            continue
        values[f.name] = getattr(row, f.name)
    return view(**values)
