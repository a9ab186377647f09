"""How the ``fakturnik`` command ends when something goes wrong: a short Polish message and an exit code.

Every error that reaches the top of a command passes :func:`describe`, which turns it into a
:class:`Failure` (message + exit code, see :data:`EXIT_CODES` and docs/cli.md). A ``FakturnikError``
speaks for itself; the expected system errors (disk full, permission denied, database corrupt or
locked, network down) get a Polish sentence; anything else is unexpected: its full report goes to
the log in the data directory (``fakturnik-errors.log``, 0600) and the terminal gets one line naming
that file. Nothing here ever prints a traceback.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fakturnik.errors import (
    FakturnikError,
    InvoiceError,
    InvoiceValidationError,
    KsefError,
    KsefTransportError,
    StoreError,
    VaultError,
)

__all__ = ["EXIT_CODES", "LOG_NAME", "Failure", "describe", "write_report"]

OK = 0
FAILED = 1  # the command's own failure, or input it cannot use (invalid invoice, unknown company …)
USAGE = 2  # wrong options or arguments (reported by the command-line parser)
KSEF = 3  # KSeF answered with an error (refused, authentication failed, processing failed, timed out)
NETWORK = 4  # KSeF or another server could not be reached (network down, connection refused, DNS)
DATABASE = 5  # the database is unusable: corrupt, locked by another process, wrong schema, unreachable
SECRETS = 6  # a secret cannot be opened: wrong master key, tampered session file, wrong key password
FILES = 7  # a file or directory: permission denied, disk full, not found, read-only
INTERNAL = 70  # an unexpected error; the full report is in the log named on the terminal
INTERRUPTED = 130  # stopped with Ctrl+C

EXIT_CODES: dict[int, str] = {
    OK: "sukces",
    FAILED: "polecenie się nie powiodło albo dane wejściowe są błędne (np. niepoprawna faktura)",
    USAGE: "błędne opcje lub argumenty polecenia",
    KSEF: "KSeF zwrócił błąd (odmowa, uwierzytelnienie, przetwarzanie, przekroczony czas)",
    NETWORK: "brak połączenia z KSeF lub innym serwerem",
    DATABASE: "baza danych nieużywalna (uszkodzona, zablokowana, niedostępna)",
    SECRETS: "nie można odczytać sekretu (zły klucz główny, zmieniony plik sesji, złe hasło klucza)",
    FILES: "problem z plikiem lub katalogiem (brak uprawnień, brak miejsca, brak pliku)",
    INTERNAL: "nieoczekiwany błąd; pełny raport w dzienniku w katalogu danych",
    INTERRUPTED: "przerwano (Ctrl+C)",
}

LOG_NAME = "fakturnik-errors.log"

_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.EHOSTUNREACH,
        errno.EHOSTDOWN,
        errno.ETIMEDOUT,
    }
)


@dataclass(frozen=True)
class Failure:
    """What the terminal shows (one or more lines, Polish) and the exit code."""

    lines: tuple[str, ...]
    code: int
    unexpected: bool = False


def _one(text: str, code: int) -> Failure:
    return Failure((text,), code)


def _filename(exc: OSError) -> str:
    return f": {exc.filename}" if exc.filename else ""


def _os_error(exc: OSError) -> Failure | None:
    number = exc.errno
    if number == errno.EPIPE:  # the reader went away (``fakturnik … | head``): nothing to say to it
        return Failure((), FAILED)
    if number in (errno.ENOSPC, errno.EDQUOT):
        return _one(f"Brak miejsca na dysku{_filename(exc)}. Nic nie zostało zapisane w połowie.", FILES)
    if number in (errno.EACCES, errno.EPERM):
        return _one(f"Brak uprawnień{_filename(exc)}.", FILES)
    if number == errno.ENOENT:
        return _one(f"Nie ma takiego pliku ani katalogu{_filename(exc)}.", FILES)
    if number == errno.EROFS:
        return _one(f"System plików jest tylko do odczytu{_filename(exc)}.", FILES)
    if number == errno.EISDIR:
        return _one(f"To jest katalog, nie plik{_filename(exc)}.", FILES)
    if number == errno.ENOTDIR:
        return _one(f"To nie jest katalog{_filename(exc)}.", FILES)
    if number == errno.EIO:
        return _one(f"Błąd wejścia-wyjścia dysku{_filename(exc)}.", FILES)
    if number in _NETWORK_ERRNOS or isinstance(exc, ConnectionError | TimeoutError):
        return _one(f"Brak połączenia z serwerem ({exc.strerror or exc}). Sprawdź sieć.", NETWORK)
    return None


# A PostgreSQL deadlock's detail says "… blocked by process …": the words below, not "locked" anywhere
_CONCURRENT_WRITE = (
    "deadlock detected",
    "could not serialize access",
    "lock timeout",
    "could not obtain lock",
)
_LOCKED = ("database is locked", "table is locked", "schema is locked", "database is busy", "sqlite_busy")


def _database_error(exc: BaseException) -> Failure | None:
    """SQLAlchemy and sqlite3 errors, recognised without importing either."""
    module = type(exc).__module__
    if not (module.startswith("sqlalchemy") or module.startswith("sqlite3") or module == "psycopg"):
        return None
    names = {cls.__name__ for cls in type(exc).__mro__}
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "IntegrityError" in names:
        return _one("Baza danych odrzuciła zapis: taki rekord już istnieje (np. numer faktury).", FAILED)
    if any(needle in text for needle in _CONCURRENT_WRITE):  # PostgreSQL rolled the transaction back
        return _one(
            "Baza danych przerwała zapis, bo inny proces Fakturnika zmieniał te same dane w tej samej "
            "chwili; nic nie zostało zapisane w połowie, spróbuj ponownie.",
            DATABASE,
        )
    if any(needle in text for needle in _LOCKED):
        return _one(
            "Baza danych jest zablokowana przez inny proces Fakturnika; spróbuj ponownie za chwilę.", DATABASE
        )
    if "full" in text:
        return _one("Brak miejsca na dysku dla bazy danych. Nic nie zostało zapisane w połowie.", FILES)
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return _one(
            "Plik bazy danych jest uszkodzony albo nie jest bazą Fakturnika; przywróć kopię zapasową.",
            DATABASE,
        )
    if "readonly" in text or "read-only" in text:
        return _one("Baza danych jest tylko do odczytu (sprawdź uprawnienia katalogu danych).", DATABASE)
    if "unable to open" in text:
        return _one("Nie można otworzyć bazy danych (sprawdź katalog danych i jego uprawnienia).", DATABASE)
    if "connection" in text or "could not connect" in text or "server closed" in text:
        return _one("Brak połączenia z serwerem bazy danych.", DATABASE)
    if {"OperationalError", "DatabaseError", "InterfaceError"} & names:
        return _one("Błąd bazy danych; sprawdź, czy baza nie jest uszkodzona lub zajęta.", DATABASE)
    return None


def _network_error(exc: BaseException) -> Failure | None:
    """httpx transport errors (connection refused, DNS, timeouts), recognised without importing httpx."""
    if not type(exc).__module__.startswith("httpx"):
        return None
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "TimeoutException" in names:
        return _one("Serwer nie odpowiedział w wyznaczonym czasie. Sprawdź sieć i spróbuj ponownie.", NETWORK)
    if "TransportError" in names:
        return _one("Brak połączenia z serwerem. Sprawdź sieć i adres serwera.", NETWORK)
    return None


# Which extra brings a library that a command imports (pyproject.toml, docs/cli.md).
EXTRAS = {
    "sqlalchemy": "engine",
    "alembic": "engine",
    "holidays": "engine",
    "fastapi": "simulator",
    "uvicorn": "simulator",
    "jwt": "simulator",
    "jinja2": "web",
    "multipart": "web",
    "argon2": "web",
    "zxingcpp": "visual",
    "reportlab": "visual",
    "bidi": "visual",
    "psycopg": "postgres",
    "keyring": "keyring",
}


def _missing_extra(exc: BaseException) -> Failure | None:
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    extra = EXTRAS.get(exc.name.split(".", 1)[0])
    if extra is None:
        return None
    return _one(
        f"To polecenie wymaga dodatku „{extra}”: pip install 'fakturnik[{extra}]' (albo 'fakturnik[all]').",
        FAILED,
    )


def _fakturnik_error(exc: FakturnikError) -> Failure:
    message = str(exc) or type(exc).__name__
    if isinstance(exc, InvoiceValidationError):
        lines = [f"Błąd: faktura nie przeszła walidacji ({len(exc.problems)}):"]
        lines += [f"  {p.path or '-'}: {p.message}" for p in exc.problems]
        return Failure(tuple(lines), FAILED)
    if isinstance(exc, KsefTransportError):
        return _one(f"Błąd: brak połączenia z KSeF: {message}", NETWORK)
    if isinstance(exc, KsefError):
        return _one(f"Błąd KSeF: {message}", KSEF)
    if isinstance(exc, StoreError):
        for cause in _chain(exc)[1:]:  # say what is wrong with the database, not which step noticed it
            found = _database_error(cause) or (_os_error(cause) if isinstance(cause, OSError) else None)
            if found is not None:
                return found
        return _one(f"Błąd: {message}", FAILED)  # e.g. no such company: the database itself is fine
    if isinstance(exc, VaultError):
        return _one(f"Błąd sejfu: {message}", SECRETS)
    if isinstance(exc, InvoiceError):
        return _one(f"Błąd faktury: {message}", FAILED)
    return _one(f"Błąd: {message}", FAILED)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def describe(exc: BaseException) -> Failure:
    """The message and exit code for an error that ended a command (unexpected ones: ``unexpected``)."""
    if isinstance(exc, KeyboardInterrupt):
        return _one("Przerwano.", INTERRUPTED)
    if isinstance(exc, FakturnikError):
        return _fakturnik_error(exc)
    missing = _missing_extra(exc)
    if missing is not None:
        return missing
    for cause in _chain(exc):  # a system error may come wrapped (e.g. an OSError inside a library error)
        found = _database_error(cause) or _network_error(cause)
        if found is None and isinstance(cause, OSError):
            found = _os_error(cause)
        if found is not None:
            return found
    if isinstance(exc, MemoryError):
        return _one("Za mało pamięci, aby dokończyć polecenie.", INTERNAL)
    return Failure((), INTERNAL, unexpected=True)


def _redacted(text: str) -> str:
    try:
        from fakturnik.ksef.redaction import redact
    except Exception:  # the log must be written even if that import fails
        return text
    return redact(text)


def write_report(exc: BaseException, data_dir: Path, argv: Sequence[str]) -> Path:
    """Append the full report of an unexpected error to the data directory's log (0700 dir, 0600 file)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / LOG_NAME
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    report = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    # the command line never carries secrets (they come from the environment or files), but a
    # message might: registered secrets are masked
    text = _redacted(f"--- {stamp} fakturnik {' '.join(argv)}\n{report}\n")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8", "replace"))
    finally:
        os.close(fd)
    return path


def data_dir_from(argv: Sequence[str]) -> Path:
    """The data directory the command was given (``--data-dir``), else the environment's or the default."""
    for i, arg in enumerate(argv):
        if arg == "--data-dir" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--data-dir="):
            return Path(arg.split("=", 1)[1])
    from fakturnik.store.db import default_data_dir

    return default_data_dir()


def unexpected_line(exc: BaseException, argv: Sequence[str]) -> str:
    """Write the report and return the one line the terminal shows."""
    name = type(exc).__name__
    try:
        path = write_report(exc, data_dir_from(argv), argv)
    except Exception as log_exc:  # disk full, no permission …: still no traceback on the terminal
        return (
            f"Nieoczekiwany błąd ({name}); nie udało się zapisać raportu "
            f"({type(log_exc).__name__}: {getattr(log_exc, 'strerror', None) or log_exc})."
        )
    return f"Nieoczekiwany błąd ({name}); pełny raport zapisano w {path}."


def report(exc: BaseException, argv: Sequence[str] | None = None) -> int:
    """Print the Polish message for ``exc`` on standard error and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    failure = describe(exc)
    if not failure.lines and not failure.unexpected:  # a closed pipe: do not write to it again at exit
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
    lines = failure.lines if not failure.unexpected else (unexpected_line(exc, argv),)
    for line in lines:
        try:
            print(line, file=sys.stderr)
        except OSError:  # stderr closed or full: the exit code still tells
            break
    return failure.code
