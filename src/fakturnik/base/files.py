"""Reading an input file with a bound: never more than the limit (plus one byte) is read into memory.

``/dev/zero``, a FIFO or a multi-gigabyte file given by mistake is refused after ``limit + 1`` bytes,
before any check that would need the whole content.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fakturnik.errors import FakturnikError, InvoiceError

# The largest input any command takes: an FA(3) invoice with an attachment (3 MB) or its JSON draft.
MAX_INPUT_BYTES = 10_000_000


def read_bounded(
    path: Path, limit: int = MAX_INPUT_BYTES, *, error: type[FakturnikError] = InvoiceError
) -> bytes:
    """The file's bytes, or ``error`` (Polish; :class:`InvoiceError` by default) when it is larger than
    ``limit`` or unreadable."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise error(f"Nie można odczytać pliku {path}: {exc.strerror or exc}.") from None
    if len(data) > limit:
        raise error(f"Plik {path} ma więcej niż dozwolone {limit} bajtów; nie został wczytany.")
    return data


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as a directory only its owner may enter (0700); an existing one
    owned by us is narrowed to 0700. Invoices, keys and logs live in such directories."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _narrow(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if it does not exist, else narrow it to 0600 (our file).

    SQLite gives its ``-wal`` and ``-shm`` files the database file's mode, so a database created this
    way keeps its journal private too."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _narrow(path, 0o600)
    else:
        os.close(fd)
    return path


def private_umask() -> None:
    """The program's umask: whatever it creates is readable by its owner only (0600 / 0700)."""
    os.umask(0o077)


def _narrow(path: Path, mode: int) -> None:
    try:
        st = path.stat()
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & ~mode:
            path.chmod(stat.S_IMODE(st.st_mode) & mode)
    except OSError:
        pass  # not ours, or gone: the caller's open will say what is wrong
