"""The one exception hierarchy of Fakturnik.

Every error a library user can catch derives from :class:`FakturnikError`. Messages never contain
secrets (tokens, keys, passwords): code that formats an error from user data must redact first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class FakturnikError(Exception):
    """Base class of every error raised by Fakturnik; ``code`` is stable (for REST problem details)."""

    code: str = "error"


# --- FA(3) invoices -------------------------------------------------------------------------------


class InvoiceError(FakturnikError):
    """A problem with an FA(3) invoice document or model."""


class XmlSecurityError(InvoiceError):
    """Hostile or malformed XML: DTD, entities, oversize, BOM, wrong encoding."""


class InvoiceParseError(InvoiceError):
    """XML that is not a readable FA(3) document (wrong namespace, form code, structure)."""


@dataclass(frozen=True)
class Problem:
    """One finding of validation: where (XML path), what (Polish message), how bad."""

    path: str
    message: str
    code: str = ""
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InvoiceValidationError(InvoiceError):
    """The invoice breaks the XSD or a business rule; carries every problem found at once."""

    code = "invoice_invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} problem(s): {head}{more}")


class SchemaStoreError(FakturnikError):
    """The official XSDs could not be located, downloaded or verified."""


# --- KSeF API --------------------------------------------------------------------------------------


class KsefError(FakturnikError):
    """Any failure talking to KSeF."""


@dataclass(frozen=True)
class KsefExceptionDetail:
    code: int | None
    description: str
    details: list[str] = field(default_factory=list)


class KsefApiError(KsefError):
    """KSeF answered with an error status; carries its exception codes and descriptions."""

    def __init__(
        self,
        status_code: int,
        message: str,
        details: Sequence[KsefExceptionDetail] = (),
        *,
        reason_code: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.details = list(details)
        self.reason_code = reason_code
        super().__init__(f"HTTP {status_code}: {message}")

    @property
    def codes(self) -> list[int]:
        return [d.code for d in self.details if d.code is not None]


class KsefRateLimitError(KsefApiError):
    """HTTP 429; ``retry_after`` is seconds to wait."""

    def __init__(self, message: str, retry_after: float, details: Sequence[KsefExceptionDetail] = ()) -> None:
        super().__init__(429, message, details)
        self.retry_after = retry_after


class KsefSessionUnavailableError(KsefApiError):
    """Error 21184 (HTTP 400, "Sesja tymczasowo niedostępna", API 2.8): an interactive session is paused.

    The invoice of the refused request was not taken; open a new session and send it there.
    """

    CODE = 21184


COLLECTIVE_UNPUBLISHED_CODES = frozenset({71004, 71005})
"""Collective-identifier error codes of API 2.8.1 whose meaning the Ministry's documentation available
here (newest 19.05.2026) does not give; mapped generically until it does."""


class KsefCollectiveIdentifierError(KsefApiError):
    """KSeF refused an operation on a collective identifier with 71004 or 71005 (API 2.8.1).

    The meaning of the two codes is not published in the documentation available; the message says only
    what is known, in Polish: ``KSeF odrzucił operację na identyfikatorze zbiorczym (kod 71004)``,
    followed by KSeF's own description. ``ksef_code`` is the code.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        details: Sequence[KsefExceptionDetail] = (),
        *,
        reason_code: str | None = None,
    ) -> None:
        found = [d.code for d in details if d.code in COLLECTIVE_UNPUBLISHED_CODES]
        self.ksef_code: int = found[0] if found else min(COLLECTIVE_UNPUBLISHED_CODES)
        polish = f"KSeF odrzucił operację na identyfikatorze zbiorczym (kod {self.ksef_code})"
        super().__init__(status_code, f"{polish}: {message}", details, reason_code=reason_code)
        self.polish = polish


class KsefServerError(KsefApiError):
    """HTTP 5xx. ``outcome_unknown`` is True when a non-idempotent request may have been acted on."""

    def __init__(
        self,
        status_code: int,
        message: str,
        details: Sequence[KsefExceptionDetail] = (),
        *,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(status_code, message, details)
        self.outcome_unknown = outcome_unknown


class KsefAuthError(KsefError):
    """Authentication did not succeed (status 4xx of the auth operation, bad credentials)."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class KsefTransportError(KsefError):
    """The request did not get an answer (connection refused, timeout, broken response).

    ``outcome_unknown`` is True when a non-idempotent request may have reached KSeF and been acted
    on: the caller must reconcile before repeating it.
    """

    def __init__(self, message: str, *, outcome_unknown: bool) -> None:
        super().__init__(message)
        self.outcome_unknown = outcome_unknown


class KsefProcessingError(KsefError):
    """An asynchronous KSeF operation ended with a failure status (session, invoice, export)."""

    def __init__(self, message: str, status_code: int, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.details = list(details)


class KsefTimeoutError(KsefError):
    """Waiting for an asynchronous KSeF operation took longer than allowed."""


class LedgerUnavailable(KsefError):
    """The throttle's shared books (a host file, or the store's tables) cannot be used right now."""


# --- Local state -----------------------------------------------------------------------------------


class VisualError(FakturnikError):
    """A verification link, QR code or document rendering cannot be made (bad input, wrong certificate)."""


class StoreError(FakturnikError):
    """Database problem: missing record, conflicting state, migration failure."""


class VaultError(FakturnikError):
    """A secret could not be stored or decrypted (missing master key, tampered data)."""


class EngineError(FakturnikError):
    """The sending engine cannot proceed (misconfigured company, no credentials)."""


class DuplicateNumberError(EngineError):
    """An invoice with this number already exists in the company's series (issued earlier)."""

    def __init__(self, number: str, ksef_number: str | None = None, status: str | None = None) -> None:
        self.number = number
        self.ksef_number = ksef_number
        self.status = status
        where = f" (numer KSeF {ksef_number})" if ksef_number else (f" (status: {status})" if status else "")
        super().__init__(f"Faktura o numerze {number} już istnieje{where}; nadaj nowej fakturze inny numer.")


class DatabaseUnusableError(StoreError):
    """The database cannot be used any more (corrupted, full disk, read-only, schema gone)."""


# --- The application core (fakturnik.app) ---------------------------------------------------------
# Each carries a stable ``code`` that the REST API maps to RFC 9457 problem details; messages are Polish.


class AppError(FakturnikError):
    """A request to the application core that cannot be carried out as asked."""

    code: str = "app_error"


class NotFoundError(AppError):
    """No such object, or not one the actor may see (the two are never told apart)."""

    code = "not_found"


class PermissionDeniedError(AppError):
    """The actor may see the company but not do this action in it (role or API-key scope)."""

    code = "forbidden"


class AuthenticationError(AppError):
    """Wrong e-mail/password/TOTP code, or an unknown, expired or revoked session token or API key."""

    code = "unauthenticated"


class ConflictError(AppError):
    """The request collides with the current state (a duplicate NIP, e-mail, number, a paid invoice ...)."""

    code = "conflict"


class IdempotencyConflictError(ConflictError):
    """The idempotency key was used before with a different request body."""

    code = "idempotency_conflict"


class InputError(AppError):
    """Bad input to a service (a field that is missing, of the wrong type or out of range), per field."""

    code = "invalid_input"

    def __init__(self, problems: Sequence[Problem] | str, path: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem(path, problems, "invalid")]
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems[:5]))
