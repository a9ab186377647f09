"""KSeF credentials that last: from a KSeF token to KSeF certificates, before tokens stop working.

KSeF tokens stop working on 31 Dec 2026. :meth:`CredentialsService.migrate_to_certificate` moves a
company off its token in one call: with the token's session it enrolls an **Authentication** and an
**Offline** KSeF certificate (keys generated here, straight into the vault), proves the
Authentication certificate by a real KSeF login with what the vault holds, and only then switches the
company to it. Nothing is revoked; a failed step leaves the company on its token and says why in
Polish. The Offline certificate is kept under its own credential kind (``offline_certificate``),
which never logs in: it is what KOD II of offline invoices is signed with.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from fakturnik.app.access import Action, company_ids
from fakturnik.app.certificate_info import credential_info, ksef_serial
from fakturnik.app.service import Service
from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import InputError, KsefError
from fakturnik.ksef.enrollment import EnrolledCertificate, enroll_certificate
from fakturnik.store import repo
from fakturnik.store.models import Company, CompanyProfile, Credential
from fakturnik.vault import Secret

if TYPE_CHECKING:
    from fakturnik.ksef.context import ContextIdentifier
    from fakturnik.ksef.credentials import CertificateCredential
    from fakturnik.ksef.transport import Transport

TOKEN_END = date(2026, 12, 31)  # legacy KSeF tokens stop working on this day
CERTIFICATE_KINDS = ("certificate", "offline_certificate")
KIND_LABELS = {"certificate": "Uwierzytelnianie", "offline_certificate": "Offline (KOD II)"}

__all__ = [
    "TOKEN_END",
    "CertificateView",
    "CredentialsService",
    "MigrationResult",
    "TokenDeadlineView",
    "days_left",
]


@dataclass(frozen=True)
class CertificateView:
    """A KSeF certificate the company holds: public facts only, the key stays in the vault."""

    kind: str  # certificate (authentication) | offline_certificate (KOD II)
    serial: str
    subject: str
    not_before: datetime
    not_after: datetime
    fingerprint: str  # SHA-256 of the certificate
    active: bool
    added_at: datetime | None = None

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class MigrationResult:
    """What one migration did; ``message`` is for people (Polish)."""

    company_id: int
    nip: str
    ok: bool
    message: str
    changed: bool = False  # False: nothing switched (already on a certificate, or a failure)
    certificates: tuple[CertificateView, ...] = field(default_factory=tuple)
    skipped: bool = False  # True: the actor may not administer this company (nothing tried)


@dataclass(frozen=True)
class TokenDeadlineView:
    """The end of KSeF tokens: days left and the actor's companies still on a token."""

    deadline: date
    days_left: int
    company_ids: tuple[int, ...]

    @property
    def companies_on_token(self) -> int:
        return len(self.company_ids)

    @property
    def active(self) -> bool:
        """Show the banner: some company is still on a token."""
        return bool(self.company_ids)


def days_left(today: date | None = None) -> int:
    """Whole days from today (Warsaw) until tokens stop working (0 on the day, negative after)."""
    today = today or warsaw_today()
    return (TOKEN_END - today).days


def _enrollment_failure(exc: KsefError, *, signed: bool) -> str:
    text = str(exc)
    if not signed and ("25001" in text or "25002" in text):
        return (
            "KSeF wydaje certyfikaty tylko po logowaniu podpisem (podpis kwalifikowany, pieczęć, "
            "Profil Zaufany), nie tokenem. Pobierz plik do podpisu (fakturnik credentials request), "
            "podpisz go i przekaż podpisany plik (fakturnik credentials migrate --signed plik.xml). "
            "Firma zostaje przy tokenie."
        )
    return f"Nie udało się uzyskać certyfikatów KSeF: {text} Firma zostaje przy tokenie."


def _view(cred: Credential, pem: bytes) -> CertificateView:
    from cryptography import x509

    from fakturnik.ksef.crypto import certificate_fingerprint

    cert = x509.load_pem_x509_certificate(pem)
    return CertificateView(
        kind=cred.kind,
        serial=ksef_serial(cert),
        subject=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint=certificate_fingerprint(cert),
        active=cred.active,
        added_at=cred.created_at,
    )


def _pem_pair(credential: CertificateCredential) -> tuple[bytes, Secret]:
    from cryptography.hazmat.primitives import serialization

    cert_pem = credential.certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = credential.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert_pem, Secret(key_pem)


class CredentialsService(Service):
    enrollment_timeout: float = 120.0

    # -- read models ----------------------------------------------------------------------------------

    def certificates(self, company_id: int) -> list[CertificateView]:
        """The company's KSeF certificates (authentication and offline), newest first; never a key."""
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            rows = list(
                s.scalars(
                    select(Credential)
                    .where(Credential.company_id == company.id, Credential.kind.in_(CERTIFICATE_KINDS))
                    .order_by(Credential.id.desc())
                )
            )
            for row in rows:
                s.expunge(row)
        return [_view(row, self.ctx.vault.get(row.secret_name + ".cert").reveal()) for row in rows]

    def token_deadline(self, company_id: int | None = None) -> TokenDeadlineView:
        """Days left until 31.12.2026 and which of the actor's companies (or this one) are on a token."""
        with self._tx() as s:
            if company_id is not None:
                ids = [self._company(s, company_id, Action.COMPANY_VIEW).id]
            else:
                ids = company_ids(s, self.actor)
            on_token = []
            for cid in ids:
                cred = repo.active_credential(s, cid)
                if cred is not None and cred.kind == "ksef_token":
                    on_token.append(cid)
        return TokenDeadlineView(TOKEN_END, days_left(), tuple(on_token))

    # -- the migration --------------------------------------------------------------------------------

    def migrate_all(self, signed_requests: Mapping[str, bytes] | None = None) -> list[MigrationResult]:
        """Migrate every company still on a KSeF token that the actor may see, one result each.

        ``signed_requests`` maps a NIP to its signed ``AuthTokenRequest`` (see :meth:`migration_request`;
        KSeF issues certificates only to a signed session). A company on a token the actor may see but
        not administer (e.g. an accountant's or viewer's) is not touched: its result is ``skipped`` and
        says who can migrate it.
        """
        from fakturnik.app.access import authorize
        from fakturnik.errors import NotFoundError, PermissionDeniedError

        signed = dict(signed_requests or {})
        results = []
        for cid in self.token_deadline().company_ids:
            with self._tx() as s:
                company = s.get(Company, cid)
                nip = company.nip if company is not None else ""
                try:
                    authorize(s, self.actor, cid, Action.COMPANY_ADMIN)
                except (PermissionDeniedError, NotFoundError):
                    allowed = False
                else:
                    allowed = True
            if not allowed:
                results.append(
                    MigrationResult(
                        cid,
                        nip,
                        False,
                        "Pominięto: przejście na certyfikat może wykonać tylko właściciel firmy "
                        "(rola właściciela w Fakturniku). Firma zostaje przy tokenie.",
                        skipped=True,
                    )
                )
                continue
            results.append(self.migrate_to_certificate(cid, signed.get(nip)))
        return results

    def migration_request(self, company_id: int) -> bytes:
        """The unsigned ``AuthTokenRequest`` (a fresh challenge, valid 10 minutes) for the owner to sign.

        KSeF issues certificates only to a session opened with a signature (XAdES: a qualified
        signature or seal, Profil Zaufany, a KSeF certificate), never to a token session (25001). The
        owner signs this file elsewhere and hands it to :meth:`migrate_to_certificate`.
        """
        from fakturnik.ksef.auth import prepare_signed_request

        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            s.expunge(company)
        transport = self._transport(company)
        try:
            return prepare_signed_request(transport, self._context(company))
        finally:
            transport.close()

    def migrate_to_certificate(self, company_id: int, signed_request: bytes | None = None) -> MigrationResult:
        """Token → KSeF certificates, proven by a login before the switch (see the module doc).

        Without ``signed_request`` the token's own session asks for the certificates (what KSeF
        refuses today: the result then says in Polish how to go on); with it, the session opened by
        that signed file (see :meth:`migration_request`) does.
        """
        from fakturnik.engine.companies import CERTIFICATE, KSEF_TOKEN

        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            s.expunge(company)
            cred = repo.active_credential(s, company.id)
            kind = cred.kind if cred is not None else None
        nip = company.nip
        if kind == CERTIFICATE:
            return MigrationResult(
                company.id,
                nip,
                True,
                "Firma już loguje się do KSeF certyfikatem.",
                False,
                tuple(self.certificates(company.id)),
            )
        if kind != KSEF_TOKEN:
            raise InputError(
                "Firma nie ma tokenu KSeF: dodaj certyfikat KSeF albo token, aby przejść na certyfikat.",
                "credential",
            )
        try:
            auth, offline = self._enroll(company, signed_request)
        except KsefError as exc:
            return self._failed(company, _enrollment_failure(exc, signed=signed_request is not None))
        auth_name = f"company/{nip}/certificate/{auth.serial_number}"
        offline_name = f"company/{nip}/offline_certificate/{offline.serial_number}"
        for name, enrolled in ((auth_name, auth), (offline_name, offline)):
            cert_pem, key = _pem_pair(enrolled.credential)
            self.ctx.vault.put(name + ".cert", nip, cert_pem)
            self.ctx.vault.put(name + ".key", nip, key)
        try:
            self._prove(company, auth_name)
        except KsefError as exc:
            for name in (auth_name, offline_name):
                self.ctx.vault.delete(name + ".cert")
                self.ctx.vault.delete(name + ".key")
            return self._failed(
                company,
                "Nowy certyfikat KSeF nie zadziałał przy próbnym logowaniu, firma zostaje przy tokenie "
                f"KSeF (nic nie zostało unieważnione): {exc}",
            )
        self._switch(company, auth_name, offline_name, auth.credential)
        return MigrationResult(
            company.id,
            nip,
            True,
            "Firma loguje się teraz do KSeF certyfikatem (logowanie próbne udane); token KSeF "
            "nie został unieważniony.",
            True,
            tuple(self.certificates(company.id)),
        )

    def _transport(self, company: Company, **kwargs: Any) -> Transport:
        from fakturnik.ksef.environments import resolve
        from fakturnik.ksef.transport import Transport

        env = resolve(company.base_url or company.environment)
        return Transport(env, timeout=self.ctx.settings.http_timeout, **kwargs)

    @staticmethod
    def _context(company: Company) -> ContextIdentifier:
        from fakturnik.ksef.context import ContextIdentifier

        return ContextIdentifier(company.context_type, company.context_value)  # type: ignore[arg-type]

    def _enroll(
        self, company: Company, signed_request: bytes | None
    ) -> tuple[EnrolledCertificate, EnrolledCertificate]:
        from fakturnik.engine.connect import auth_manager
        from fakturnik.ksef.auth import AuthManager
        from fakturnik.ksef.client import KsefClient
        from fakturnik.ksef.sessions import Poller

        transport = self._transport(company)
        try:
            if signed_request is None:
                manager = auth_manager(self.ctx, company, transport)  # the token: the active credential
            else:
                manager = AuthManager(transport, self._context(company), None)
                manager.finish_with_signed_request(signed_request)
            client = KsefClient(manager.api)
            poller = Poller(timeout=self.enrollment_timeout, initial=0.1)
            label = f"Fakturnik {company.nip}"
            auth = enroll_certificate(client, label, "Authentication", poller=poller)
            offline = enroll_certificate(client, label + " offline", "Offline", poller=poller)
            with contextlib.suppress(KsefError):
                manager.logout()
            return auth, offline
        finally:
            transport.close()

    def _prove(self, company: Company, name: str) -> None:
        """A full KSeF login with the certificate as the vault holds it (the engine's very path)."""
        from fakturnik.ksef.auth import AuthManager
        from fakturnik.ksef.credentials import load_pem

        credential = load_pem(
            self.ctx.vault.get(name + ".cert").reveal(), self.ctx.vault.get(name + ".key").reveal()
        )
        transport = self._transport(company, max_retries=1)
        try:
            manager = AuthManager.with_certificate(transport, self._context(company), credential)
            manager.login()
            with contextlib.suppress(KsefError):
                manager.logout()
        finally:
            transport.close()

    def _switch(
        self, company: Company, auth_name: str, offline_name: str, credential: CertificateCredential
    ) -> None:
        from fakturnik.engine.companies import CERTIFICATE, KSEF_TOKEN, OFFLINE_CERTIFICATE

        info = credential_info(credential)
        with self._tx() as s:
            row = self._company(s, company.id, Action.COMPANY_ADMIN)
            repo.add_credential(s, row, OFFLINE_CERTIFICATE, offline_name, actor=self.actor.label)
            repo.add_credential(s, row, CERTIFICATE, auth_name, actor=self.actor.label)
            for token in s.scalars(
                select(Credential).where(Credential.company_id == row.id, Credential.kind == KSEF_TOKEN)
            ):
                token.active = False  # kept in the vault, not revoked in KSeF
            profile = s.get(CompanyProfile, row.id)
            if profile is not None:
                profile.credential_info = info
            self._audit(
                s,
                "credential.migrated",
                company_id=row.id,
                detail={"from": KSEF_TOKEN, "to": CERTIFICATE, "serial": info["serial"]},
            )

    def _failed(self, company: Company, message: str) -> MigrationResult:
        with self._tx() as s:
            self._audit(s, "credential.migration_failed", company_id=company.id, detail={"reason": message})
        return MigrationResult(company.id, company.nip, False, message, False, ())
