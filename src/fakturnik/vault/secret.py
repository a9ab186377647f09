"""A secret value in memory that never shows itself in reprs, logs or tracebacks."""

from __future__ import annotations

import hmac

from fakturnik.base.nopickle import NoPickle


class Secret(NoPickle):
    """Wraps secret bytes; ``str``/``repr`` are redacted, ``reveal()`` gives the value on purpose."""

    __slots__ = ("_name", "_value")

    def __init__(self, value: bytes | str, name: str = "") -> None:
        self._value = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def reveal(self) -> bytes:
        return self._value

    def reveal_text(self) -> str:
        return self._value.decode("utf-8")

    def __repr__(self) -> str:
        return f"Secret({self._name!r}, <redacted>)" if self._name else "Secret(<redacted>)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(("Secret", self._name))

    def __len__(self) -> int:
        return len(self._value)
