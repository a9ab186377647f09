"""Co-workers: a person who issues for a company under their own account, with their own KSeF certificate.

A co-worker is a user with a membership in the company. Their own KSeF certificate (issued to their
PESEL or NIP) is stored as a credential of kind ``person_certificate`` owned by them
(``owner_user_id``), the key straight into the vault under the company and the user
(``company/{nip}/person_certificate/{user_id}``). KSeF lets it in with the rights granted to the
person's identifier: directly by the company, or indirectly by an accounting office the company
granted delegable rights. What a co-worker issues while she has her certificate here is sent with
it (``engine.issuers``: the outbox names the credential; sessions are per person); the company's
own login uses a co-worker's certificate only when it has no credential of its own (engine login
precedence, store/repo.py ``active_credential``).

Who issued an invoice is in the audit log (the actor of ``invoice.issue``) and
:meth:`CoworkersService.issued_by` reads it for an invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from fakturnik.app.access import Action, membership_role
from fakturnik.app.credentials import key_password
from fakturnik.app.issuers import issuer_label
from fakturnik.app.service import Service
from fakturnik.engine.companies import PERSON_CERTIFICATE, secret_name
from fakturnik.errors import InputError, KsefAuthError, NotFoundError, PermissionDeniedError
from fakturnik.store import repo
from fakturnik.store.models import Credential, Invoice, User
from fakturnik.vault import Secret

__all__ = ["CoworkerCertificateView", "CoworkersService"]


@dataclass(frozen=True)
class CoworkerCertificateView:
    """A co-worker's certificate: public facts only."""

    credential_id: int
    user_id: int
    email: str
    name: str
    subject: str
    fingerprint: str
    not_after: datetime
    active: bool


class CoworkersService(Service):
    def add_certificate(
        self,
        company_id: int,
        user_id: int,
        certificate_pem: bytes,
        private_key_pem: bytes | Secret,
        password: bytes | str | Secret | None = None,
    ) -> CoworkerCertificateView:
        """Store a co-worker's own KSeF certificate for this company (the co-worker or the owner)."""
        from cryptography.hazmat.primitives import serialization

        from fakturnik.ksef.credentials import load_pem

        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            self._may_manage(s, company.id, user_id)
            if membership_role(s, user_id, company.id) is None:
                raise InputError("ta osoba nie jest członkiem firmy: najpierw ją zaproś", "user_id")
            nip = company.nip
        key = private_key_pem.reveal() if isinstance(private_key_pem, Secret) else private_key_pem
        try:
            credential = load_pem(certificate_pem, key, key_password(password))
        except KsefAuthError as exc:
            raise InputError(str(exc), "certificate") from None
        key_der = credential.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        name = f"{secret_name(nip, PERSON_CERTIFICATE)}/{int(user_id)}"
        self.ctx.vault.put(name + ".cert", nip, certificate_pem)
        self.ctx.vault.put(name + ".key", nip, Secret(key_der))
        with self._tx() as s:
            row = repo.replace_credential(s, company_id, PERSON_CERTIFICATE, name, owner_user_id=user_id)
            self._audit(
                s,
                "credential.person_certificate_set",
                company_id=company_id,
                detail={"userId": user_id, "sha256": credential.fingerprint},
            )
            return _view(s, row, certificate_pem)

    def certificates(self, company_id: int) -> tuple[CoworkerCertificateView, ...]:
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            names = list(
                s.scalars(
                    select(Credential.secret_name)
                    .where(Credential.company_id == company.id, Credential.kind == PERSON_CERTIFICATE)
                    .order_by(Credential.id.desc())
                )
            )
        # the vault is read outside the transaction (on SQLite a second one would wait for this one)
        pems = {name: self.ctx.vault.get(name + ".cert").reveal() for name in names}
        with self._tx() as s:
            rows = s.scalars(
                select(Credential)
                .where(Credential.company_id == company_id, Credential.kind == PERSON_CERTIFICATE)
                .order_by(Credential.id.desc())
            ).all()
            return tuple(_view(s, r, pems[r.secret_name]) for r in rows if r.secret_name in pems)

    def remove_certificate(self, company_id: int, credential_id: int) -> None:
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            missing = "nie ma takiego certyfikatu współpracownika"
            row = s.get(Credential, credential_id) if type(credential_id) is int else None
            if row is None or row.company_id != company.id or row.kind != PERSON_CERTIFICATE:
                raise NotFoundError(missing)
            self._may_manage(s, company_id, row.owner_user_id)
            row.active = False
            self._audit(
                s, "credential.person_certificate_removed", company_id=company_id, detail={"id": row.id}
            )
            context = f"{company.context_type}:{company.context_value}"
        # her logins of this process end now: her queued invoices wait (engine.issuers), not go out
        # with a token obtained before; the company's other logins simply log in again
        from fakturnik.engine.connect import drop_logins

        drop_logins([context])

    def issued_by(self, company_id: int, invoice_id: int) -> str | None:
        """Who issued the invoice (the actor of its ``invoice.issue`` audit entry)."""
        with self._tx() as s:
            self._owned(s, company_id, Action.INVOICES_READ, Invoice, invoice_id, "nie ma takiej faktury")
            return issuer_label(s, company_id, invoice_id)

    def _may_manage(self, s: Any, company_id: int, user_id: int | None) -> None:
        """A co-worker manages their own certificate; the owner (``company.admin``) anyone's."""
        if self.actor.kind == "user" and self.actor.user_id == user_id:
            return
        try:
            self._company(s, company_id, Action.COMPANY_ADMIN)
        except PermissionDeniedError:
            raise PermissionDeniedError(
                "certyfikat współpracownika dodaje on sam albo właściciel firmy"
            ) from None


def _view(s: Any, row: Credential, pem: bytes) -> CoworkerCertificateView:
    from cryptography import x509

    from fakturnik.ksef.crypto import certificate_fingerprint

    cert = x509.load_pem_x509_certificate(pem)
    user = s.get(User, row.owner_user_id) if row.owner_user_id is not None else None
    return CoworkerCertificateView(
        credential_id=row.id,
        user_id=int(row.owner_user_id or 0),
        email=user.email if user is not None else "",
        name=user.name if user is not None else "",
        subject=cert.subject.rfc4514_string(),
        fingerprint=certificate_fingerprint(cert),
        not_after=cert.not_valid_after_utc,
        active=row.active,
    )
