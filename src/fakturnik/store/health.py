"""Which database errors mean "this database cannot be used any more", said in Polish for people.

A locked database or a dropped connection passes; a corrupted file, a full disk, a read-only file or
a missing schema does not, and a worker must stop and say why instead of idling on it.
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


def raise_if_unusable(exc: BaseException) -> None:
    """Re-raise a fatal database error as :class:`DatabaseUnusableError` with its Polish reason."""
    reason = unusable_reason(exc)
    if reason is not None:
        raise DatabaseUnusableError(f"Baza danych nie nadaje się do użytku: {reason}.") from exc
