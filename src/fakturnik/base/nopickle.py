"""Secret holders refuse to be pickled: a pickle would carry the secret in clear into a file,
a cache or another process. Copies stay possible (the value is immutable, a copy is the same object).
"""

from __future__ import annotations

from typing import Any, NoReturn, Self


class NoPickle:
    """Mixin: ``pickle.dumps`` raises ``TypeError``; ``copy``/``deepcopy`` return the object itself."""

    __slots__ = ()

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__} zawiera sekret i nie może być serializowany (pickle).")

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} zawiera sekret i nie może być serializowany (pickle).")

    def __getstate__(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} zawiera sekret i nie może być serializowany (pickle).")

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self
