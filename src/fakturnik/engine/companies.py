"""Companies (KSeF contexts) and their credentials, kept in the vault."""

from __future__ import annotations

from fakturnik.engine.context import EngineContext
from fakturnik.errors import EngineError
from fakturnik.ksef.environments import resolve
from fakturnik.store import repo
from fakturnik.store.models import Company
from fakturnik.vault import Secret

KSEF_TOKEN = "ksef_token"  # noqa: S105 - a credential kind, not a secret


def secret_name(nip: str, kind: str) -> str:
    return f"company/{nip}/{kind}"


def add_company(
    ctx: EngineContext,
    *,
    nip: str,
    name: str = "",
    environment: str = "local",
    base_url: str | None = None,
    ksef_token: Secret | None = None,
    context_type: str = "Nip",
    context_value: str | None = None,
    actor: str = "cli",
) -> int:
    """Register a company; its KSeF token (if given) goes to the vault, the DB keeps only a reference."""
    env = resolve(base_url or environment)
    with ctx.db.transaction() as s:
        company = repo.add_company(
            s,
            nip=nip,
            name=name,
            environment=env.name,
            base_url=env.api_url,
            context_type=context_type,
            context_value=context_value or nip,
        )
        company_id = company.id
    if ksef_token is not None:
        set_ksef_token(ctx, nip, ksef_token, actor=actor)
    return company_id


def set_ksef_token(ctx: EngineContext, nip: str, token: Secret, *, actor: str = "cli") -> None:
    name = secret_name(nip, KSEF_TOKEN)
    ctx.vault.put(name, nip, token)
    with ctx.db.transaction() as s:
        company = repo.company_by_nip(s, nip)
        repo.add_credential(s, company, KSEF_TOKEN, name)
        repo.audit(s, actor, "credential.set", company_id=company.id, detail={"kind": KSEF_TOKEN})


def credential_for(ctx: EngineContext, company: Company) -> tuple[str, Secret]:
    with ctx.db.transaction() as s:
        cred = repo.active_credential(s, company.id)
        if cred is None:
            raise EngineError(f"firma {company.nip} nie ma danych uwierzytelniających KSeF")
        kind, name = cred.kind, cred.secret_name
    return kind, ctx.vault.get(name)
