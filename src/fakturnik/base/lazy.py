"""A module imported on first use, so that importing Fakturnik stays fast (``docs/benchmarks.md``).

``lazy_import("httpx")`` returns a stand-in; the first attribute read imports the real module
(under the interpreter's import lock, so threads racing for it wait for one import) and every read
after that is forwarded to it. Use it for a heavy module that a light one needs only in its function
bodies; type checkers see the real module through an ``if TYPE_CHECKING:`` import.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_import"]


class _LazyModule:
    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_import(name: str) -> Any:
    """A stand-in for module ``name`` that imports it on the first attribute read."""
    return _LazyModule(name)
