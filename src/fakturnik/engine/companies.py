"""Companies (KSeF contexts) and their credentials, kept in the vault."""

from __future__ import annotations

from fakturnik.engine.context import EngineContext
from fakturnik.errors import EngineError
from fakturnik.ksef.environments import resolve
from fakturnik.store import repo
from fakturnik.store.models import Company
from fakturnik.vault import Secret

KSEF_TOKEN = "ksef_token"  # noqa: S105 - a credential kind, not a secret
CERTIFICATE = "certificate"
OFFLINE_CERTIFICATE = "offline_certificate"  # signs KOD II of offline invoices, never logs in
# the accounting office's certificate, in this company's context (``office_company_id``, no secret)
OFFICE = "office"
PERSON_CERTIFICATE = "person_certificate"  # a co-worker's own KSeF certificate (``owner_user_id``)


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
            context_value=context_value,
            actor=actor,
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


def set_certificate(
    ctx: EngineContext,
    nip: str,
    certificate_pem: bytes,
    private_key: Secret,
    password: Secret | None = None,
    *,
    actor: str = "cli",
    kind: str = CERTIFICATE,
) -> None:
    """Store a KSeF (or qualified) certificate and its private key in the vault, checked first.

    ``kind=OFFLINE_CERTIFICATE`` stores the company's KSeF Offline certificate (for KOD II) beside
    its login credential instead of replacing it.
    """
    from cryptography.hazmat.primitives import serialization

    from fakturnik.ksef.credentials import load_pem

    credential = load_pem(certificate_pem, private_key.reveal(), password.reveal() if password else None)
    key_pem = credential.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    name = secret_name(nip, kind)
    ctx.vault.put(name + ".cert", nip, certificate_pem)
    ctx.vault.put(name + ".key", nip, Secret(key_pem))
    with ctx.db.transaction() as s:
        company = repo.company_by_nip(s, nip)
        repo.add_credential(s, company, kind, name)
        repo.audit(
            s,
            actor,
            "credential.set",
            company_id=company.id,
            detail={"kind": kind, "sha256": credential.fingerprint},
        )


def credential_for(ctx: EngineContext, company: Company) -> tuple[str, Secret]:
    with ctx.db.transaction() as s:
        cred = repo.active_credential(s, company.id)
        if cred is None:
            raise EngineError(f"firma {company.nip} nie ma danych uwierzytelniających KSeF")
        kind, name = cred.kind, cred.secret_name
    return kind, ctx.vault.get(name)
