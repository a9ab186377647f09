"""Pure decisions: what a KSeF answer or error means for an outbox entry."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum

from fakturnik.errors import (
    EngineError,
    KsefApiError,
    KsefAuthError,
    KsefRateLimitError,
    KsefServerError,
    KsefTransportError,
)
from fakturnik.ksef.backoff import delay

PENDING_CODES = frozenset({100, 150})
SESSION_FINAL_PENDING = frozenset({100, 150, 170})  # a session status that is not final yet
RESEND_CODES = frozenset({405, 550})  # cancelled by a session error / by the system: send again
# the context may not issue for the invoice's seller (a grant is missing): wait, not a rejection
SELLER_NOT_ENTITLED = 410
DUPLICATE = 440
SESSION_GONE_CODES = frozenset({21173, 21180, 21184})  # no such session / not open / paused (2.8)
PERMANENT_REQUEST_CODES = frozenset({21155, 21166, 21167, 21402, 21403, 21405})


class Verdict(Enum):
    ACCEPTED = "accepted"  # KSeF number known
    PENDING = "pending"  # still being processed: ask again later
    RESEND = "resend"  # KSeF did not keep it: queue again
    REJECTED = "rejected"  # a person must fix the invoice
    DUPLICATE = "duplicate"  # 440: ours only if the original is this very file (see settle_duplicate)


@dataclass(frozen=True)
class InvoiceVerdict:
    verdict: Verdict
    ksef_number: str | None = None
    code: int | None = None
    message: str = ""
    duplicate: bool = False


def judge_invoice_status(
    code: int,
    description: str,
    ksef_number: str | None,
    details: list[str] | None = None,
    extensions: dict[str, str] | None = None,
) -> InvoiceVerdict:
    """Map a session-invoice status (digest §7) to what the engine does next."""
    text = "; ".join([description, *(details or [])])
    if code in PENDING_CODES:
        return InvoiceVerdict(Verdict.PENDING, code=code, message=text)
    if code == 200 and ksef_number:
        return InvoiceVerdict(Verdict.ACCEPTED, ksef_number=ksef_number, code=code, message=text)
    if code == DUPLICATE:
        original = (extensions or {}).get("originalKsefNumber")
        if original:  # the number was used before; whether by this file is still to be checked
            return InvoiceVerdict(
                Verdict.DUPLICATE, ksef_number=original, code=code, message=text, duplicate=True
            )
        return InvoiceVerdict(Verdict.REJECTED, code=code, message=text)
    if code in RESEND_CODES or code == 200 or code == SELLER_NOT_ENTITLED:
        return InvoiceVerdict(Verdict.RESEND, code=code, message=text)
    return InvoiceVerdict(Verdict.REJECTED, code=code, message=text)


def settle_duplicate(verdict: InvoiceVerdict, same_file: bool, message: str = "") -> InvoiceVerdict:
    """A 440 after comparing hashes: this file already registered (accepted), or a reused number (rejected).

    ``message`` explains a rejection to a person (it names the number and the original KSeF number).
    """
    if verdict.verdict is not Verdict.DUPLICATE:
        return verdict
    if same_file:
        return InvoiceVerdict(
            Verdict.ACCEPTED,
            ksef_number=verdict.ksef_number,
            code=verdict.code,
            message=verdict.message,
            duplicate=True,
        )
    return InvoiceVerdict(
        Verdict.REJECTED,
        ksef_number=verdict.ksef_number,
        code=verdict.code,
        message=message or verdict.message,
        duplicate=True,
    )


class SendFate(Enum):
    UNCERTAIN = "uncertain"  # may have reached KSeF: reconcile before anything else
    RETRY = "retry"  # certainly not acted on: queue again after a delay
    NEW_SESSION = "new_session"  # the session is gone; nothing was registered
    REJECTED = "rejected"  # the request itself is wrong for this invoice


@dataclass(frozen=True)
class SendFailure:
    fate: SendFate
    message: str
    code: str | None = None
    retry_after: float | None = None
    outage_signal: bool = False  # counts towards "KSeF is unavailable"
    details: list[str] = field(default_factory=list)


def classify_send_error(exc: Exception) -> SendFailure:
    """What an exception raised by the send call means; unknown exceptions are treated as uncertain."""
    name = type(exc).__name__
    if isinstance(exc, KsefTransportError):
        fate = SendFate.UNCERTAIN if exc.outcome_unknown else SendFate.RETRY
        return SendFailure(fate, f"{name}: {exc}", outage_signal=True)
    if isinstance(exc, KsefRateLimitError):
        return SendFailure(SendFate.RETRY, "429", code="429", retry_after=exc.retry_after)
    if isinstance(exc, KsefServerError):
        fate = SendFate.UNCERTAIN if exc.outcome_unknown else SendFate.RETRY
        return SendFailure(
            fate, str(exc), code=str(exc.status_code), outage_signal=exc.status_code in (502, 503, 504)
        )
    if isinstance(exc, KsefApiError):
        codes = set(exc.codes)
        message = "; ".join(f"{d.code}: {d.description}" for d in exc.details) or str(exc)
        if exc.status_code >= 500:
            return SendFailure(SendFate.UNCERTAIN, message, code=str(exc.status_code), outage_signal=True)
        if codes & SESSION_GONE_CODES:
            return SendFailure(SendFate.NEW_SESSION, message, code=str(min(codes & SESSION_GONE_CODES)))
        if exc.status_code in (401, 403):
            return SendFailure(SendFate.RETRY, message, code=str(exc.status_code))
        if codes & PERMANENT_REQUEST_CODES or exc.status_code == 400:
            first = next(iter(sorted(codes)), exc.status_code)
            return SendFailure(SendFate.REJECTED, message, code=str(first))
        return SendFailure(SendFate.RETRY, message, code=str(exc.status_code))
    if isinstance(exc, KsefAuthError):
        return SendFailure(SendFate.RETRY, f"{name}: {exc}", code="auth")
    if isinstance(exc, EngineError):  # our side could not log in (no credential): nothing was sent
        return SendFailure(SendFate.RETRY, str(exc), code="login")
    return SendFailure(SendFate.UNCERTAIN, name)


def is_outage_error(exc: Exception) -> bool:
    """Errors that say "KSeF does not answer" rather than "KSeF says no"."""
    if isinstance(exc, KsefTransportError):
        return True
    return isinstance(exc, KsefApiError) and exc.status_code in (502, 503, 504)


def backoff(
    attempt: int, *, base: float = 1.0, cap: float = 300.0, rng: random.Random | None = None
) -> timedelta:
    """Exponential backoff with "equal jitter": between half and all of ``base·2^attempt`` (≤ cap).

    The same delay the client's transport sleeps between repeats (``ksef.backoff.delay``)."""
    return timedelta(seconds=delay(attempt, base=base, cap=cap, rng=rng))
