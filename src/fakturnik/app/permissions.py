"""KSeF permissions managed from Fakturnik: who may do what in my company, what others granted me.

Every grant and revoke is checked here first (:mod:`fakturnik.app.permission_rules`: checksums, a
grant to oneself, rights the subject cannot hold → :class:`InputError`, nothing sent), then made in
KSeF with the company's **own** credential (its certificate or token: the owner's rights, even when
the company sends with its accounting office's credential), and its operation is followed to the
end (``GET /permissions/operations/{ref}``) within ``wait`` seconds. The result is an
:class:`OperationView` with KSeF's final status and a Polish message; every step is audited.

After a revoke Fakturnik drops this process's cached KSeF logins in the contexts it affects
(:func:`fakturnik.engine.connect.drop_logins`): KSeF fixes rights in the access token, so a grantee
would otherwise keep them until its token expires.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select

from fakturnik.app.access import Action
from fakturnik.app.permission_rules import (
    AUTHORIZATIONS,
    SubjectId,
    check_entity_name,
    check_not_self,
    check_permissions,
    check_person_name,
    description_of,
    parse_eu_vat,
    parse_nip,
    parse_subject,
    permission_label,
)
from fakturnik.app.service import Service
from fakturnik.errors import ConflictError, InputError, KsefApiError, KsefAuthError, KsefError
from fakturnik.store.models import Company, Credential

if TYPE_CHECKING:
    from fakturnik.ksef.client import KsefClient, Page

__all__ = ["GrantView", "OperationView", "PermissionsService", "ReceivedView"]

T = TypeVar("T")
Q = TypeVar("Q", bound=BaseModel)  # a permission query's request body

# final statuses of a permission operation (digest §3.5), in Polish
OPERATION_TEXT_PL = {
    100: "operacja w toku",
    200: "operacja zakończona powodzeniem",
    400: "KSeF odrzucił operację: błędne dane (np. nieznany identyfikator uprawnienia)",
    410: "dane osoby nie pasują do identyfikatora",
    420: "uprawnienie nadano w innym kontekście: odebrać je może tylko tamten kontekst",
    430: "kontekst nie ma wymaganej roli do tej operacji",
    440: "KSeF nie pozwala na takie nadanie (np. samemu sobie albo bez prawa dalszego przekazywania)",
    450: "to upoważnienie nie pasuje do rodzaju odbiorcy",
}


@dataclass(frozen=True)
class OperationView:
    """A grant or revoke in KSeF, followed to its end (or to ``wait``: then ``done`` is False)."""

    reference: str
    code: int
    description: str
    details: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        return self.code != 100

    @property
    def ok(self) -> bool:
        return self.code == 200

    @property
    def message(self) -> str:
        text = OPERATION_TEXT_PL.get(self.code, self.description)
        extra = "; ".join(self.details)
        return f"{text} ({extra})" if extra else text


@dataclass(frozen=True)
class GrantView:
    """One permission in KSeF, as a person reads it."""

    id: str
    kind: str  # person | entity | indirect | authorization | subunit | eu_entity
    subject_type: str  # Nip | Pesel | Fingerprint | PeppolId | InternalId | …
    subject: str
    permission: str  # KSeF's name: InvoiceWrite, SelfInvoicing, …
    context: str = ""  # the context the right is in / was granted by (``Nip:…``)
    target: str = ""  # indirect grants: the client (``Nip:…``) or ``AllPartners``
    can_delegate: bool = False
    state: str = "Active"  # Active | Inactive
    description: str = ""
    subject_name: str = ""
    author: str = ""
    started_at: datetime | None = None

    @property
    def permission_label(self) -> str:
        return permission_label(self.permission)

    @property
    def revocable_as(self) -> str:
        """Which revoke endpoint takes it: ``authorization`` or ``common``."""
        return "authorization" if self.kind == "authorization" else "common"


@dataclass(frozen=True)
class ReceivedView:
    """What others granted this company (an office: its clients' grants) and its own rights."""

    entities: tuple[GrantView, ...]  # invoice rights other contexts gave this NIP (an office's clients)
    authorizations: tuple[GrantView, ...]  # self-billing etc. other sellers gave this company
    personal: tuple[GrantView, ...]  # the credential's own rights in this context

    def by_client(self) -> dict[str, tuple[GrantView, ...]]:
        """An office's view: each client's NIP → the rights it granted."""
        out: dict[str, list[GrantView]] = {}
        for g in self.entities:
            out.setdefault(g.context.split(":", 1)[-1], []).append(g)
        return {k: tuple(v) for k, v in sorted(out.items())}


def _ident(obj: Any) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return str(getattr(obj, "type", "") or ""), str(getattr(obj, "value", "") or "")


def _key(obj: Any) -> str:
    t, v = _ident(obj)
    return f"{t}:{v}" if v else t


def _name_of(p: Any) -> str:
    person = getattr(p, "subjectPersonDetails", None)
    if person is not None:
        first, last = getattr(person, "firstName", "") or "", getattr(person, "lastName", "") or ""
        return f"{first} {last}".strip()
    entity = getattr(p, "subjectEntityDetails", None)
    return str(getattr(entity, "fullName", "") or "") if entity is not None else ""


EU_ADMIN_RIGHTS = ("VatUeManage", "InvoiceWrite", "InvoiceRead", "Introspection")
"""What KSeF gives an EU entity's administrator in the new EU VAT context (digest §3.5)."""


class PermissionsService(Service):
    """Grants, revokes and queries in KSeF for a company (action ``permissions.manage`` / ``.read``)."""

    wait: float = 30.0  # seconds to follow an operation before returning it as still running

    # --- reading ---------------------------------------------------------------------------------------

    def granted(self, company_id: int) -> tuple[GrantView, ...]:
        """Who may do what in my company: persons and entities (with their indirect grants),
        authorizations given, subunit administrators."""
        from fakturnik.ksef import models as m

        company = self._load(company_id, Action.PERMISSIONS_READ)
        with self._client(company) as client:
            persons = _all_pages(
                client.query_person_permissions,
                m.PersonPermissionsQueryRequest(queryType="PermissionsInCurrentContext"),
            )
            given = _all_pages(
                client.query_authorization_permissions,
                m.EntityAuthorizationPermissionsQueryRequest(queryType="Granted"),
                "authorizationGrants",
            )
            subunits = _all_pages(client.query_subunit_permissions, m.SubunitPermissionsQueryRequest())
            eu_entities = _all_pages(client.query_eu_entity_permissions, m.EuEntityPermissionsQueryRequest())
        out: list[GrantView] = []
        for p in persons:
            subject_type, subject = _ident(p.authorizedIdentifier)
            target = _key(p.targetIdentifier) if p.targetIdentifier is not None else ""
            entity = subject_type == "Nip" and p.subjectEntityDetails is not None
            kind = "indirect" if target else ("entity" if entity else "person")
            out.append(
                GrantView(
                    id=str(p.id),
                    kind=kind,
                    subject_type=subject_type,
                    subject=subject,
                    permission=str(p.permissionScope),
                    context=_key(p.contextIdentifier),
                    target=target,
                    can_delegate=bool(p.canDelegate),
                    state=str(p.permissionState),
                    description=p.description,
                    subject_name=_name_of(p),
                    author=_key(p.authorIdentifier),
                    started_at=p.startDate,
                )
            )
        out.extend(_authorization_view(a, received=False) for a in given)
        for u in subunits:
            subject_type, subject = _ident(getattr(u, "authorizedIdentifier", None))
            out.append(
                GrantView(
                    id=str(u.id),
                    kind="subunit",
                    subject_type=subject_type,
                    subject=subject,
                    permission=str(getattr(u, "permissionScope", "CredentialsManage")),
                    context=_key(getattr(u, "subunitIdentifier", None)),
                    description=str(getattr(u, "description", "")),
                    subject_name=str(getattr(u, "subunitName", "") or ""),
                    author=_key(getattr(u, "authorIdentifier", None)),
                    started_at=getattr(u, "startDate", None),
                )
            )
        out.extend(_eu_view(e, company.nip) for e in eu_entities)
        return tuple(out)

    def received(self, company_id: int) -> ReceivedView:
        """What others granted me: an office's clients' grants, authorizations, my own rights."""
        from fakturnik.ksef import models as m

        company = self._load(company_id, Action.PERMISSIONS_READ)
        with self._client(company) as client:
            entities = _all_pages(client.query_entity_permissions, m.EntityPermissionsQueryRequest())
            authorizations = _all_pages(
                client.query_authorization_permissions,
                m.EntityAuthorizationPermissionsQueryRequest(queryType="Received"),
                "authorizationGrants",
            )
            personal = _all_pages(client.query_personal_permissions, m.PersonalPermissionsQueryRequest())
        return ReceivedView(
            entities=tuple(
                GrantView(
                    id=str(e.id),
                    kind="entity",
                    subject_type="Nip",
                    subject=company.nip,
                    permission=str(e.permissionScope),
                    context=_key(e.contextIdentifier),
                    can_delegate=bool(e.canDelegate),
                    description=e.description,
                    started_at=e.startDate,
                )
                for e in entities
            ),
            authorizations=tuple(_authorization_view(a, received=True) for a in authorizations),
            personal=tuple(
                GrantView(
                    id=str(p.id),
                    kind="indirect" if p.targetIdentifier is not None else "person",
                    subject_type=_ident(p.authorizedIdentifier)[0],
                    subject=_ident(p.authorizedIdentifier)[1],
                    permission=str(p.permissionScope),
                    context=_key(p.contextIdentifier),
                    target=_key(p.targetIdentifier) if p.targetIdentifier is not None else "",
                    can_delegate=bool(p.canDelegate),
                    state=str(p.permissionState),
                    description=p.description,
                    subject_name=_name_of(p),
                    started_at=p.startDate,
                )
                for p in personal
            ),
        )

    def operation(self, company_id: int, reference: str) -> OperationView:
        """The status of an operation started before (e.g. one still running after ``wait``)."""
        company = self._load(company_id, Action.PERMISSIONS_READ)
        with self._client(company) as client:
            return self._status(client, str(reference))

    # --- granting --------------------------------------------------------------------------------------

    def grant_person(
        self,
        company_id: int,
        identifier: str,
        permissions: list[str] | tuple[str, ...],
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        description: str | None = None,
    ) -> OperationView:
        """Give a person (PESEL, NIP or certificate fingerprint) rights in my company."""
        from fakturnik.ksef import models as m

        company, subject = self._granting_to(company_id, identifier)
        rights = check_permissions("person", permissions)
        request = m.PersonPermissionsGrantRequest(
            subjectIdentifier=m.PersonPermissionsSubjectIdentifier(type=subject.type, value=subject.value),
            permissions=rights,  # type: ignore[arg-type]
            description=description_of(description, f"Uprawnienia nadane w Fakturniku: {subject.value}"),
            subjectDetails=_person_details(subject, first_name, last_name),
        )
        return self._submit(company, "person", subject, rights, lambda c: c.grant_person_permissions(request))

    def grant_entity(
        self,
        company_id: int,
        nip: str,
        permissions: list[str] | tuple[str, ...] = ("InvoiceWrite", "InvoiceRead"),
        *,
        can_delegate: bool = False,
        name: str | None = None,
        description: str | None = None,
    ) -> OperationView:
        """Give another business (by NIP; e.g. an accounting office) invoice rights in my company.

        ``can_delegate=True`` lets it pass them on to its employees as indirect grants.
        """
        from fakturnik.ksef import models as m

        company = self._load(company_id, Action.PERMISSIONS_MANAGE)
        subject = SubjectId("Nip", parse_nip(nip))
        check_not_self(subject, company.nip, "nip")
        rights = check_permissions("entity", permissions)
        request = m.EntityPermissionsGrantRequest(
            subjectIdentifier=m.EntityPermissionsSubjectIdentifier(type="Nip", value=subject.value),
            permissions=[m.EntityPermission(type=p, canDelegate=can_delegate) for p in rights],  # type: ignore[arg-type]
            description=description_of(description, f"Uprawnienia dla podmiotu {subject.value}"),
            subjectDetails=m.EntityDetails(fullName=check_entity_name(name, f"Podmiot {subject.value}")),
        )
        return self._submit(
            company,
            "entity",
            subject,
            rights,
            lambda c: c.grant_entity_permissions(request),
            can_delegate=can_delegate,
        )

    def grant_office(
        self,
        company_id: int,
        office_nip: str,
        permissions: list[str] | tuple[str, ...] = ("InvoiceWrite", "InvoiceRead"),
        *,
        name: str | None = None,
    ) -> OperationView:
        """The usual grant to an accounting office: invoice rights it may pass to its employees."""
        return self.grant_entity(
            company_id,
            office_nip,
            permissions,
            can_delegate=True,
            name=name,
            description=f"Biuro rachunkowe {office_nip}: wystawianie i odbiór faktur",
        )

    def grant_authorization(
        self,
        company_id: int,
        nip: str,
        kind: str,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> OperationView:
        """An authorization: ``self_billing`` (the buyer issues my invoices), ``tax_representative``,
        ``rr`` (VAT RR invoices) or ``pef``."""
        from fakturnik.ksef import models as m

        company = self._load(company_id, Action.PERMISSIONS_MANAGE)
        scope = AUTHORIZATIONS.get(kind) or (kind if kind in AUTHORIZATIONS.values() else None)
        if scope is None:
            raise InputError(f"nieznane upoważnienie „{kind}”: wybierz {', '.join(AUTHORIZATIONS)}", "kind")
        subject = SubjectId("Nip", parse_nip(nip))
        check_not_self(subject, company.nip, "nip")
        request = m.EntityAuthorizationPermissionsGrantRequest(
            subjectIdentifier=m.EntityAuthorizationPermissionsSubjectIdentifier(
                type="Nip", value=subject.value
            ),
            permission=scope,  # type: ignore[arg-type]
            description=description_of(description, f"Upoważnienie {scope} dla {subject.value}"),
            subjectDetails=m.EntityDetails(fullName=check_entity_name(name, f"Podmiot {subject.value}")),
        )
        return self._submit(
            company, "authorization", subject, [scope], lambda c: c.grant_authorization_permissions(request)
        )

    def grant_indirect(
        self,
        office_company_id: int,
        identifier: str,
        permissions: list[str] | tuple[str, ...] = ("InvoiceWrite",),
        *,
        client_nip: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        description: str | None = None,
    ) -> OperationView:
        """An office passes a client's rights on to its employee (for one client, or all of them).

        Valid in the client's context while the client's grant to the office is delegable.
        """
        from fakturnik.ksef import models as m

        company, subject = self._granting_to(office_company_id, identifier)
        rights = check_permissions("indirect", permissions)
        target = (
            m.IndirectPermissionsTargetIdentifier(type="Nip", value=parse_nip(client_nip, "client_nip"))
            if client_nip
            else m.IndirectPermissionsTargetIdentifier(type="AllPartners")
        )
        who = f"dla klienta {target.value}" if client_nip else "dla wszystkich klientów"
        request = m.IndirectPermissionsGrantRequest(
            subjectIdentifier=m.IndirectPermissionsSubjectIdentifier(type=subject.type, value=subject.value),
            targetIdentifier=target,
            permissions=rights,  # type: ignore[arg-type]
            description=description_of(description, f"Pracownik biura {who}"),
            subjectDetails=_person_details(subject, first_name, last_name),
        )
        return self._submit(
            company,
            "indirect",
            subject,
            rights,
            lambda c: c.grant_indirect_permissions(request),
            target=client_nip or "AllPartners",
        )

    def grant_subunit_admin(
        self,
        company_id: int,
        identifier: str,
        subunit: str,
        *,
        subunit_name: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        description: str | None = None,
    ) -> OperationView:
        """An administrator of a subunit (``InternalId`` NIP-nnnnn, or a member NIP of a VAT group)."""
        from fakturnik.ksef import models as m

        company, subject = self._granting_to(company_id, identifier)
        unit = str(subunit or "").strip()
        if len(unit) == 16 and unit[10] == "-" and unit[:10] == company.nip and unit[11:].isdigit():
            from fakturnik.base.ksef_numbers import is_valid_internal_id

            if not is_valid_internal_id(unit):
                raise InputError(
                    f"identyfikator wewnętrzny {unit} ma błędną cyfrę kontrolną (ostatnią)", "subunit"
                )
            unit_type = "InternalId"
        else:
            unit, unit_type = parse_nip(unit, "subunit"), "Nip"
        name = (subunit_name or "").strip() or None
        if unit_type == "InternalId" and (name is None or len(name) < 5):
            raise InputError("jednostka wewnętrzna potrzebuje nazwy (co najmniej 5 znaków)", "subunit_name")
        request = m.SubunitPermissionsGrantRequest(
            subjectIdentifier=m.SubunitPermissionsSubjectIdentifier(type=subject.type, value=subject.value),  # type: ignore[arg-type]
            contextIdentifier=m.SubunitPermissionsContextIdentifier(type=unit_type, value=unit),  # type: ignore[arg-type]
            description=description_of(description, f"Administrator jednostki {unit}"),
            subunitName=name,
            subjectDetails=_person_details(subject, first_name, last_name),
        )
        return self._submit(
            company,
            "subunit",
            subject,
            ["CredentialsManage"],
            lambda c: c.grant_subunit_permissions(request),
            target=unit,
        )

    def grant_eu_entity(
        self,
        company_id: int,
        fingerprint: str,
        permissions: list[str] | tuple[str, ...],
        *,
        name: str,
        address: str = "",
        description: str | None = None,
    ) -> OperationView:
        """An EU entity (identified by its certificate's fingerprint) acting in my EU VAT context."""
        from fakturnik.ksef import models as m

        company = self._load(company_id, Action.PERMISSIONS_MANAGE)
        subject = parse_subject(fingerprint, "fingerprint")
        if subject.type != "Fingerprint":
            raise InputError("podmiot unijny wskazuje się odciskiem certyfikatu (64 znaki)", "fingerprint")
        rights = check_permissions("eu_entity", permissions)
        request = m.EuEntityPermissionsGrantRequest(
            subjectIdentifier=m.EuEntityPermissionsSubjectIdentifier(type="Fingerprint", value=subject.value),
            permissions=rights,  # type: ignore[arg-type]
            description=description_of(description, "Uprawnienia podmiotu unijnego"),
            subjectDetails=m.EuEntityPermissionSubjectDetails(
                subjectDetailsType="EntityByFingerprint",
                entityByFp=m.EntityByFingerprintDetails(
                    fullName=check_entity_name(name, ""), address=address or "—"
                ),
            ),
        )
        return self._submit(
            company, "eu_entity", subject, rights, lambda c: c.grant_eu_entity_permissions(request)
        )

    def grant_eu_admin(
        self,
        company_id: int,
        fingerprint: str,
        vat_ue: str,
        *,
        name: str,
        address: str = "",
        description: str | None = None,
    ) -> OperationView:
        """The administrator of my EU entity: the entity of another member state with EU VAT number
        ``vat_ue``, identified by its certificate's fingerprint, gets the EU VAT context
        ``{my NIP}-{vat_ue}`` (KSeF creates it) with VatUeManage, InvoiceWrite, InvoiceRead and
        Introspection. It then logs in there with that certificate (subject = the fingerprint) and
        names its representatives (:meth:`grant_eu_entity`, in that context)."""
        from fakturnik.ksef import models as m

        company = self._load(company_id, Action.PERMISSIONS_MANAGE)
        subject = parse_subject(fingerprint, "fingerprint")
        if subject.type != "Fingerprint":
            raise InputError("podmiot unijny wskazuje się odciskiem certyfikatu (64 znaki)", "fingerprint")
        eu = parse_eu_vat(vat_ue)
        full = check_entity_name(name, "")
        place = (address or "").strip() or "—"
        if len(place) > 512:
            raise InputError("adres podmiotu unijnego może mieć najwyżej 512 znaków", "address")
        context = f"{company.nip}-{eu}"
        request = m.EuEntityAdministrationPermissionsGrantRequest(
            subjectIdentifier=m.EuEntityAdministrationPermissionsSubjectIdentifier(
                type="Fingerprint", value=subject.value
            ),
            contextIdentifier=m.EuEntityAdministrationPermissionsContextIdentifier(
                type="NipVatUe", value=context
            ),
            description=description_of(description, f"Administrator podmiotu unijnego {eu}"),
            euEntityName=full,
            subjectDetails=m.EuEntityPermissionSubjectDetails(
                subjectDetailsType="EntityByFingerprint",
                entityByFp=m.EntityByFingerprintDetails(fullName=full, address=place),
            ),
            euEntityDetails=m.EuEntityDetails(fullName=full, address=place),
        )
        return self._submit(
            company,
            "eu_admin",
            subject,
            list(EU_ADMIN_RIGHTS),
            lambda c: c.grant_eu_entity_administration_permissions(request),
            target=f"NipVatUe:{context}",
        )

    # --- revoking --------------------------------------------------------------------------------------

    def revoke(self, company_id: int, permission_id: str, *, authorization: bool = False) -> OperationView:
        """Take back a right granted in my company (``authorization=True`` for an authorization).

        When it is done, this process's cached KSeF logins in the affected contexts are dropped.
        """
        from fakturnik.engine.connect import drop_logins

        company = self._load(company_id, Action.PERMISSIONS_MANAGE)
        pid = str(permission_id or "").strip()
        if len(pid) != 36:
            raise InputError("podaj identyfikator uprawnienia z listy uprawnień (36 znaków)", "permission_id")
        with self._client(company) as client:
            try:
                started = (
                    client.revoke_authorization_permission(pid)
                    if authorization
                    else client.revoke_common_permission(pid)
                )
            except KsefApiError as exc:
                self._failed(company, "revoke", pid, exc)
                raise _as_input(exc, "permission_id") from None
            result = self._follow(client, started.referenceNumber)
        with self._tx() as s:
            self._audit(
                s,
                "permission.revoked" if result.ok else "permission.revoke_failed",
                company_id=company.id,
                detail={"permissionId": pid, "reference": result.reference, "code": result.code},
            )
            affected = self._affected_contexts(s, company)
        if result.done:
            drop_logins(affected)
        return result

    # --- internals -------------------------------------------------------------------------------------

    def _granting_to(self, company_id: int, identifier: str) -> tuple[Company, SubjectId]:
        """The company (the actor may manage its permissions) and the person a grant is for (PESEL, NIP
        or certificate fingerprint; never the company itself)."""
        company = self._load(company_id, Action.PERMISSIONS_MANAGE)
        subject = parse_subject(identifier)
        check_not_self(subject, company.nip)
        return company, subject

    def _load(self, company_id: int, action: Action) -> Company:
        with self._tx() as s:
            company = self._company(s, company_id, action)
            s.expunge(company)
            return company

    @contextmanager
    def _client(self, company: Company) -> Iterator[KsefClient]:
        """A KSeF client logged in in the company's context with its own credential."""
        from fakturnik.engine.connect import auth_manager, own_credential
        from fakturnik.ksef.client import KsefClient
        from fakturnik.ksef.environments import resolve
        from fakturnik.ksef.transport import Transport

        credential = own_credential(self.ctx, company.id)
        if credential is None:
            with self._tx() as s:
                has_any = s.scalar(
                    select(Credential.id).where(
                        Credential.company_id == company.id, Credential.active.is_(True)
                    )
                )
            raise ConflictError(
                f"firma {company.nip} nie ma własnego certyfikatu ani tokenu KSeF: uprawnieniami w jej "
                "kontekście zarządza jej właściciel"
                + (" (dane biura lub współpracownika nie wystarczą)" if has_any else "")
            )
        env = resolve(company.base_url or company.environment)
        transport = Transport(env, timeout=min(self.ctx.settings.http_timeout, 30.0), max_retries=1)
        manager = auth_manager(self.ctx, company, transport, credential)
        try:
            yield KsefClient(manager.api)
        except KsefAuthError as exc:  # the owner's credential itself is refused: a state to fix, not a fault
            raise ConflictError(
                f"KSeF nie przyjął danych uwierzytelniających firmy {company.nip}: {exc}"
            ) from None
        except KsefApiError as exc:
            if exc.status_code != 403:
                raise
            raise ConflictError(
                f"dane uwierzytelniające firmy {company.nip} nie mają w KSeF uprawnień do zarządzania "
                f"uprawnieniami (CredentialsManage / CredentialsRead): {exc}"
            ) from None
        finally:
            with suppress(KsefError):
                manager.logout()
            transport.close()

    def _submit(
        self,
        company: Company,
        kind: str,
        subject: SubjectId,
        rights: list[str],
        call: Callable[[KsefClient], Any],
        *,
        can_delegate: bool = False,
        target: str | None = None,
    ) -> OperationView:
        from fakturnik.engine.connect import drop_logins

        detail: dict[str, Any] = {"kind": kind, "subject": subject.key, "permissions": rights}
        if can_delegate:
            detail["canDelegate"] = True
        if target:
            detail["target"] = target
        with self._client(company) as client:
            try:
                started = call(client)
            except KsefApiError as exc:
                self._failed(company, "grant", subject.key, exc)
                raise _as_input(exc, "identifier") from None
            result = self._follow(client, started.referenceNumber)
        with self._tx() as s:
            detail |= {"reference": result.reference, "code": result.code}
            action = "permission.granted" if result.ok else "permission.grant_failed"
            self._audit(
                s, action if result.done else "permission.grant_started", company_id=company.id, detail=detail
            )
            affected = self._affected_contexts(s, company)
        if result.ok:  # the grantee's next login holds the new right
            drop_logins(affected)
        return result

    def _failed(self, company: Company, what: str, subject: str, exc: KsefApiError) -> None:
        with self._tx() as s:
            self._audit(
                s,
                f"permission.{what}_refused",
                company_id=company.id,
                detail={"subject": subject, "status": exc.status_code, "message": str(exc)[:300]},
            )

    def _follow(self, client: KsefClient, reference: str) -> OperationView:
        deadline = time.monotonic() + self.wait
        interval = 0.1
        while True:
            status = self._status(client, reference)
            if status.done or time.monotonic() + interval > deadline:
                return status
            time.sleep(interval)
            interval = min(1.0, interval * 1.5)

    @staticmethod
    def _status(client: KsefClient, reference: str) -> OperationView:
        answer = client.permission_operation_status(reference)
        st = answer.status
        return OperationView(reference, st.code, st.description, tuple(st.details or ()))

    @staticmethod
    def _affected_contexts(s: Any, company: Company) -> set[str]:
        """The contexts whose logins may hold a revoked right: the company's own, its clients'
        (an office's indirect grants live there), and any logged in with a co-worker's certificate."""
        from fakturnik.engine.companies import OFFICE, PERSON_CERTIFICATE

        keys = {f"{company.context_type}:{company.context_value}"}
        rows = s.execute(
            select(Company.context_type, Company.context_value)
            .join(Credential, Credential.company_id == Company.id)
            .where(
                Credential.active.is_(True),
                ((Credential.kind == OFFICE) & (Credential.office_company_id == company.id))
                | (Credential.kind == PERSON_CERTIFICATE),
            )
        ).all()
        keys.update(f"{t}:{v}" for t, v in rows)
        return keys


def _as_input(exc: KsefApiError, field: str) -> Exception:
    """KSeF refused the request's data (HTTP 400): an input error naming KSeF's reason; else as it is."""
    if exc.status_code != 400:
        return exc
    reasons = "; ".join(
        d.description + (f" ({'; '.join(d.details)})" if d.details else "") for d in exc.details
    )
    return InputError(f"KSeF odrzucił dane: {reasons or exc}", field)


def _person_details(subject: SubjectId, first_name: str | None, last_name: str | None) -> Any:
    from fakturnik.ksef import models as m

    first, last = check_person_name(first_name, last_name)
    if subject.type == "Fingerprint":
        raise InputError(
            "osobę bez PESEL i NIP wskazuje się odciskiem certyfikatu wraz z dokumentem tożsamości; "
            "podaj PESEL albo NIP tej osoby",
            "identifier",
        )
    return m.PersonPermissionSubjectDetails(
        subjectDetailsType="PersonByIdentifier", personById=m.PersonDetails(firstName=first, lastName=last)
    )


def _eu_view(e: Any, nip: str) -> GrantView:
    """An EU entity's administrator (or, in an EU VAT context, representative) in its context."""
    return GrantView(
        str(e.id),
        "eu_entity",
        "Fingerprint",
        e.authorizedFingerprintIdentifier,
        str(e.permissionScope),
        f"NipVatUe:{nip}-{e.vatUeIdentifier}",
        description=e.description,
        subject_name=e.euEntityName,
        author=_key(e.authorIdentifier),
        started_at=e.startDate,
    )


def _authorization_view(a: Any, *, received: bool) -> GrantView:
    subject_type, subject = _ident(a.authorizedEntityIdentifier)
    entity = getattr(a, "subjectEntityDetails", None)
    return GrantView(
        id=str(a.id),
        kind="authorization",
        subject_type=subject_type,
        subject=subject,
        permission=str(a.authorizationScope),
        context=_key(a.authorizingEntityIdentifier),
        description=a.description,
        subject_name=str(getattr(entity, "fullName", "") or "") if entity is not None else "",
        author=_key(a.authorIdentifier),
        started_at=a.startDate,
    )


def _all_pages(
    query: Callable[[Q, Page], BaseModel],
    request: Q,
    field: str = "permissions",
    size: int = 100,
    limit: int = 50,
) -> list[Any]:
    """Every item of a paged permission query (at most ``limit`` pages)."""
    from fakturnik.ksef.client import Page

    out: list[Any] = []
    for offset in range(limit):
        answer = query(request, Page(page_offset=offset, page_size=size))
        out.extend(getattr(answer, field))
        if not getattr(answer, "hasMore", False):
            break
    return out
