"""KSeF said "no permission": the invoice waits in the queue; a person reads in Polish who must grant what.

KSeF refuses for lack of permission in three places, and none of them is the invoice's fault:

* at login, as authentication status 415 ("Brak przypisanych uprawnień": the subject holds no right
  at all in the context, e.g. the client revoked everything it granted the accounting office);
* at a protected call, as HTTP 403 ``missing-permissions`` (the token holds rights, but not the one
  the call needs, e.g. InvoiceRead without InvoiceWrite);
* for one invoice, as status 410 ("Nieprawidłowy zakres uprawnień": the context may not issue for
  the seller of that invoice).

The pure functions here turn such a refusal and the login's parties (:class:`LoginParty`) into the
sentence the office sees, e.g. "Klient 5265877635 musi nadać biuru 7740001454 uprawnienie
„wystawianie faktur” (InvoiceWrite)". :func:`permission_note` / :func:`note_for` (and
:func:`seller_refusal_note` for status 410) are the engine's calls: they return that sentence for a
refusal (None for anything else), reading the company's login credential.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from fakturnik.engine.companies import OFFICE, PERSON_CERTIFICATE
from fakturnik.engine.connect import drop_logins
from fakturnik.engine.context import EngineContext
from fakturnik.engine.issuers import (
    CERTIFICATE_WAITING_PREFIX,
    person_label,
    refused_note,
    sending_credential,
)
from fakturnik.errors import EngineError, KsefApiError, KsefAuthError
from fakturnik.store import repo
from fakturnik.store.models import Company, Credential

__all__ = [
    "PERMISSION_LABELS_PL",
    "WAITING_PREFIX",
    "LoginParty",
    "credential_note",
    "explain_missing",
    "explain_refusal",
    "explain_seller_refusal",
    "is_permission_refusal",
    "is_waiting_for_permission",
    "login_party",
    "note_for",
    "permission_note",
    "seller_refusal_note",
]

AUTH_NO_PERMISSIONS = 415  # authentication status: the subject holds no right in the context
MISSING_PERMISSIONS = "missing-permissions"  # the 403 reasonCode
SELLER_NOT_ENTITLED = 410  # session-invoice status: the context may not issue for this seller

# what a person reads in the sentence (the KSeF name follows in brackets)
PERMISSION_LABELS_PL: dict[str, str] = {
    "InvoiceWrite": "wystawianie faktur",
    "InvoiceRead": "przeglądanie faktur",
    "CredentialsManage": "zarządzanie uprawnieniami",
    "CredentialsRead": "przeglądanie uprawnień",
    "Introspection": "przeglądanie historii sesji",
    "SubunitManage": "zarządzanie podmiotami podrzędnymi",
    "EnforcementOperations": "wykonywanie operacji egzekucyjnych",
    "VatUeManage": "zarządzanie uprawnieniami w ramach podmiotu unijnego",
    "PefInvoiceWrite": "wystawianie faktur PEF",
}

# every explanation starts so: the engine and the views recognise a wait for a grant by it
WAITING_PREFIX = "Czeka na uprawnienie w KSeF: "


@dataclass(frozen=True)
class LoginParty:
    """Who logs in for whom: the company (the KSeF context) and, when it is not the company itself,
    the accounting office whose certificate is used or the co-worker whose certificate it is."""

    kind: str  # the credential kind (engine/companies.py)
    client_nip: str  # the company the invoices are for (its context)
    office_nip: str | None = None  # kind ``office``: the accounting office
    person: str | None = None  # kind ``person_certificate``: the co-worker (name or e-mail)


def label(permission: str) -> str:
    """``„wystawianie faktur” (InvoiceWrite)``."""
    text = PERMISSION_LABELS_PL.get(permission)
    return f"„{text}” ({permission})" if text else permission


def is_permission_refusal(exc: BaseException) -> bool:
    """Login 415 or a 403 ``missing-permissions``: rights are missing, nothing is wrong with the invoice."""
    if isinstance(exc, KsefAuthError):
        return exc.status_code == AUTH_NO_PERMISSIONS
    return isinstance(exc, KsefApiError) and exc.status_code == 403 and exc.reason_code == MISSING_PERMISSIONS


# a wait for someone to act (a grant; a co-worker's new certificate), never the invoice's failure
WAITING_PREFIXES = (WAITING_PREFIX, CERTIFICATE_WAITING_PREFIX)
# a login waiting for someone to act is tried again as after this many attempts (≈ the backoff's cap)
WAITING_RETRY_ATTEMPT = 8
# auth statuses of a refused credential itself (450 bad token, 460 certificate revoked / untrusted)
CREDENTIAL_REFUSED = (450, 460)


def is_waiting_for_permission(note: str | None) -> bool:
    return bool(note) and str(note).startswith(WAITING_PREFIXES)


def explain_missing(party: LoginParty, permission: str = "InvoiceWrite") -> str:
    """The sentence for a missing right, by who logs in."""
    right = label(permission)
    if party.kind == OFFICE and party.office_nip:
        return (
            f"{WAITING_PREFIX}Klient {party.client_nip} musi nadać biuru {party.office_nip} "
            f"uprawnienie {right}. Faktura czeka w kolejce i zostanie wysłana po nadaniu uprawnienia."
        )
    if party.kind == PERSON_CERTIFICATE:
        who = f"osobie {party.person}" if party.person else "współpracownikowi"
        return (
            f"{WAITING_PREFIX}Klient {party.client_nip} musi nadać {who} uprawnienie {right} "
            "— bezpośrednio albo biuru rachunkowemu z prawem dalszego przekazywania, a biuro tej "
            "osobie (uprawnienie pośrednie). Faktura czeka w kolejce i zostanie wysłana po nadaniu "
            "uprawnienia."
        )
    return (
        f"{WAITING_PREFIX}dane uwierzytelniające firmy {party.client_nip} nie mają w KSeF uprawnienia "
        f"{right} (np. token bez tego uprawnienia). Faktura czeka w kolejce."
    )


def explain_refusal(exc: BaseException, party: LoginParty, permission: str = "InvoiceWrite") -> str | None:
    """The sentence when ``exc`` is a refusal for lack of permission; None for any other error."""
    return explain_missing(party, permission) if is_permission_refusal(exc) else None


def explain_seller_refusal(party: LoginParty, seller_nip: str | None = None) -> str:
    """Per-invoice status 410: the context may not issue for the invoice's seller."""
    seller = seller_nip or "sprzedawcy z faktury"
    if seller_nip and seller_nip == party.client_nip:
        return explain_missing(party)
    return (
        f"{WAITING_PREFIX}kontekst {party.client_nip} nie może wystawiać faktur w imieniu {seller}: "
        f"sprzedawca {seller} musi nadać firmie {party.client_nip} uprawnienie do samofakturowania "
        "lub przedstawicielstwa podatkowego, albo faktura ma błędny NIP sprzedawcy. "
        "Faktura czeka w kolejce."
    )


def login_party(s: Session, company_id: int, credential_id: int | None = None) -> LoginParty:
    """Who logs in as a :class:`LoginParty` (inside the caller's transaction): the credential an
    entry is sent with (``credential_id``, the issuer's own), else the company's login credential."""
    company = s.get(Company, company_id)
    nip = company.nip if company is not None else "?"
    cred: Credential | None
    if credential_id is not None:
        cred = sending_credential(s, credential_id) or s.get(Credential, credential_id)
    else:
        cred = repo.active_credential(s, company_id)
    if cred is None:
        return LoginParty("", nip)
    office_nip = None
    if cred.kind == OFFICE and cred.office_company_id is not None:
        office = s.get(Company, cred.office_company_id)
        office_nip = office.nip if office is not None else None
    return LoginParty(cred.kind, nip, office_nip, person_label(s, cred))


def permission_note(
    s: Session,
    company_id: int,
    exc: BaseException,
    permission: str = "InvoiceWrite",
    *,
    credential_id: int | None = None,
) -> str | None:
    """The engine's call: the Polish explanation when ``exc`` is a refusal for lack of permission.

    It also drops this process's cached logins in the company's context: KSeF fixed the rights in
    the access token, so only a new login sees a grant made since (here or anywhere else). For an
    entry sent with a co-worker's own certificate (``credential_id``) also :func:`credential_note`.
    """
    if not is_permission_refusal(exc):
        return credential_note(s, credential_id, exc) if credential_id is not None else None
    company = s.get(Company, company_id)
    if company is not None:
        drop_logins([f"{company.context_type}:{company.context_value}"])
    return explain_missing(login_party(s, company_id, credential_id), permission)


def credential_note(s: Session, credential_id: int, exc: BaseException) -> str | None:
    """A co-worker's certificate is gone from the company, or KSeF refused the certificate itself
    (revoked, blocked, untrusted: auth status 450 / 460): the sentence naming her; else None."""
    if isinstance(exc, EngineError) and str(exc).startswith(CERTIFICATE_WAITING_PREFIX):
        return str(exc)
    if isinstance(exc, KsefAuthError) and exc.status_code in CREDENTIAL_REFUSED:
        reason = str(exc).partition("nie powiodło się: ")[2] or str(exc)
        return refused_note(s, credential_id, reason[:300])
    return None


def note_for(
    ctx: EngineContext, company_id: int, exc: BaseException, credential_id: int | None = None
) -> str | None:
    """:func:`permission_note` outside a transaction (reads the store only for a refusal, or for an
    entry sent with a co-worker's own certificate)."""
    if credential_id is None and not is_permission_refusal(exc):
        return None
    with ctx.db.transaction() as s:
        return permission_note(s, company_id, exc, credential_id=credential_id)


def seller_refusal_note(
    s: Session, company_id: int, seller_nip: str | None, credential_id: int | None = None
) -> str:
    """The engine's call for a session-invoice status 410."""
    return explain_seller_refusal(login_party(s, company_id, credential_id), seller_nip)
