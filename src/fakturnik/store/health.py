"""Which database errors mean "this database cannot be used any more", said in Polish for people.

A locked database or a dropped connection passes; a corrupted file, a full disk, a read-only file or
a missing schema does not, and a worker must stop and say why instead of idling on it.
:func:`contention` names the passing trouble of several processes writing at once (SQLite locked or
busy, a PostgreSQL deadlock, serialization failure or lock timeout): the transaction was rolled back
whole and is simply tried again.
"""

from __future__ import annotations

from sqlalchemy.exc import DatabaseError, OperationalError

from fakturnik.errors import DatabaseUnusableError

_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("database disk image is malformed", "file is not a database", "file is encrypted"),
        "plik bazy danych jest uszkodzony (odtwórz go z kopii zapasowej)",
    ),
    (
        ("database or disk is full", "no space left on device", "could not extend file", "disk full"),
        "brak miejsca na dysku (zwolnij miejsce; nic nie zostało utracone)",
    ),
    (
        ("attempt to write a readonly database", "read-only", "readonly"),
        "baza danych jest tylko do odczytu (sprawdź uprawnienia pliku i katalogu)",
    ),
    (("disk i/o error", "input/output error"), "błąd zapisu na dysku (sprawdź dysk)"),
    (
        ("no such table", "undefinedtable", "does not exist"),
        "w bazie danych brak tabel Fakturnika (uruchom migracje albo wskaż właściwą bazę)",
    ),
    (
        ("unable to open database file",),
        "nie można otworzyć pliku bazy danych (sprawdź ścieżkę i uprawnienia)",
    ),
)


def unusable_reason(exc: BaseException) -> str | None:
    """A Polish reason when ``exc`` says the database is unusable; None for passing trouble."""
    if not isinstance(exc, DatabaseError):
        return None
    text = f"{exc.orig!r} {exc.orig}".lower() if exc.orig is not None else str(exc).lower()
    if isinstance(exc, OperationalError) and "locked" in text:
        return None
    for needles, reason in _REASONS:
        if any(n in text for n in needles):
            return reason
    return None


# SQLSTATEs of PostgreSQL's concurrency failures: the transaction was rolled back, trying again is right
_CONTENTION_CODES = {
    "40P01": "zakleszczenie z innym procesem",  # deadlock_detected
    "40001": "konflikt z równoległym zapisem",  # serialization_failure
    "55P03": "rekord zablokowany przez inny proces",  # lock_not_available (lock_timeout, NOWAIT)
}
_SQLITE_CONTENTION = ("database is locked", "database table is locked", "database schema is locked")


def contention(exc: BaseException) -> str | None:
    """A Polish phrase when ``exc`` is another process writing at the same moment (retry), else None."""
    if not isinstance(exc, DatabaseError):
        return None
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if code in _CONTENTION_CODES:
        return _CONTENTION_CODES[str(code)]
    text = str(exc.orig if exc.orig is not None else exc).lower()
    if isinstance(exc, OperationalError) and any(n in text for n in _SQLITE_CONTENTION):
        return "baza danych zajęta przez inny proces"
    return None


def raise_if_unusable(exc: BaseException) -> None:
    """Re-raise a fatal database error as :class:`DatabaseUnusableError` with its Polish reason."""
    reason = unusable_reason(exc)
    if reason is not None:
        raise DatabaseUnusableError(f"Baza danych nie nadaje się do użytku: {reason}.") from exc
