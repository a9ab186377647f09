"""KSeF certificates from inside Fakturnik: enroll, list with expiry, renew ahead of expiry, revoke.

No portal is needed at any step. A company that already logs in with a KSeF certificate asks for new
ones with that certificate's own session; a company with nothing yet (or still on a token, which KSeF
does not let enroll: 25001) uses one session opened by a signed ``AuthTokenRequest`` (the first login:
:meth:`CertificatesService.login_request` writes it, the owner signs it elsewhere). The private key of
every certificate is generated here and goes straight into the vault; the store keeps the public
facts (serial, type, validity, KSeF's status) on the ``credentials`` row.

The rules, all here:

* **A new Authentication certificate becomes the login credential only after it has logged in.** It
  is stored inactive, proven by a full KSeF login with what the vault holds, and only then switched
  to; the old one stays in the vault (and valid in KSeF) and is kept as the fallback.
* **Renewal** (:func:`renewal_plan`, pure) replaces the active certificate of a type once KSeF's
  ``validTo`` is within the company's margin (:class:`RenewalPolicy`, default 30 days). KSeF can
  shorten a certificate, so :meth:`CertificatesService.refresh` asks KSeF before deciding.
* **Revoke** never leaves a company without a working login: revoking the active Authentication
  certificate first switches to another one that has just logged in (an existing one, or a new one
  enrolled for the purpose); only then is the old one revoked.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select

from fakturnik.app.access import Action
from fakturnik.app.certificate_info import credential_info, ksef_serial
from fakturnik.app.credentials import key_password
from fakturnik.app.projection import project
from fakturnik.app.service import Service
from fakturnik.errors import FakturnikError, InputError, KsefError, NotFoundError
from fakturnik.store import repo
from fakturnik.store.models import CertificatePolicy, Company, CompanyProfile, Credential
from fakturnik.vault import Secret

if TYPE_CHECKING:
    from fakturnik.ksef.auth import AuthManager
    from fakturnik.ksef.client import KsefClient
    from fakturnik.ksef.context import ContextIdentifier
    from fakturnik.ksef.credentials import CertificateCredential
    from fakturnik.ksef.enrollment import EnrolledCertificate
    from fakturnik.ksef.transport import Transport

CertificateType = Literal["Authentication", "Offline"]
TYPES: tuple[CertificateType, ...] = ("Authentication", "Offline")
KIND_OF_TYPE: dict[str, str] = {"Authentication": "certificate", "Offline": "offline_certificate"}
TYPE_OF_KIND: dict[str, CertificateType] = {"certificate": "Authentication", "offline_certificate": "Offline"}
TYPE_LABELS = {"Authentication": "Uwierzytelnianie", "Offline": "Offline (KOD II)"}
STATUS_LABELS = {
    "Active": "aktywny",
    "Blocked": "zawieszony",
    "Revoked": "unieważniony",
    "Expired": "wygasł",
    None: "nieznany",
}
DEFAULT_MARGIN_DAYS = 30
MAX_SIGNED_REQUEST = 1_000_000  # a signed AuthTokenRequest is a few kB
MAX_MARGIN_DAYS = 365
QC_STATEMENTS = "1.3.6.1.5.5.7.1.3"  # eIDAS qualified certificate statements
CHECK_INTERVAL = timedelta(hours=12)  # how often the background job asks KSeF about a company
RETRY_AFTER = timedelta(minutes=30)  # a failed check (KSeF down, a revoked certificate) is retried then
ROUND_LIMIT = 50  # companies asked about in one background pass (a KSeF login each)

__all__ = [
    "DEFAULT_MARGIN_DAYS",
    "CertificateResult",
    "CertificateState",
    "CertificatesService",
    "KsefCertificateView",
    "RenewalPolicy",
    "certificate_type_of",
    "renewal_plan",
]


# -- pure parts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenewalPolicy:
    """Renew this many days before a certificate ends (``auto_renew``: by the background job)."""

    margin_days: int = DEFAULT_MARGIN_DAYS
    auto_renew: bool = True


@dataclass(frozen=True)
class CertificateState:
    """What the renewal decision needs to know about one certificate."""

    certificate_type: str
    active: bool
    valid_to: datetime | None
    ksef_status: str | None = None


def renewal_plan(
    certificates: Iterable[CertificateState], now: datetime, policy: RenewalPolicy
) -> tuple[CertificateType, ...]:
    """The certificate types to renew now: those whose active certificate ends within the margin.

    A revoked, blocked or already expired certificate is not renewed here: it cannot open the
    session a renewal needs (that takes a new first login), and the health check says so.
    """
    margin = timedelta(days=policy.margin_days)
    due: list[CertificateType] = []
    for kind in TYPES:
        active = [c for c in certificates if c.certificate_type == kind and c.active]
        if not active:
            continue
        current = active[0]
        if current.ksef_status not in (None, "Active") or current.valid_to is None:
            continue
        if now < current.valid_to <= now + margin:
            due.append(kind)
    return tuple(due)


def certificate_type_of(cert: Any) -> CertificateType | None:
    """Authentication or Offline from the X.509 key usage KSeF puts on its certificates.

    KSeF's Authentication certificates carry digitalSignature; Offline ones nonRepudiation only
    (they sign KOD II and cannot log in). None: not recognisable, or a qualified certificate (those
    carry QCStatements and may log in whatever their key usage).
    """
    from cryptography import x509

    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    qualified = any(e.oid.dotted_string == QC_STATEMENTS for e in cert.extensions)
    if qualified:  # a qualified signature or seal (eIDAS QCStatements) is neither KSeF type
        return None
    if usage.digital_signature:
        return "Authentication"
    if usage.content_commitment:
        return "Offline"
    return None


# -- read models --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KsefCertificateView:
    """A KSeF certificate of the company: public facts only (the key never leaves the vault)."""

    id: int
    certificate_type: str  # Authentication | Offline
    serial: str
    subject: str
    valid_from: datetime
    valid_to: datetime  # as KSeF last reported it (KSeF may shorten a certificate)
    fingerprint: str
    active: bool  # the one in use for its type
    ksef_status: str | None  # Active | Blocked | Revoked | Expired, as KSeF last reported it
    checked_at: datetime | None
    replaces_id: int | None
    revoked_at: datetime | None
    added_at: datetime | None

    @property
    def kind(self) -> str:
        return KIND_OF_TYPE.get(self.certificate_type, self.certificate_type)

    @property
    def label(self) -> str:
        return TYPE_LABELS.get(self.certificate_type, self.certificate_type)

    @property
    def status(self) -> str:
        """The status as Fakturnik sees it: KSeF's, or ``Expired`` once ``valid_to`` has passed."""
        if self.ksef_status in (None, "Active") and self.valid_to <= datetime.now(UTC):
            return "Expired"
        return self.ksef_status or "Active"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def days_left(self, now: datetime | None = None) -> int:
        return (self.valid_to - (now or datetime.now(UTC))).days


@dataclass(frozen=True)
class CertificateResult:
    """What one enroll / renew / revoke did; ``message`` is for people (Polish)."""

    company_id: int
    nip: str
    ok: bool
    message: str
    changed: bool = False
    certificates: tuple[KsefCertificateView, ...] = field(default_factory=tuple)


def _pem_pair(credential: CertificateCredential) -> tuple[bytes, Secret]:
    from cryptography.hazmat.primitives import serialization

    cert_pem = credential.certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = credential.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert_pem, Secret(key_pem)


def check_certificate(cert: Any, wanted: CertificateType, now: datetime | None = None) -> None:
    """The right KSeF type for its use and within its validity, or a precise Polish :class:`InputError`."""
    now = now or datetime.now(UTC)
    serial = ksef_serial(cert)
    kind = certificate_type_of(cert)
    if wanted == "Authentication" and kind == "Offline":
        raise InputError(
            f"Certyfikat {serial} to certyfikat KSeF typu Offline: służy tylko do podpisywania kodów QR "
            "(KOD II) i nie loguje do KSeF. Wgraj certyfikat typu Uwierzytelnianie (albo zapisz ten jako "
            "certyfikat Offline).",
            "certificate",
        )
    if wanted == "Offline" and kind != "Offline":
        raise InputError(
            f"Certyfikat {serial} nie jest certyfikatem KSeF typu Offline: KOD II podpisuje tylko certyfikat "
            "Offline (wystaw go: fakturnik credentials enroll --type offline).",
            "certificate",
        )
    if cert.not_valid_after_utc <= now:
        raise InputError(f"Certyfikat {serial} wygasł {cert.not_valid_after_utc:%d.%m.%Y}.", "certificate")
    if cert.not_valid_before_utc > now:
        raise InputError(
            f"Certyfikat {serial} jest ważny dopiero od {cert.not_valid_before_utc:%d.%m.%Y}.", "certificate"
        )


def _refusal(exc: Exception, cert: Any) -> str:
    serial = ksef_serial(cert)
    text = str(exc)
    if "odwołany" in text or "Revoked" in text:
        return f"Certyfikat {serial} jest unieważniony w KSeF: nie można nim logować. Nic nie zapisano."
    if "zawieszony" in text or "Blocked" in text:
        return f"Certyfikat {serial} jest zawieszony w KSeF: nie można nim logować. Nic nie zapisano."
    return f"KSeF nie przyjął logowania certyfikatem {serial}: {text} Nic nie zapisano."


def _ksef_message(exc: Exception) -> str:
    text = str(exc)
    if "25001" in text or "25002" in text:
        return (
            "KSeF wydaje certyfikaty tylko sesji otwartej podpisem (certyfikat KSeF, podpis kwalifikowany, "
            "pieczęć, Profil Zaufany), nie tokenem. Pobierz plik do podpisu (fakturnik credentials request), "
            "podpisz go i przekaż (--signed plik.xml)."
        )
    if "25007" in text:
        return (
            "KSeF: osiągnięto limit aktywnych certyfikatów. Unieważnij niepotrzebny certyfikat "
            "i spróbuj ponownie."
        )
    if "25006" in text:
        return "KSeF: wyczerpano limit wniosków certyfikacyjnych."
    return text


# -- the service --------------------------------------------------------------------------------------


class CertificatesService(Service):
    enrollment_timeout: float = 120.0

    # -- reading ------------------------------------------------------------------------------------

    def list(self, company_id: int) -> builtins.list[KsefCertificateView]:
        """The company's KSeF certificates, newest first (what KSeF last said; see :meth:`refresh`)."""
        with self._tx() as s:
            self._company(s, company_id, Action.COMPANY_VIEW)
        self._backfill(company_id)
        with self._tx() as s:
            rows = self._rows(s, company_id)
            for row in rows:
                s.expunge(row)
        return [self._view(row) for row in rows]

    def policy(self, company_id: int) -> RenewalPolicy:
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            return _policy(s, company.id)

    def set_policy(self, company_id: int, *, margin_days: int, auto_renew: bool = True) -> RenewalPolicy:
        """The renewal margin (1-365 days) and whether the background job renews on its own."""
        if type(margin_days) is not int or not 1 <= margin_days <= MAX_MARGIN_DAYS:
            raise InputError(f"margines odnowienia: od 1 do {MAX_MARGIN_DAYS} dni", "margin_days")
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            row = s.get(CertificatePolicy, company.id)
            if row is None:
                row = CertificatePolicy(company_id=company.id)
                s.add(row)
            row.renewal_margin_days, row.auto_renew = margin_days, bool(auto_renew)
            row.updated_at = datetime.now(UTC)
            self._audit(
                s,
                "certificate.policy",
                company_id=company.id,
                detail={"margin_days": margin_days, "auto_renew": bool(auto_renew)},
            )
            return RenewalPolicy(margin_days, bool(auto_renew))

    def refresh(self, company_id: int) -> builtins.list[KsefCertificateView]:
        """Ask KSeF (with the company's certificate session) for the status and end of each certificate."""
        with self._tx() as s:
            company = self._company(s, company_id, Action.SYNC_RUN)  # asks KSeF and records its answer
            s.expunge(company)
        with self._session(company, None) as (_manager, client):
            self._record_ksef_state(company, client)
        return self.list(company.id)

    # -- the first login ----------------------------------------------------------------------------

    def login_request(self, company_id: int) -> bytes:
        """The unsigned ``AuthTokenRequest`` (a fresh challenge, valid 10 minutes) for the owner to sign.

        For a company with nothing yet, or on a token: the owner signs it elsewhere (qualified
        signature or seal, Profil Zaufany) and passes it to :meth:`enroll` as ``signed_request``.
        """
        from fakturnik.ksef.auth import prepare_signed_request

        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            s.expunge(company)
        transport = self._transport(company)
        try:
            return prepare_signed_request(transport, _context(company))
        finally:
            transport.close()

    # -- a certificate brought in (PKCS#12 or PEM), checked before anything is stored ----------------

    def upload(
        self,
        company_id: int,
        *,
        pkcs12: bytes | None = None,
        certificate_pem: bytes | None = None,
        private_key_pem: bytes | Secret | None = None,
        password: bytes | str | Secret | None = None,
        offline: bool = False,
    ) -> CertificateResult:
        """Store a KSeF certificate the company already has, after every check that can fail.

        The file must open with the password, the key must match, it must be the right KSeF type
        (Authentication to log in, Offline for KOD II) and still valid; an Authentication certificate
        must then log in to KSeF (a revoked or blocked one does not). Any failure: a precise Polish
        error and nothing stored.
        """
        from fakturnik.ksef.credentials import load_pem, load_pkcs12

        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            s.expunge(company)
        secret = key_password(password)
        try:
            if pkcs12 is not None:
                credential = load_pkcs12(pkcs12, secret)
            elif certificate_pem is not None and private_key_pem is not None:
                key = private_key_pem.reveal() if isinstance(private_key_pem, Secret) else private_key_pem
                credential = load_pem(certificate_pem, key, secret)
            else:
                raise InputError("podaj plik PKCS#12 albo certyfikat i klucz (PEM)", "certificate")
        except KsefError as exc:
            field_name = "password" if "hasło" in str(exc) else "certificate"
            raise InputError(str(exc), field_name) from None
        wanted: CertificateType = "Offline" if offline else "Authentication"
        check_certificate(credential.certificate, wanted)
        serial = ksef_serial(credential.certificate)
        with self._tx() as s:
            if s.scalar(
                select(Credential.id).where(Credential.company_id == company.id, Credential.serial == serial)
            ):
                raise InputError(f"Certyfikat {serial} jest już zapisany w tej firmie.", "certificate")
        name = f"company/{company.nip}/{KIND_OF_TYPE[wanted]}/{serial}"
        cert_pem, key_secret = _pem_pair(credential)
        self.ctx.vault.put(name + ".cert", company.nip, cert_pem)
        self.ctx.vault.put(name + ".key", company.nip, key_secret)
        if wanted == "Authentication":
            try:
                self._prove(company, name)
            except KsefError as exc:
                self.ctx.vault.delete(name + ".cert")
                self.ctx.vault.delete(name + ".key")
                raise InputError(_refusal(exc, credential.certificate), "certificate") from None
        from fakturnik.ksef.enrollment import EnrolledCertificate

        enrolled = EnrolledCertificate(ksef_serial(credential.certificate), wanted, credential)
        return self._adopt(company, [enrolled], "upload", "Zapisano certyfikat KSeF", proven=True)

    # -- enroll -------------------------------------------------------------------------------------

    def enroll(
        self,
        company_id: int,
        types: Iterable[str] = TYPES,
        *,
        signed_request: bytes | None = None,
    ) -> CertificateResult:
        """Enroll KSeF certificates (default: Authentication and Offline) for the company.

        The session is the company's own KSeF certificate, or the one opened by ``signed_request``
        (the first login). A new Authentication certificate becomes the login credential once it has
        logged in; a new Offline certificate signs KOD II from then on.
        """
        wanted = self._types(types)
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            s.expunge(company)
        try:
            with self._session(company, signed_request) as (_manager, client):
                enrolled = self._enroll_all(company, client, wanted)
        except KsefError as exc:
            return self._failed(
                company, "enroll", f"Nie udało się uzyskać certyfikatów KSeF: {_ksef_message(exc)}"
            )
        return self._adopt(company, enrolled, "enroll", "Wystawiono certyfikaty KSeF")

    # -- renew --------------------------------------------------------------------------------------

    def renew(self, company_id: int, *, force: bool = False, refresh: bool = True) -> CertificateResult:
        """Renew the certificates that end within the margin (``force``: the active ones anyway).

        The old certificate is kept (valid in KSeF, in the vault) until the new one has logged in.
        """
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            s.expunge(company)
            policy = _policy(s, company.id)
        try:
            with self._session(company, None) as (_manager, client):
                if refresh:
                    self._record_ksef_state(company, client)
                with self._tx() as s:
                    states = [_state(r) for r in self._rows(s, company.id)]
                now = datetime.now(UTC)
                due = (
                    tuple(t for t in TYPES if any(c.certificate_type == t and c.active for c in states))
                    if force
                    else renewal_plan(states, now, policy)
                )
                if not due:
                    return CertificateResult(
                        company.id,
                        company.nip,
                        True,
                        f"Certyfikaty KSeF są ważne dłużej niż {policy.margin_days} dni: nic do odnowienia.",
                        False,
                        tuple(self.list(company.id)),
                    )
                enrolled = self._enroll_all(company, client, due)
        except KsefError as exc:
            return self._failed(
                company, "renew", f"Nie udało się odnowić certyfikatu KSeF: {_ksef_message(exc)}"
            )
        return self._adopt(company, enrolled, "renew", "Odnowiono certyfikaty KSeF")

    def renew_due(
        self, *, now: datetime | None = None, force_check: bool = False, limit: int | None = ROUND_LIMIT
    ) -> builtins.list[CertificateResult]:
        """The background job's one pass: every company (the actor may administer) on its own KSeF
        certificate with ``auto_renew``, asked about at most every :data:`CHECK_INTERVAL` — the longest
        unchecked first, at most ``limit`` per pass (each costs a KSeF login), the rest next time."""
        now = now or datetime.now(UTC)
        epoch = datetime.min.replace(tzinfo=UTC)
        with self._tx() as s:
            ids = [
                cid
                for (cid,) in s.execute(
                    select(Credential.company_id)
                    .where(Credential.kind == "certificate", Credential.active.is_(True))
                    .distinct()
                )
            ]
            due: builtins.list[tuple[datetime, int]] = []
            for cid in sorted(ids):
                if not _policy(s, cid).auto_renew or not self._may(s, cid, Action.COMPANY_ADMIN):
                    continue
                checked = [r.checked_at for r in self._rows(s, cid) if r.active and r.checked_at]
                last = min(checked) if checked else epoch
                if force_check or last <= now - CHECK_INTERVAL:
                    due.append((last, cid))
        todo = [cid for _, cid in sorted(due)][: limit if limit is not None else None]
        results = []
        for cid in todo:  # one company's trouble never stops the round
            try:
                results.append(self.renew(cid))
            except FakturnikError as exc:
                with self._tx() as s:
                    company = s.get(Company, cid)
                    nip = company.nip if company is not None else ""
                results.append(CertificateResult(cid, nip, False, f"Nie odnowiono: {exc}"))
            if not results[-1].ok:  # asked and failed: again in RETRY_AFTER, the others' turn first
                with self._tx() as s:
                    for row in self._rows(s, cid):
                        if row.active:
                            row.checked_at = now - CHECK_INTERVAL + RETRY_AFTER
        return results

    # -- revoke -------------------------------------------------------------------------------------

    def revoke(
        self, company_id: int, serial: str, *, reason: str = "Superseded", signed_request: bytes | None = None
    ) -> CertificateResult:
        """Revoke one of the company's KSeF certificates in KSeF.

        Revoking the active Authentication certificate first switches the company to another one
        that has just logged in (an existing valid one, else a new one enrolled now); if that fails,
        nothing is revoked.
        """
        serial = (serial or "").strip().upper()
        if 0 < len(serial) < 16 and all(c in "0123456789ABCDEF" for c in serial):
            serial = serial.zfill(16)  # as some tools print it, without the leading zeros
        if reason not in ("Unspecified", "Superseded", "KeyCompromise"):
            raise InputError("powód: Unspecified, Superseded albo KeyCompromise", "reason")
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            s.expunge(company)
        self._backfill(company.id)
        with self._tx() as s:
            row = s.scalar(
                select(Credential).where(
                    Credential.company_id == company.id,
                    Credential.kind.in_(tuple(KIND_OF_TYPE.values())),
                    Credential.serial == serial,
                )
            )
            if row is None:
                raise NotFoundError(f"firma nie ma certyfikatu KSeF o numerze {serial}")
            if row.revoked_at is not None:
                raise InputError(f"certyfikat {serial} jest już unieważniony", "serial")
            target_id, target_kind, was_active = row.id, row.kind, row.active
        from fakturnik.ksef import models as m

        try:
            with self._session(company, signed_request) as (_manager, client):
                if (
                    target_kind == "certificate"
                    and was_active
                    and not self._switch_to_other(company, target_id)
                ):
                    adopted = self._adopt(
                        company,
                        self._enroll_all(company, client, ("Authentication",)),
                        "enroll",
                        "Wystawiono nowy certyfikat KSeF w miejsce unieważnianego",
                    )
                    if not adopted.ok:
                        return self._failed(
                            company, "revoke", f"Nie unieważniono certyfikatu {serial}: {adopted.message}"
                        )
                client.revoke_certificate(serial, m.RevokeCertificateRequest(revocationReason=reason))  # type: ignore[arg-type]
        except KsefError as exc:
            return self._failed(
                company, "revoke", f"Nie unieważniono certyfikatu {serial}: {_ksef_message(exc)}"
            )
        self._mark_revoked(company, target_id)
        note = ""
        if target_kind == "offline_certificate" and was_active:
            note = (
                " Firma nie ma teraz certyfikatu Offline do KOD II: wystaw nowy "
                "(credentials enroll --type offline)."
            )
        return CertificateResult(
            company.id,
            company.nip,
            True,
            f"Certyfikat KSeF {serial} unieważniony w KSeF.{note}",
            True,
            tuple(self.list(company.id)),
        )

    # -- internals: sessions ------------------------------------------------------------------------

    def _transport(self, company: Company, **kwargs: Any) -> Transport:
        from fakturnik.ksef.environments import resolve
        from fakturnik.ksef.transport import Transport

        env = resolve(company.base_url or company.environment)
        return Transport(env, timeout=self.ctx.settings.http_timeout, **kwargs)

    @contextlib.contextmanager
    def _session(
        self, company: Company, signed_request: bytes | None
    ) -> Iterator[tuple[AuthManager, KsefClient]]:
        """A session that may manage certificates: the signed file's, or the company's KSeF certificate."""
        from fakturnik.ksef.auth import AuthManager
        from fakturnik.ksef.client import KsefClient

        if signed_request is not None and len(signed_request) > MAX_SIGNED_REQUEST:
            raise InputError("podpisany plik jest za duży (AuthTokenRequest ma kilka kB)", "signed_request")
        transport = self._transport(company)
        try:
            if signed_request is not None:
                manager = AuthManager(transport, _context(company), None)
                try:
                    manager.finish_with_signed_request(signed_request)
                except KsefError as exc:
                    raise InputError(
                        f"podpisany plik nie otworzył sesji KSeF: {exc}", "signed_request"
                    ) from None
            else:
                manager = self._certificate_manager(company, transport)
            client = KsefClient(manager.api)
            try:
                yield manager, client
            finally:
                with contextlib.suppress(KsefError):
                    manager.logout()
        finally:
            transport.close()

    def _certificate_manager(self, company: Company, transport: Transport) -> AuthManager:
        from fakturnik.ksef.auth import AuthManager

        with self._tx() as s:
            own = repo.active_credential(s, company.id, "certificate")  # the company's own, whatever logs in
            cred = own or repo.active_credential(s, company.id)
            kind, name = (cred.kind, cred.secret_name) if cred is not None else (None, "")
        if kind != "certificate":
            what = "token KSeF" if kind == "ksef_token" else ("nic" if kind is None else kind)
            raise InputError(
                f"Firma loguje się do KSeF: {what}. Certyfikaty KSeF wystawia tylko sesja otwarta "
                "certyfikatem albo podpisem: pobierz plik do podpisu (fakturnik credentials request), "
                "podpisz go i przekaż go z --signed.",
                "credential",
            )
        return AuthManager.with_certificate(transport, _context(company), self._load(name))

    def _load(self, name: str) -> CertificateCredential:
        from fakturnik.ksef.credentials import load_pem

        return load_pem(
            self.ctx.vault.get(name + ".cert").reveal(), self.ctx.vault.get(name + ".key").reveal()
        )

    def _prove(self, company: Company, name: str) -> None:
        """A full KSeF login with the certificate as the vault holds it (the engine's very path)."""
        from fakturnik.ksef.auth import AuthManager

        transport = self._transport(company, max_retries=1)
        try:
            manager = AuthManager.with_certificate(transport, _context(company), self._load(name))
            manager.login()
            with contextlib.suppress(KsefError):
                manager.logout()
        finally:
            transport.close()

    # -- internals: enrolling and adopting ----------------------------------------------------------

    @staticmethod
    def _types(types: Iterable[str]) -> tuple[CertificateType, ...]:
        out: builtins.list[CertificateType] = []
        aliases: dict[str, CertificateType] = {
            "authentication": "Authentication",
            "auth": "Authentication",
            "offline": "Offline",
        }
        for t in types:
            kind = aliases.get(str(t).strip().lower())
            if kind is None:
                raise InputError(
                    f"nieznany rodzaj certyfikatu KSeF: {t} (Authentication albo Offline)", "type"
                )
            if kind not in out:
                out.append(kind)
        if not out:
            raise InputError("podaj rodzaj certyfikatu: Authentication albo Offline", "type")
        return tuple(out)

    def _enroll_all(
        self, company: Company, client: KsefClient, types: Iterable[CertificateType]
    ) -> builtins.list[EnrolledCertificate]:
        from fakturnik.ksef.enrollment import enroll_certificate
        from fakturnik.ksef.sessions import Poller

        poller = Poller(timeout=self.enrollment_timeout, initial=0.1)
        stamp = datetime.now(UTC).strftime("%Y%m%d %H%M")
        out = []
        for kind in types:
            name = f"Fakturnik {company.nip} {'offline ' if kind == 'Offline' else ''}{stamp}"
            out.append(enroll_certificate(client, name, kind, poller=poller))
        return out

    def _adopt(
        self,
        company: Company,
        enrolled: builtins.list[EnrolledCertificate],
        action: str,
        done: str,
        *,
        proven: bool = False,
    ) -> CertificateResult:
        """Store the new certificates (inactive), prove the Authentication one, then switch to them."""
        nip = company.nip
        stored: builtins.list[tuple[int, EnrolledCertificate, str]] = []
        for e in enrolled:  # the vault first (its own transactions), then the rows pointing at it
            name = f"company/{nip}/{KIND_OF_TYPE[e.certificate_type]}/{e.serial_number}"
            cert_pem, key = _pem_pair(e.credential)
            self.ctx.vault.put(name + ".cert", nip, cert_pem)
            self.ctx.vault.put(name + ".key", nip, key)
        with self._tx() as s:
            for e in enrolled:
                kind = KIND_OF_TYPE[e.certificate_type]
                name = f"company/{nip}/{kind}/{e.serial_number}"
                current = repo.active_credential(s, company.id, kind)
                cert = e.credential.certificate
                row = Credential(
                    company_id=company.id,
                    kind=kind,
                    secret_name=name,
                    active=False,
                    serial=e.serial_number,
                    certificate_type=e.certificate_type,
                    valid_from=cert.not_valid_before_utc,
                    valid_to=cert.not_valid_after_utc,
                    ksef_status="Active",
                    checked_at=datetime.now(UTC),
                    replaces_id=current.id if current is not None else None,
                )
                s.add(row)
                s.flush()
                stored.append((row.id, e, name))
        for row_id, e, name in stored:
            if e.certificate_type != "Authentication" or proven:
                continue
            try:
                self._prove(company, name)
            except KsefError as exc:
                with self._tx() as s:
                    unproven = s.get(Credential, row_id)
                    assert unproven is not None
                    unproven.ksef_status = "Unproven"
                return self._failed(
                    company,
                    action,
                    f"Nowy certyfikat KSeF {e.serial_number} nie zalogował się próbnie: firma zostaje przy "
                    f"dotychczasowych danych logowania. {exc}",
                )
        with self._tx() as s:
            from fakturnik.engine.companies import KSEF_TOKEN

            for row_id, e, _name in stored:
                self._activate(s, company.id, row_id)
                if e.certificate_type == "Authentication":
                    for token in s.scalars(
                        select(Credential).where(
                            Credential.company_id == company.id,
                            Credential.kind == KSEF_TOKEN,
                            Credential.active.is_(True),
                        )
                    ):
                        token.active = False  # kept in the vault; KSeF tokens end on 31.12.2026 anyway
                    self._profile_info(s, company.id, e.credential)
            self._audit(
                s,
                f"certificate.{action}",
                company_id=company.id,
                detail={
                    "serials": [e.serial_number for _, e, _ in stored],
                    "types": [e.certificate_type for _, e, _ in stored],
                },
            )
        serials = ", ".join(f"{TYPE_LABELS[e.certificate_type]} {e.serial_number}" for _, e, _ in stored)
        return CertificateResult(
            company.id,
            nip,
            True,
            f"{done}: {serials}."
            + (
                " Logowanie nowym certyfikatem udane; poprzednie zostały w sejfie."
                if any(e.certificate_type == "Authentication" for _, e, _ in stored)
                else ""
            ),
            True,
            tuple(self.list(company.id)),
        )

    @staticmethod
    def _activate(s: Any, company_id: int, row_id: int) -> None:
        row = s.get(Credential, row_id)
        assert row is not None
        for other in s.scalars(
            select(Credential).where(Credential.company_id == company_id, Credential.kind == row.kind)
        ):
            other.active = other.id == row_id

    @staticmethod
    def _profile_info(s: Any, company_id: int, credential: CertificateCredential) -> None:
        profile = s.get(CompanyProfile, company_id)
        if profile is not None:
            profile.credential_info = credential_info(credential)

    def _switch_to_other(self, company: Company, leaving_id: int) -> bool:
        """Switch the login to another valid Authentication certificate that logs in now; False: none."""
        now = datetime.now(UTC)
        with self._tx() as s:
            candidates = [
                (r.id, r.secret_name)
                for r in self._rows(s, company.id)
                if r.kind == "certificate"
                and r.id != leaving_id
                and r.revoked_at is None
                and r.ksef_status in (None, "Active")
                and (r.valid_to is None or r.valid_to > now)
            ]
        for row_id, name in candidates:
            try:
                self._prove(company, name)
            except KsefError:
                continue
            with self._tx() as s:
                self._activate(s, company.id, row_id)
                self._audit(s, "certificate.switched", company_id=company.id, detail={"to": row_id})
            return True
        return False

    def _mark_revoked(self, company: Company, row_id: int) -> None:
        with self._tx() as s:
            row = s.get(Credential, row_id)
            assert row is not None
            row.revoked_at, row.ksef_status, row.active = datetime.now(UTC), "Revoked", False
            self._audit(s, "certificate.revoked", company_id=company.id, detail={"serial": row.serial})

    def _record_ksef_state(self, company: Company, client: KsefClient) -> None:
        """KSeF's status and validTo of each certificate, onto the rows (matched by serial)."""
        from fakturnik.ksef import models as m
        from fakturnik.ksef.client import Page

        seen: dict[str, Any] = {}
        offset = 0
        while True:
            page = client.query_certificates(
                m.QueryCertificatesRequest(), Page(page_offset=offset, page_size=50)
            )
            for item in page.certificates:
                seen[item.certificateSerialNumber] = item
            if not page.hasMore or offset > 20:
                break
            offset += 1
        now = datetime.now(UTC)
        self._backfill(company.id)
        with self._tx() as s:
            for row in self._rows(s, company.id):
                found = seen.get(row.serial or "")
                if found is None:
                    continue
                item = found
                row.ksef_status = str(item.status)
                valid_to = item.validTo if item.validTo.tzinfo else item.validTo.replace(tzinfo=UTC)
                row.valid_to = valid_to
                row.checked_at = now

    # -- internals: rows ----------------------------------------------------------------------------

    @staticmethod
    def _rows(s: Any, company_id: int) -> builtins.list[Credential]:
        return builtins.list(
            s.scalars(
                select(Credential)
                .where(Credential.company_id == company_id, Credential.kind.in_(tuple(KIND_OF_TYPE.values())))
                .order_by(Credential.id.desc())
            )
        )

    def _backfill(self, company_id: int) -> None:
        """Rows stored without certificate metadata (uploaded by hand, older versions): from the vault."""
        with self._tx() as s:
            missing = [
                (r.id, r.secret_name)
                for r in self._rows(s, company_id)
                if r.serial is None or r.valid_to is None
            ]
        if not missing:
            return
        facts = {row_id: self._facts(name) for row_id, name in missing}  # vault reads outside the transaction
        with self._tx() as s:
            for row in self._rows(s, company_id):
                if row.id in facts:
                    row.serial, row.valid_from, row.valid_to = facts[row.id]
                    row.certificate_type = row.certificate_type or TYPE_OF_KIND.get(row.kind)

    def _facts(self, name: str) -> tuple[str, datetime, datetime]:
        """Serial and validity of a certificate in the vault (rows stored before this metadata existed)."""
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(self.ctx.vault.get(name + ".cert").reveal())
        return ksef_serial(cert), cert.not_valid_before_utc, cert.not_valid_after_utc

    def _view(self, row: Credential) -> KsefCertificateView:
        from cryptography import x509

        from fakturnik.ksef.crypto import certificate_fingerprint

        cert = x509.load_pem_x509_certificate(self.ctx.vault.get(row.secret_name + ".cert").reveal())
        return project(
            KsefCertificateView,
            row,
            certificate_type=row.certificate_type or TYPE_OF_KIND.get(row.kind) or row.kind,
            serial=row.serial or ksef_serial(cert),
            subject=cert.subject.rfc4514_string(),
            valid_from=row.valid_from or cert.not_valid_before_utc,
            valid_to=row.valid_to or cert.not_valid_after_utc,
            fingerprint=certificate_fingerprint(cert),
            added_at=row.created_at,
        )

    def _may(self, s: Any, company_id: int, action: Action) -> bool:
        from fakturnik.app.access import authorize
        from fakturnik.errors import PermissionDeniedError

        try:
            authorize(s, self.actor, company_id, action)
        except (PermissionDeniedError, NotFoundError):
            return False
        return True

    def _failed(self, company: Company, action: str, message: str) -> CertificateResult:
        with self._tx() as s:
            self._audit(s, f"certificate.{action}_failed", company_id=company.id, detail={"reason": message})
        return CertificateResult(company.id, company.nip, False, message, False, ())


def _context(company: Company) -> ContextIdentifier:
    from fakturnik.ksef.context import ContextIdentifier

    return ContextIdentifier(company.context_type, company.context_value)  # type: ignore[arg-type]


def _policy(s: Any, company_id: int) -> RenewalPolicy:
    row = s.get(CertificatePolicy, company_id)
    if row is None:
        return RenewalPolicy()
    return RenewalPolicy(row.renewal_margin_days, row.auto_renew)


def _state(row: Credential) -> CertificateState:
    return CertificateState(
        row.certificate_type or TYPE_OF_KIND.get(row.kind) or row.kind,
        row.active,
        row.valid_to,
        row.ksef_status,
    )
