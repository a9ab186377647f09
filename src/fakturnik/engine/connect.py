"""The engine's way in to KSeF: a gateway for a company, logged in with its credential from the vault.

With :mod:`fakturnik.engine.gateway` this is the only engine module that talks to ``fakturnik.ksef``
beyond its pure parts (hashes, environments); the import contract (``.importlinter``) holds it.
"""

from __future__ import annotations

from fakturnik.engine.companies import CERTIFICATE, KSEF_TOKEN
from fakturnik.engine.context import EngineContext
from fakturnik.engine.gateway import KsefGateway
from fakturnik.errors import EngineError
from fakturnik.ksef.auth import AuthManager
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.credentials import CertificateCredential, load_pem
from fakturnik.ksef.environments import resolve
from fakturnik.ksef.throttle import Throttle, throttle_for
from fakturnik.ksef.transport import Transport
from fakturnik.store import repo
from fakturnik.store.models import Company
from fakturnik.store.throttle_books import STALE_AFTER, share_books_through, stop_sharing_books

__all__ = [
    "auth_manager",
    "default_gateway",
    "gateway_throttle",
    "offline_credential",
    "share_throttle_books",
    "unshare_throttle_books",
]


def auth_manager(ctx: EngineContext, company: Company, transport: Transport) -> AuthManager:
    """The client's background authentication for the company, fed from the vault."""
    with ctx.db.transaction() as s:
        cred = repo.active_credential(s, company.id)
        if cred is None:
            raise EngineError(f"firma {company.nip} nie ma danych uwierzytelniających KSeF")
        kind, name = cred.kind, cred.secret_name
    context = ContextIdentifier(company.context_type, company.context_value)  # type: ignore[arg-type]
    if kind == KSEF_TOKEN:
        return AuthManager.with_ksef_token(transport, context, ctx.vault.get(name).reveal_text())
    if kind == CERTIFICATE:
        credential = load_pem(ctx.vault.get(name + ".cert").reveal(), ctx.vault.get(name + ".key").reveal())
        return AuthManager.with_certificate(transport, context, credential)
    raise EngineError(f"nieobsługiwany rodzaj danych uwierzytelniających: {kind}")


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


def default_gateway(ctx: EngineContext, company: Company) -> KsefGateway:
    """A gateway for the company's environment, logged in with its credential from the vault."""
    env = resolve(company.base_url or company.environment)
    throttle = gateway_throttle(ctx, env.api_url)
    gateway = KsefGateway(env, None, timeout=ctx.settings.http_timeout, throttle=throttle)
    gateway.set_tokens(auth_manager(ctx, company, gateway.transport))
    return gateway


def offline_credential(ctx: EngineContext, company: Company) -> CertificateCredential | None:
    """The company's KSeF Offline certificate with its key (what KOD II is signed with), if it has one."""
    from fakturnik.engine.companies import OFFLINE_CERTIFICATE

    with ctx.db.transaction() as s:
        cred = repo.active_credential(s, company.id, OFFLINE_CERTIFICATE)
        name = cred.secret_name if cred is not None else None
    if name is None:
        return None
    return load_pem(ctx.vault.get(name + ".cert").reveal(), ctx.vault.get(name + ".key").reveal())
