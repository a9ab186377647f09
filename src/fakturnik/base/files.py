"""Reading an input file with a bound: never more than the limit (plus one byte) is read into memory.

``/dev/zero``, a FIFO or a multi-gigabyte file given by mistake is refused after ``limit + 1`` bytes,
before any check that would need the whole content.
"""

from __future__ import annotations

from pathlib import Path

from fakturnik.errors import InvoiceError

# The largest input any command takes: an FA(3) invoice with an attachment (3 MB) or its JSON draft.
MAX_INPUT_BYTES = 10_000_000


def read_bounded(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The file's bytes, or :class:`InvoiceError` (Polish) when it is larger than ``limit`` or unreadable."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InvoiceError(f"Nie można odczytać pliku {path}: {exc.strerror or exc}.") from None
    if len(data) > limit:
        raise InvoiceError(f"Plik {path} ma więcej niż dozwolone {limit} bajtów; nie został wczytany.")
    return data
