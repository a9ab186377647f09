"""KSeF permissions of a company: who may do what, what others granted it, grants and revokes.

Thin routes over ``fakturnik.app.permissions``: every grant is checked by the app first (a bad
checksum, a grant to oneself, a right the subject cannot hold → 422, nothing sent) and then followed
in KSeF to its end; the answer is the operation with KSeF's final status. A grant KSeF refused
answers 409 with the operation; one still running after the wait answers 202.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Response
from fastapi.routing import APIRouter
from pydantic import Field

from fakturnik.app.grant_kinds import GRANT_KINDS, grant
from fakturnik.app.permissions import OperationView
from fakturnik.web.api.common import Body, CompanyId, Out, Routes
from fakturnik.web.api.deps import Svc
from fakturnik.web.api.problems import ApiProblem

router = APIRouter(tags=["uprawnienia"])
route = Routes(router)
PermissionId = Annotated[
    str, Path(description="Id uprawnienia z listy uprawnień.", min_length=1, max_length=64)
]
Name = Annotated[str | None, Field(None, max_length=90)]
Description = Annotated[str | None, Field(None, max_length=256)]
Identifier = Annotated[
    str,
    Field(min_length=1, max_length=80, description="PESEL, NIP albo odcisk SHA-256 certyfikatu (64 hex)."),
]
Rights = Annotated[
    list[str], Field(max_length=10, description="Uprawnienia KSeF, np. InvoiceWrite, InvoiceRead.")
]


class GrantOut(Out):
    id: str
    kind: str = Field(description="person | entity | indirect | authorization | subunit | eu_entity")
    subject_type: str
    subject: str
    subject_name: str
    permission: str
    permission_label: str
    context: str
    target: str
    can_delegate: bool
    state: str
    description: str
    author: str
    started_at: datetime | None


class OperationOut(Out):
    reference: str = Field(description="Numer referencyjny operacji w KSeF.")
    code: int = Field(description="100 w toku, 200 zakończona powodzeniem, inne: odmowa KSeF.")
    description: str
    details: list[str]
    done: bool
    ok: bool
    message: str = Field(description="Wynik po polsku.")


class ReceivedOut(Out):
    entities: list[GrantOut] = Field(
        description="Uprawnienia, które inne firmy nadały tej firmie (np. biuru)."
    )
    authorizations: list[GrantOut]
    personal: list[GrantOut]
    by_client: dict[str, list[str]] = Field(
        description="NIP klienta → uprawnienia, które nadał (widok biura)."
    )


class PersonGrantBody(Body):
    identifier: Identifier
    permissions: Rights
    first_name: str = Field(min_length=2, max_length=30)
    last_name: str = Field(min_length=2, max_length=81)
    description: Description = None


class EntityGrantBody(Body):
    nip: str = Field(min_length=10, max_length=13)
    permissions: Rights = Field(default_factory=lambda: ["InvoiceWrite", "InvoiceRead"])
    can_delegate: bool = Field(
        False, description="Czy podmiot może przekazać uprawnienia dalej (biuro → pracownicy)."
    )
    name: Name = None
    description: Description = None


class AuthorizationGrantBody(Body):
    nip: str = Field(min_length=10, max_length=13)
    kind: Literal["self_billing", "tax_representative", "rr", "pef"]
    name: Name = None
    description: Description = None


class IndirectGrantBody(Body):
    identifier: Identifier
    permissions: Rights = Field(default_factory=lambda: ["InvoiceWrite"])
    client_nip: str | None = Field(None, max_length=13, description="Brak: dla wszystkich klientów biura.")
    first_name: str = Field(min_length=2, max_length=30)
    last_name: str = Field(min_length=2, max_length=81)
    description: Description = None


class SubunitGrantBody(Body):
    identifier: Identifier
    subunit: str = Field(
        min_length=10, max_length=16, description="InternalId (NIP-nnnnn) albo NIP członka grupy."
    )
    subunit_name: str | None = Field(None, max_length=256)
    first_name: str = Field(min_length=2, max_length=30)
    last_name: str = Field(min_length=2, max_length=81)
    description: Description = None


class EuEntityGrantBody(Body):
    fingerprint: str = Field(min_length=64, max_length=64)
    permissions: Rights
    name: str = Field(min_length=5, max_length=90)
    address: str = Field("", max_length=512)
    description: Description = None


class EuAdminGrantBody(Body):
    fingerprint: str = Field(min_length=64, max_length=64)
    vat_ue: str = Field(
        min_length=4, max_length=20, description="Numer VAT UE podmiotu innego państwa (np. DE123456789)."
    )
    name: str = Field(min_length=5, max_length=90)
    address: str = Field("", max_length=512)
    description: Description = None


def _answer(result: OperationView, response: Response) -> OperationOut:
    if result.done and not result.ok:
        raise ApiProblem(409, "permission_operation_failed", result.message)
    if not result.done:
        response.status_code = 202
    return OperationOut.of(result)


@route("GET", "/companies/{company_id}/permissions", "listPermissions")
def granted(company_id: CompanyId, svc: Svc) -> list[GrantOut]:
    """Kto co może w KSeF w mojej firmie (osoby, podmioty, upoważnienia, jednostki)"""
    return [GrantOut.of(g) for g in svc.permissions.granted(company_id)]


@route("GET", "/companies/{company_id}/permissions/received", "receivedPermissions")
def received(company_id: CompanyId, svc: Svc) -> ReceivedOut:
    """Co nadali mi inni (biuro: co nadał każdy klient)"""
    view = svc.permissions.received(company_id)
    by_client = {nip: sorted({g.permission for g in gs}) for nip, gs in view.by_client().items()}
    return ReceivedOut.of(view, by_client=by_client)


@route("GET", "/companies/{company_id}/permissions/operations/{reference}", "permissionOperation")
def operation(
    company_id: CompanyId, reference: Annotated[str, Path(min_length=10, max_length=40)], svc: Svc
) -> OperationOut:
    """Stan operacji nadania lub odebrania uprawnień"""
    return OperationOut.of(svc.permissions.operation(company_id, reference))


# The grants, one route each: (kind in ``GRANT_KINDS``, path under …/permissions/, operation id, body);
# a body's fields are the grant's keyword fields.
_GRANT_ROUTES: tuple[tuple[str, str, str, type[Body]], ...] = (
    ("person", "persons", "grantPersonPermissions", PersonGrantBody),
    ("entity", "entities", "grantEntityPermissions", EntityGrantBody),
    ("authorization", "authorizations", "grantAuthorization", AuthorizationGrantBody),
    ("indirect", "indirect", "grantIndirectPermissions", IndirectGrantBody),
    ("subunit", "subunits", "grantSubunitAdministrator", SubunitGrantBody),
    ("eu_entity", "eu-entities", "grantEuEntityPermissions", EuEntityGrantBody),
    ("eu_admin", "eu-entities/administration", "grantEuEntityAdministration", EuAdminGrantBody),
)


def _grant_route(kind: str, path: str, operation_id: str, body_model: type[Body]) -> None:
    def make_grant(company_id: CompanyId, body: Any, svc: Svc, response: Response) -> OperationOut:
        return _answer(grant(svc.permissions, kind, company_id, body.model_dump()), response)

    make_grant.__annotations__ = {**make_grant.__annotations__, "body": body_model}
    path = f"/companies/{{company_id}}/permissions/{path}"
    route("POST", path, operation_id, summary=GRANT_KINDS[kind].title)(make_grant)


for _route in _GRANT_ROUTES:
    _grant_route(*_route)


@route("DELETE", "/companies/{company_id}/permissions/{permission_id}", "revokePermission")
def revoke(
    company_id: CompanyId,
    permission_id: PermissionId,
    svc: Svc,
    response: Response,
    authorization: bool = False,
) -> OperationOut:
    """Odbierz uprawnienie"""
    return _answer(svc.permissions.revoke(company_id, permission_id, authorization=authorization), response)
