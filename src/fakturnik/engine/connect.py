"""The engine's way in to KSeF: a gateway for a company, logged in with its credential from the vault.

With :mod:`fakturnik.engine.gateway` this is the only engine module that talks to ``fakturnik.ksef``
beyond its pure parts (hashes, environments); the import contract (``.importlinter``) holds it.

How a credential logs in is one table, :data:`LOGINS` (credential kind → login function): a KSeF
token, the company's KSeF certificate, the accounting office's certificate (``office``: the office
company's *active* certificate row, read at login, so clients follow the office's renewals and no
secret is copied), a co-worker's own certificate (``person_certificate``). Every login is made in
the company's own context. A new kind (the 2027 ``ksef_token_rev2``) is one more row.

Every :class:`AuthManager` made here is remembered (weakly) by its context, so that after Fakturnik
revokes a right, :func:`drop_logins` makes the affected contexts log in afresh: KSeF fixes a
subject's rights in the access token when it is issued.

Gateways are per *login*: a company and the credential its entries are sent with
(:func:`default_gateway` ``credential_id``; None = the company's login credential, else a co-worker's
own certificate named by the outbox, :mod:`fakturnik.engine.issuers`). Each has its own
:class:`AuthManager`; the throttle stays the deployment's, keyed by context (KSeF's limits are per
context and IP, not per person).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fakturnik.engine.companies import CERTIFICATE, KSEF_TOKEN, OFFICE, PERSON_CERTIFICATE
from fakturnik.engine.context import EngineContext
from fakturnik.engine.gateway import KsefGateway
from fakturnik.engine.issuers import missing_note, sending_credential
from fakturnik.errors import EngineError
from fakturnik.ksef.auth import Authenticator, AuthManager, AuthOperation, CertificateAuthenticator
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.credentials import CertificateCredential, load_pem
from fakturnik.ksef.environments import resolve
from fakturnik.ksef.throttle import Throttle, throttle_for
from fakturnik.ksef.transport import Transport
from fakturnik.store import repo
from fakturnik.store.models import Company, Credential
from fakturnik.store.projection import project
from fakturnik.store.throttle_books import STALE_AFTER, share_books_through, stop_sharing_books

__all__ = [
    "LOGINS",
    "LoginCredential",
    "auth_manager",
    "default_gateway",
    "drop_logins",
    "gateway_throttle",
    "login_credential",
    "offline_credential",
    "own_credential",
    "share_throttle_books",
    "unshare_throttle_books",
]


@dataclass(frozen=True)
class LoginCredential:
    """A credential row as plain data (no ORM object leaves the transaction)."""

    id: int
    company_id: int
    kind: str
    secret_name: str
    office_company_id: int | None = None
    owner_user_id: int | None = None

    @classmethod
    def of(cls, row: Credential) -> LoginCredential:
        return project(cls, row)


LoginFunction = Callable[[EngineContext, LoginCredential, ContextIdentifier, Transport], AuthManager]


def _token_login(
    ctx: EngineContext, cred: LoginCredential, context: ContextIdentifier, transport: Transport
) -> AuthManager:
    return AuthManager.with_ksef_token(transport, context, ctx.vault.get(cred.secret_name).reveal_text())


def _vault_certificate(ctx: EngineContext, name: str) -> CertificateCredential:
    return load_pem(ctx.vault.get(name + ".cert").reveal(), ctx.vault.get(name + ".key").reveal())


def _certificate_login(
    ctx: EngineContext, cred: LoginCredential, context: ContextIdentifier, transport: Transport
) -> AuthManager:
    return AuthManager.with_certificate(transport, context, _vault_certificate(ctx, cred.secret_name))


def office_certificate_name(ctx: EngineContext, office_company_id: int | None) -> str:
    """The vault name of the office company's active certificate (what its clients log in with)."""
    with ctx.db.transaction() as s:
        office = s.get(Company, office_company_id) if office_company_id is not None else None
        if office is None:
            raise EngineError("biuro rachunkowe wskazane w danych uwierzytelniających nie istnieje")
        row = repo.active_credential(s, office.id, CERTIFICATE)
        if row is None:
            raise EngineError(f"biuro rachunkowe {office.nip} nie ma aktywnego certyfikatu KSeF")
        return row.secret_name


class _OfficeCertificate:
    """Signs each login with the office's certificate *as it is at that login* (renewals apply)."""

    def __init__(self, ctx: EngineContext, office_company_id: int | None) -> None:
        self._ctx = ctx
        self._office = office_company_id
        self._name = office_certificate_name(ctx, office_company_id)  # fails early when there is none
        self._credential = _vault_certificate(ctx, self._name)

    def start(self, transport: Transport, context: ContextIdentifier) -> AuthOperation:
        name = office_certificate_name(self._ctx, self._office)
        if name != self._name:
            self._name, self._credential = name, _vault_certificate(self._ctx, name)
        return CertificateAuthenticator(self._credential).start(transport, context)

    def __repr__(self) -> str:
        return f"_OfficeCertificate(office={self._office})"


def _office_login(
    ctx: EngineContext, cred: LoginCredential, context: ContextIdentifier, transport: Transport
) -> AuthManager:
    return AuthManager(transport, context, _OfficeCertificate(ctx, cred.office_company_id))


LOGINS: dict[str, LoginFunction] = {
    KSEF_TOKEN: _token_login,
    CERTIFICATE: _certificate_login,
    OFFICE: _office_login,
    PERSON_CERTIFICATE: _certificate_login,
}

_live: weakref.WeakSet[AuthManager] = weakref.WeakSet()
_live_lock = threading.Lock()


def login_credential(
    ctx: EngineContext, company_id: int, credential_id: int | None = None
) -> LoginCredential | None:
    """The company's login credential, or (``credential_id``) the one the outbox names for an entry
    as it is now (a renewed certificate of the same person follows); an issuer's credential that is
    gone raises :class:`EngineError` with the Polish note naming the person."""
    with ctx.db.transaction() as s:
        if credential_id is None:
            row = repo.active_credential(s, company_id)
            return LoginCredential.of(row) if row is not None else None
        row = sending_credential(s, credential_id)
        if row is None or row.company_id != company_id:
            raise EngineError(missing_note(s, credential_id))
        return LoginCredential.of(row)


# the company's own credentials (what its owner manages permissions with), newest first
OWN_KINDS = (CERTIFICATE, KSEF_TOKEN)


def own_credential(ctx: EngineContext, company_id: int) -> LoginCredential | None:
    """The company's own login credential (its certificate or token), whatever it sends with."""
    with ctx.db.transaction() as s:
        rows = [repo.active_credential(s, company_id, kind) for kind in OWN_KINDS]
        found = [r for r in rows if r is not None]
        if not found:
            return None
        return LoginCredential.of(max(found, key=lambda r: r.id))


def auth_manager(
    ctx: EngineContext, company: Company, transport: Transport, credential: LoginCredential | None = None
) -> AuthManager:
    """The client's background authentication for the company, fed from the vault.

    ``credential``: log in with this one instead of the company's login credential (e.g. its own
    certificate to manage permissions while it sends with its office's).
    """
    cred = credential or login_credential(ctx, company.id)
    if cred is None:
        raise EngineError(f"firma {company.nip} nie ma danych uwierzytelniających KSeF")
    login = LOGINS.get(cred.kind)
    if login is None:
        raise EngineError(f"nieobsługiwany rodzaj danych uwierzytelniających: {cred.kind}")
    context = ContextIdentifier(company.context_type, company.context_value)  # type: ignore[arg-type]
    manager = login(ctx, cred, context, transport)
    with _live_lock:
        _live.add(manager)
    return manager


def drop_logins(context_keys: Iterable[str]) -> int:
    """Forget the tokens of every login of this process in these contexts (``"Nip:5265877635"``).

    Their next call logs in again, so KSeF decides with the rights as they are now. Returns how many
    logins were dropped.
    """
    keys = set(context_keys)
    with _live_lock:
        managers = [m for m in _live if m.context.key in keys]
    for manager in managers:
        manager.forget()
    return len(managers)


def share_throttle_books(ctx: EngineContext) -> None:
    """When the store is PostgreSQL, every throttle of this process keeps its books in it from now on
    (also the transports the application core makes itself); idempotent."""
    if ctx.settings.throttle and ctx.db.dialect == "postgresql":
        share_books_through(ctx.db.url, stale_after=max(STALE_AFTER, 4 * ctx.settings.http_timeout))


def unshare_throttle_books(ctx: EngineContext) -> None:
    """Undo :func:`share_throttle_books` when the store closes (nothing if other books are in use)."""
    if ctx.db.dialect == "postgresql":
        stop_sharing_books(ctx.db.url)


def gateway_throttle(ctx: EngineContext, api_url: str) -> Throttle:
    """The process's throttle of one KSeF deployment, its books where every worker of the store sees
    them: in the store when it is PostgreSQL (:mod:`fakturnik.store.throttle_books`; workers on several
    machines behind one IP then share KSeF's limits), else in this machine's file."""
    if not ctx.settings.throttle:
        return Throttle.unlimited()
    share_throttle_books(ctx)
    throttle = throttle_for(api_url)
    if ctx.settings.throttle_share < 1.0:
        throttle.share = min(throttle.share, ctx.settings.throttle_share)
    return throttle


class _Following:
    """Each full login with the credential active at that moment (d16cred): the open session goes on
    until KSeF ends it, then a renewed certificate (or token → certificate) takes over, not the old one."""

    def __init__(self, current: Callable[[], Authenticator | None]) -> None:
        self._current = current

    def start(self, transport: Transport, context: ContextIdentifier) -> AuthOperation:
        authenticator = self._current()
        if authenticator is None:
            raise EngineError("dane logowania firmy wymagają podpisanego pliku (brak logowania w tle)")
        return authenticator.start(transport, context)


def default_gateway(ctx: EngineContext, company: Company, credential_id: int | None = None) -> KsefGateway:
    """A gateway for the company's environment, logged in with its credential from the vault
    (``credential_id``: with the credential the outbox names, an issuer's own certificate)."""
    env = resolve(company.base_url or company.environment)
    throttle = gateway_throttle(ctx, env.api_url)
    gateway = KsefGateway(env, None, timeout=ctx.settings.http_timeout, throttle=throttle)

    def current() -> LoginCredential | None:
        return login_credential(ctx, company.id, credential_id)

    manager = auth_manager(ctx, company, gateway.transport, current())
    # later full logins take the credential active then (renewals, token → certificate: d16cred;
    # the issuer's renewed certificate: c16)
    if manager.authenticator is not None:
        manager.authenticator = _Following(
            lambda: auth_manager(ctx, company, gateway.transport, current()).authenticator
        )
    gateway.set_tokens(manager)
    return gateway


def offline_credential(ctx: EngineContext, company: Company) -> CertificateCredential | None:
    """The company's KSeF Offline certificate with its key (what KOD II is signed with), if it has one."""
    from fakturnik.engine.companies import OFFLINE_CERTIFICATE

    with ctx.db.transaction() as s:
        cred = repo.active_credential(s, company.id, OFFLINE_CERTIFICATE)
        name = cred.secret_name if cred is not None else None
    if name is None:
        return None
    return _vault_certificate(ctx, name)
