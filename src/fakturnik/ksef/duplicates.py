"""Is a 440 duplicate this very file? (KSeF says only that the invoice *number* was used before.)

A 440 names the original's KSeF number (``originalKsefNumber``) and session
(``originalSessionReferenceNumber``). It means "already registered" only when the original's SHA-256
equals the hash of the file we sent — a resend after an uncertain outcome. A different document that
reuses a number is a rejection: KSeF never took it.

The original's hash comes from downloading it (KSeF's ``x-ms-meta-hash``, else the bytes' SHA-256),
or, when the download is refused, from the original session's invoice listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fakturnik.errors import KsefApiError, KsefRateLimitError, KsefServerError
from fakturnik.ksef.crypto import sha256_b64

if TYPE_CHECKING:
    from fakturnik.ksef.client import KsefClient

DUPLICATE_CODE = 440


@dataclass(frozen=True)
class DuplicateCheck:
    """The verdict on one 440: ``same_file`` True → already registered under ``original_ksef_number``."""

    original_ksef_number: str
    same_file: bool
    original_hash: str | None = None

    def rejection(self, invoice_number: str | None) -> str:
        """The message for a different document that reused a number (Polish, for users)."""
        subject = f"Numer faktury {invoice_number}" if invoice_number else "Numer tej faktury"
        reason = (
            "inny dokument (inny skrót SHA-256)"
            if self.original_hash
            else "dokument, którego nie udało się porównać z tym plikiem"
        )
        return (
            f"{subject} jest już w KSeF użyty przez {self.original_ksef_number}, ale to {reason}; "
            "ta faktura NIE została przyjęta — nadaj jej inny numer."
        )


def original_of(extensions: dict[str, str] | None) -> tuple[str | None, str | None]:
    """``(originalKsefNumber, originalSessionReferenceNumber)`` of a 440's extensions."""
    ext = extensions or {}
    return ext.get("originalKsefNumber") or None, ext.get("originalSessionReferenceNumber") or None


def original_hash(client: KsefClient, ksef_number: str, session_ref: str | None = None) -> str | None:
    """SHA-256 (base64) of the invoice KSeF keeps under ``ksef_number``; None when KSeF will not say.

    Rate limits, server errors and transport errors propagate: the caller asks again later.
    """
    try:
        doc = client.download_invoice(ksef_number)
    except (KsefRateLimitError, KsefServerError):
        raise
    except KsefApiError as exc:
        if exc.status_code >= 500:
            raise
    else:
        return doc.sha256_b64 or sha256_b64(doc.content)
    if session_ref:
        for item in client.iter_session_invoices(session_ref):
            if item.ksefNumber == ksef_number:
                return item.invoiceHash
    return None


def check_duplicate(
    client: KsefClient, invoice_hash: str, extensions: dict[str, str] | None
) -> DuplicateCheck | None:
    """Decide one 440 answer for the file with ``invoice_hash``; None when it names no original."""
    number, session_ref = original_of(extensions)
    if number is None:
        return None
    found = original_hash(client, number, session_ref)
    return DuplicateCheck(number, same_file=found == invoice_hash, original_hash=found)
