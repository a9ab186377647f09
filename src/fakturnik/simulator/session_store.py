"""Session and invoice documents in the simulator state, and the small rules around them.

Documents (kind → key → body):

- ``session`` → session reference: type, context, caller, form, status, dates, the unwrapped AES key
  (the simulator's own copy), counters (``invoiceCount``, ``successfulInvoiceCount``,
  ``failedInvoiceCount``, ``pending``), ``upoPages`` and, for batch sessions, the declared ``batch``.
- ``invoice`` → ``{sessionRef}/{ordinal:05d}``: the ``SessionInvoice`` fields plus ``facts`` (the
  invoice's metadata) and the sender's context.
- ``invidx`` → ``ref:{invoiceRef}``, ``ksef:{ksefNumber}``, ``dup:{nip}|{kind}|{number}``,
  ``hash:{sha256}``, ``corr:{sha256}``: lookups by reference, KSeF number, duplicate key, hash.

Blobs: ``enc/{invoiceKey}`` (encrypted online invoice until processed), ``xml/{ksefNumber}``
(accepted invoice), ``part/{sessionRef}/{ordinal}`` (uploaded batch part).

Every read-modify-write of a session happens under ``state.lock`` so counters stay right under
concurrent requests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fakturnik.base.warsaw import warsaw
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.invoice_checks import STATUS_DESCRIPTIONS
from fakturnik.simulator.security import Caller

WARSAW = warsaw()
ONLINE_TTL = timedelta(hours=12)
BATCH_TTL = timedelta(hours=12)
PART_UPLOAD_WINDOW = timedelta(minutes=20)
MAX_INVOICES = 10_000

ONLINE_STATUS = {
    100: "Sesja interaktywna otwarta",
    170: "Sesja interaktywna zamknięta",
    200: "Sesja interaktywna przetworzona pomyślnie",
    415: "Błąd odszyfrowania dostarczonego klucza",
    440: "Sesja anulowana",
    445: "Błąd weryfikacji, brak poprawnych faktur",
}
BATCH_STATUS = {
    100: "Sesja wsadowa rozpoczęta",
    150: "Trwa przetwarzanie",
    200: "Sesja wsadowa przetworzona pomyślnie",
    405: "Błąd weryfikacji poprawności dostarczonych elementów paczki",
    415: "Błąd odszyfrowania dostarczonego klucza",
    420: "Przekroczony limit faktur w sesji",
    430: "Błąd dekompresji pierwotnego archiwum",
    435: "Błąd odszyfrowania zaszyfrowanych części archiwum",
    440: "Sesja anulowana",
    445: "Błąd weryfikacji, brak poprawnych faktur",
    500: "Nieznany błąd (500)",
}
NO_INVOICES = "Nie przesłano faktur"
UPLOAD_TIMEOUT = "Przekroczono czas wysyłki"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def warsaw_date(text: str) -> str:
    return parse_iso(text).astimezone(WARSAW).date().isoformat()


def session_status(session_type: str, code: int, details: list[str] | None = None) -> dict[str, Any]:
    table = ONLINE_STATUS if session_type == "Online" else BATCH_STATUS
    status: dict[str, Any] = {"code": code, "description": table.get(code, f"Nieznany błąd ({code})")}
    if details:
        status["details"] = details
    return status


def invoice_status(
    code: int, details: list[str] | None = None, extensions: dict[str, str] | None = None
) -> dict[str, Any]:
    status: dict[str, Any] = {"code": code, "description": STATUS_DESCRIPTIONS.get(code, "Nieznany błąd")}
    if details:
        status["details"] = details
    if extensions:
        status["extensions"] = extensions
    return status


def invoice_key(session_ref: str, ordinal: int) -> str:
    return f"{session_ref}/{ordinal:05d}"


def load_session(sim: Simulator, ref: str, caller: Caller) -> dict[str, Any]:
    """The session if it exists in the caller's context, else 21173."""
    doc = sim.state.get("session", ref)
    if doc is None or not caller.made_here(doc):
        raise ApiError(21173, f"Sesja {ref} nie istnieje w tym kontekście.")
    return doc


def require_open(session: dict[str, Any], session_type: str | None = None) -> dict[str, Any]:
    """The session if it is still open (status 100) and, when named, of ``session_type``; else 21180."""
    if session["status"]["code"] != 100 or session_type not in (None, session["sessionType"]):
        raise ApiError(21180, f"Sesja ma status {session['status']['code']}.")
    return session


def visible_to(session: dict[str, Any], subject_type: str, subject_value: str, perms: frozenset[str]) -> bool:
    """InvoiceWrite sees its own sessions; Introspection / EnforcementOperations see all in the context."""
    if perms & {"Introspection", "EnforcementOperations"}:
        return True
    return (session.get("subjectType"), session.get("subjectValue")) == (subject_type, subject_value)


def common_status(code: int) -> str:
    """``CommonSessionStatus`` of a session status code."""
    if code in (100, 150, 170):
        return "InProgress"
    if code == 200:
        return "Succeeded"
    if code == 440:
        return "Cancelled"
    return "Failed"
