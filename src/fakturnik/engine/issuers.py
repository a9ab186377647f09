"""Per-issuer login: which KSeF credential sends an invoice, and whose it is.

A co-worker who acts in a company with their own KSeF certificate (a ``person_certificate`` row
owned by that user; KSeF lets it in with the rights granted to their PESEL or NIP, directly or as an
accounting office's indirect grant) sends what they issue with that certificate, so KSeF records
the person who issued the invoice, not the company's seal. :func:`issuer_credential_id` is the one
place that decides, at issue time; the outbox keeps the answer (``outbox.credential_id``; None = the
company's login credential, as for everyone else). The engine claims, logs in and opens sessions per
(company, credential), so an invoice never goes out in a session opened by another person's login.

At each full login :func:`sending_credential` resolves the stored id: the row itself while it is
active, else the same person's newer certificate in that company (a renewal or a replacement), else
nothing — then the person's invoices wait with :func:`missing_note` (who, and what to do) while the
others go on.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fakturnik.engine.companies import PERSON_CERTIFICATE
from fakturnik.store import repo
from fakturnik.store.models import Company, Credential, User

__all__ = [
    "CERTIFICATE_WAITING_PREFIX",
    "issuer_credential_id",
    "missing_note",
    "person_label",
    "refused_note",
    "sending_credential",
]

# every note about a co-worker's certificate starts so (a wait, never the invoice's failure)
CERTIFICATE_WAITING_PREFIX = "Czeka na certyfikat KSeF: "


def issuer_credential_id(s: Session, company_id: int, user_id: int | None) -> int | None:
    """The credential an invoice issued by ``user_id`` in this company must be sent with.

    The user's own active KSeF certificate in the company, if they have one; else None (the
    company's login credential). Called once per issued chunk, inside its transaction.
    """
    if user_id is None:
        return None
    row = repo.person_credential(s, company_id, user_id)
    return row.id if row is not None else None


def sending_credential(s: Session, credential_id: int) -> Credential | None:
    """The row that logs in for ``credential_id`` now: itself while active, else the same person's
    newest active certificate in that company (renewed or replaced), else None."""
    row = s.get(Credential, credential_id)
    if row is None:
        return None
    if row.active:
        return row
    if row.kind == PERSON_CERTIFICATE and row.owner_user_id is not None:
        return repo.person_credential(s, row.company_id, row.owner_user_id)
    return None


def person_label(s: Session, credential: Credential | None) -> str | None:
    """The co-worker a ``person_certificate`` belongs to (name, else e-mail), None for other kinds."""
    if credential is None or credential.kind != PERSON_CERTIFICATE or credential.owner_user_id is None:
        return None
    user = s.get(User, credential.owner_user_id)
    return (user.name or user.email) if user is not None else None


def _company_nip(s: Session, company_id: int) -> str:
    company = s.get(Company, company_id)
    return company.nip if company is not None else "?"


def missing_note(s: Session, credential_id: int) -> str:
    """Why the invoices of a co-worker wait when their certificate is no longer in the company."""
    row = s.get(Credential, credential_id)
    who = person_label(s, row) or "współpracownik"
    nip = _company_nip(s, row.company_id) if row is not None else "?"
    return (
        f"{CERTIFICATE_WAITING_PREFIX}{who} nie ma już w firmie {nip} aktywnego certyfikatu KSeF, a "
        "faktury wystawione przez tę osobę wysyła jej własny certyfikat. Ta osoba (albo właściciel "
        "firmy) musi ponownie dodać certyfikat KSeF tej osoby; faktura czeka w kolejce, faktury "
        "innych osób są wysyłane."
    )


def refused_note(s: Session, credential_id: int, reason: str) -> str:
    """KSeF refused the co-worker's certificate itself (revoked, expired, not trusted)."""
    row = sending_credential(s, credential_id) or s.get(Credential, credential_id)
    who = person_label(s, row) or "współpracownika"
    return (
        f"{CERTIFICATE_WAITING_PREFIX}KSeF odrzucił certyfikat osoby {who} ({reason}). Ta osoba musi "
        "dodać w Fakturniku nowy, ważny certyfikat KSeF; do tego czasu faktury wystawione przez tę "
        "osobę czekają w kolejce, a faktury innych osób są wysyłane."
    )
