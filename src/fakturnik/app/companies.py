"""Companies (KSeF contexts): add, configure the KSeF environment and credentials, list.

Credentials go to the vault (encrypted); the database keeps a pointer and a summary (kind, subject,
serial, expiry), which is all that is ever returned.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fakturnik.app.access import Action, Role
from fakturnik.app.certificate_info import credential_info
from fakturnik.app.credentials import key_password
from fakturnik.app.service import Service
from fakturnik.app.views import CompanyView, CredentialInfo
from fakturnik.errors import ConflictError, FakturnikError, InputError, PermissionDeniedError
from fakturnik.store import repo
from fakturnik.store.models import Company, CompanyProfile, Membership
from fakturnik.vault import Secret

if TYPE_CHECKING:
    from fakturnik.simulator.server import SimulatorServer

STRICTNESS = ("all", "ksef")  # fa3.authority.Strictness

ENVIRONMENTS = ("local", "test", "demo", "prod")


def _valid_nip(nip: str) -> str:
    from stdnum.pl import nip as stdnip

    value = (nip or "").replace("-", "").replace(" ", "").strip()
    if not (len(value) == 10 and value.isdigit()):
        raise InputError("NIP musi mieć 10 cyfr", "nip")
    if not stdnip.is_valid(value):
        raise InputError("NIP ma błędną cyfrę kontrolną", "nip")
    return value


def _credential_info(
    profile: CompanyProfile | None, kind: str | None, added: datetime | None
) -> CredentialInfo | None:
    if kind is None:
        return None
    info: dict[str, Any] = dict(profile.credential_info) if profile is not None else {}
    not_after = info.get("not_after")
    return CredentialInfo(
        kind=kind,
        subject=info.get("subject"),
        serial=info.get("serial"),
        not_after=datetime.fromisoformat(not_after) if not_after else None,
        fingerprint=info.get("fingerprint"),
        added_at=added,
    )


def company_view(s: Session, company: Company, role: str | None = None) -> CompanyView:
    profile = s.get(CompanyProfile, company.id)
    cred = repo.active_credential(s, company.id)
    return CompanyView(
        id=company.id,
        nip=company.nip,
        name=company.name,
        environment=company.environment,
        api_url=company.base_url or "",
        context_type=company.context_type,
        context_value=company.context_value,
        credential=_credential_info(profile, cred.kind if cred else None, cred.created_at if cred else None),
        created_at=company.created_at,
        role=role,
        address=profile.address if profile else "",
        email=profile.email if profile else "",
        bank_account=profile.bank_account if profile else "",
        strictness=company.issue_strictness or "all",
    )


def simulator_token(server: SimulatorServer, nip: str, description: str = "Fakturnik") -> str:
    """A KSeF token (invoices: write and read) from a simulator, created as the company's owner would."""
    import httpx

    from fakturnik.simulator.mint import mint_session

    owner = mint_session(
        server.sim, context_type="Nip", context_value=nip, subject_type="Nip", subject_value=nip
    )
    r = httpx.post(
        server.base_url + "/tokens",
        json={"permissions": ["InvoiceWrite", "InvoiceRead"], "description": description},
        headers={"Authorization": f"Bearer {owner['accessToken']}"},
        timeout=10,
    )
    r.raise_for_status()
    token: str = r.json()["token"]
    return token


class CompaniesService(Service):
    def add(
        self,
        nip: str,
        name: str = "",
        environment: str = "test",
        base_url: str | None = None,
        *,
        address: str = "",
        email: str = "",
        bank_account: str = "",
        ksef_token: str | None = None,
    ) -> CompanyView:
        """Register a company (a KSeF context by NIP). A user adding it becomes its owner.

        ``environment``: ``local`` (the embedded simulator, when open with ``simulator=True``, else
        ``base_url``), ``test``, ``demo``, ``prod``; ``base_url`` points anywhere else. With the
        embedded simulator and no credential given, the company gets a KSeF token from it.
        """
        if self.actor.kind == "api_key":
            raise PermissionDeniedError("klucz API nie może zakładać firm")
        nip = _valid_nip(nip)
        api = self._api_base(environment, base_url)
        from fakturnik.ksef.environments import resolve

        try:
            env = resolve(api or environment)
        except FakturnikError as exc:
            raise InputError(str(exc), "environment") from None
        try:
            with self._tx() as s:
                company = repo.add_company(
                    s,
                    nip=nip,
                    name=name.strip()[:512],
                    environment=env.name,
                    base_url=env.api_url,
                    actor=self.actor.label,
                )
                s.add(
                    CompanyProfile(
                        company_id=company.id,
                        address=address,
                        email=email,
                        bank_account=bank_account,
                        credential_info={},
                    )
                )
                if self.actor.kind == "user" and self.actor.user_id is not None:
                    s.add(
                        Membership(user_id=self.actor.user_id, company_id=company.id, role=Role.OWNER.value)
                    )
                company_id = company.id
        except IntegrityError:
            raise ConflictError(f"firma o NIP {nip} już istnieje") from None
        if (
            ksef_token is None
            and self.app.simulator is not None
            and env.api_url == self.app.simulator.base_url
        ):
            ksef_token = simulator_token(self.app.simulator, nip)
        if ksef_token is not None:
            self.set_ksef_token(company_id, ksef_token)
        return self.get(company_id)

    def _api_base(self, environment: str, base_url: str | None) -> str | None:
        if base_url:
            return base_url
        if environment == "local":
            if self.app.simulator is not None:
                return self.app.simulator.base_url
            raise InputError("środowisko local wymaga adresu symulatora (base_url)", "base_url")
        return None

    def get(self, company_id: int) -> CompanyView:
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            return company_view(s, company, self._role(s, company.id))

    def _role(self, s: Session, company_id: int) -> str | None:
        if self.actor.kind != "user" or self.actor.user_id is None:
            return None
        return s.scalar(
            select(Membership.role).where(
                Membership.user_id == self.actor.user_id, Membership.company_id == company_id
            )
        )

    def by_nip(self, nip: str) -> CompanyView:
        """The company with this NIP, if the actor acts for it."""
        from fakturnik.errors import NotFoundError

        with self._tx() as s:
            company_id = s.scalar(select(Company.id).where(Company.nip == nip))
            if company_id is None:
                raise NotFoundError("nie ma takiej firmy")
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            return company_view(s, company, self._role(s, company.id))

    def list(self) -> list[CompanyView]:
        """The companies the actor acts for (a user: its memberships; a key: its company; system: all)."""
        with self._tx() as s:
            if self.actor.is_system:
                return [company_view(s, c) for c in repo.list_companies(s)]
            if self.actor.kind == "api_key":
                company = s.get(Company, self.actor.company_id)
                return [company_view(s, company)] if company is not None else []
            rows = s.execute(
                select(Company, Membership.role)
                .join(Membership, Membership.company_id == Company.id)
                .where(Membership.user_id == self.actor.user_id)
                .order_by(Company.name, Company.id)
            ).all()
            return [company_view(s, c, role) for c, role in rows]

    def update(
        self,
        company_id: int,
        *,
        name: str | None = None,
        address: str | None = None,
        email: str | None = None,
        bank_account: str | None = None,
        strictness: str | None = None,
    ) -> CompanyView:
        """Change the company's data; ``strictness`` is what issuing refuses: ``"all"`` (default) every
        validation error, ``"ksef"`` only what KSeF rejects (VAT-act and amounts problems then warn)."""
        if strictness is not None and strictness not in STRICTNESS:
            raise InputError("ścisłość wystawiania musi być 'all' albo 'ksef'", "strictness")
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            profile = repo.company_profile(s, company.id)
            changed: dict[str, str] = {}
            if name is not None:
                company.name = changed["name"] = name.strip()[:512]
            if address is not None:
                profile.address = changed["address"] = address[:512]
            if email is not None:
                profile.email = changed["email"] = email.strip()[:320]
            if bank_account is not None:
                profile.bank_account = changed["bank_account"] = bank_account.replace(" ", "")[:64]
            if strictness is not None:
                company.issue_strictness = changed["strictness"] = strictness
            self._audit(s, "company.update", company_id=company.id, detail=changed)
            s.flush()
            return company_view(s, company, self._role(s, company.id))

    def configure_ksef(self, company_id: int, environment: str, base_url: str | None = None) -> CompanyView:
        """Point the company at a KSeF environment (test, demo, prod, local simulator or a URL)."""
        from fakturnik.ksef.environments import resolve

        api = self._api_base(environment, base_url)
        try:
            env = resolve(api or environment)
        except FakturnikError as exc:
            raise InputError(str(exc), "environment") from None
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            old = company.environment
            company.environment, company.base_url = env.name, env.api_url
            self._audit(
                s, "company.ksef_environment", company_id=company.id, detail={"from": old, "to": env.name}
            )
            s.flush()
            return company_view(s, company, self._role(s, company.id))

    def set_ksef_token(self, company_id: int, token: str | Secret) -> CredentialInfo:
        """Store a KSeF token (encrypted in the vault) as the company's credential."""
        from fakturnik.engine.companies import KSEF_TOKEN, secret_name

        self._may_admin(company_id)
        secret = token if isinstance(token, Secret) else Secret(token.strip())
        if not secret.reveal().strip():
            raise InputError("token KSeF jest pusty", "token")
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            nip = company.nip
        name = secret_name(nip, KSEF_TOKEN)
        self.ctx.vault.put(name, nip, secret)
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            cred = repo.add_credential(s, company, KSEF_TOKEN, name, actor=self.actor.label)
            repo.company_profile(s, company.id).credential_info = {}
            self._audit(s, "credential.set", company_id=company.id, detail={"kind": KSEF_TOKEN})
            return CredentialInfo(kind=KSEF_TOKEN, added_at=cred.created_at)

    def set_certificate(
        self,
        company_id: int,
        certificate_pem: bytes,
        private_key_pem: bytes | Secret,
        password: bytes | str | Secret | None = None,
    ) -> CredentialInfo:
        """Store a KSeF certificate (PEM) and its private key (PEM/DER, optionally encrypted)."""
        from fakturnik.ksef.credentials import load_pem

        self._may_admin(company_id)  # the right first: a stranger learns nothing from a parse error
        key = private_key_pem.reveal() if isinstance(private_key_pem, Secret) else private_key_pem
        credential = _loaded(lambda: load_pem(certificate_pem, key, key_password(password)))
        return self._store_certificate(company_id, credential)

    def set_pkcs12(
        self, company_id: int, data: bytes, password: bytes | str | Secret | None
    ) -> CredentialInfo:
        """Store a KSeF certificate with its key from a PKCS#12 (.p12/.pfx) file."""
        from fakturnik.ksef.credentials import load_pkcs12

        self._may_admin(company_id)
        credential = _loaded(lambda: load_pkcs12(data, key_password(password)))
        return self._store_certificate(company_id, credential)

    def _may_admin(self, company_id: int) -> None:
        with self._tx() as s:
            self._company(s, company_id, Action.COMPANY_ADMIN)

    def _store_certificate(self, company_id: int, credential: Any) -> CredentialInfo:
        from cryptography.hazmat.primitives import serialization

        from fakturnik.engine.companies import CERTIFICATE, secret_name

        cert = credential.certificate
        not_after = cert.not_valid_after_utc
        if not_after < datetime.now(UTC):
            raise InputError(f"certyfikat wygasł {not_after:%d.%m.%Y}", "certificate")
        from fakturnik.app.certificates import check_certificate

        check_certificate(cert, "Authentication")  # a KSeF Offline certificate cannot log in (d16cred)
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            nip = company.nip
        cert_pem = cert.public_bytes(serialization.Encoding.PEM) + b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in credential.chain
        )
        key_pem = credential.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        name = secret_name(nip, CERTIFICATE)
        self.ctx.vault.put(name + ".cert", nip, cert_pem)
        self.ctx.vault.put(name + ".key", nip, Secret(key_pem))
        info = credential_info(credential)
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            cred = repo.add_credential(s, company, CERTIFICATE, name, actor=self.actor.label)
            repo.company_profile(s, company.id).credential_info = info
            self._audit(
                s,
                "credential.set",
                company_id=company.id,
                detail={"kind": CERTIFICATE, "fingerprint": credential.fingerprint, "serial": info["serial"]},
            )
            return CredentialInfo(
                kind=CERTIFICATE,
                subject=info["subject"],
                serial=info["serial"],
                not_after=not_after,
                fingerprint=credential.fingerprint,
                added_at=cred.created_at,
            )

    def credential(self, company_id: int) -> CredentialInfo | None:
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            cred = repo.active_credential(s, company.id)
            return _credential_info(
                s.get(CompanyProfile, company.id),
                cred.kind if cred else None,
                cred.created_at if cred else None,
            )


def _loaded(load: Any) -> Any:
    from fakturnik.errors import KsefAuthError

    try:
        return load()
    except KsefAuthError as exc:
        raise InputError(str(exc), "certificate") from None
