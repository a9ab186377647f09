"""Authorization: the ONE place that decides whether an actor may do an action in a company.

Every service call goes through :func:`authorize` (with the open transaction), so the REST API, the
web app, the CLI and library users get the same answer. What each role may do is the table
:data:`ROLE_ACTIONS`; what each API-key scope allows is :data:`SCOPE_ACTIONS`. Docs: docs/app.md.

* A user acts in a company only through a membership with a role; no membership → the company (and
  everything in it) does not exist for them (:class:`NotFoundError`), so ids of other tenants leak
  nothing. A member whose role lacks the action gets :class:`PermissionDeniedError`.
* An API key acts only in its own company, with the union of its scopes.
* The system actor (CLI, worker, Python library on its own data directory) may do everything.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from fakturnik.app.actor import Actor
from fakturnik.errors import NotFoundError, PermissionDeniedError


class Role(StrEnum):
    OWNER = "owner"  # właściciel
    ACCOUNTANT = "accountant"  # księgowy
    ISSUER = "issuer"  # wystawiający
    VIEWER = "viewer"  # podgląd


ROLE_LABELS_PL: Final = {
    Role.OWNER: "właściciel",
    Role.ACCOUNTANT: "księgowy",
    Role.ISSUER: "wystawiający",
    Role.VIEWER: "podgląd",
}


class Action(StrEnum):
    COMPANY_VIEW = "company.view"  # see the company, its settings, availability, credential summaries
    COMPANY_ADMIN = "company.admin"  # KSeF environment, credentials, company data
    MEMBERS_MANAGE = "members.manage"  # invite, change roles, remove members
    API_KEYS_MANAGE = "api_keys.manage"  # create and revoke API keys
    WEBHOOKS_MANAGE = "webhooks.manage"
    INVOICES_READ = "invoices.read"  # lists, details, XML, UPO, history
    INVOICES_WRITE = "invoices.write"  # issue, correct, bulk
    PAYMENTS_WRITE = "payments.write"  # mark paid / partly paid
    RECEIVED_READ = "received.read"
    RECEIVED_WRITE = "received.write"  # mark booked / paid
    SYNC_RUN = "sync.run"  # download received invoices now, send now
    CONTRACTORS_READ = "contractors.read"
    CONTRACTORS_WRITE = "contractors.write"
    PRODUCTS_READ = "products.read"
    PRODUCTS_WRITE = "products.write"
    SERIES_READ = "series.read"
    SERIES_WRITE = "series.write"
    AUDIT_READ = "audit.read"
    # KSeF permissions and accounting offices (d16perm)
    PERMISSIONS_READ = "permissions.read"  # who may do what in the company in KSeF, what it was granted
    PERMISSIONS_MANAGE = "permissions.manage"  # grant and revoke in KSeF; the credential's office
    OFFICE_CONSOLE = "office.console"  # an office's table of its clients, bulk sync
    COLLECTIVE_CREATE = (
        "collective.create"  # collective identifiers through KSeF (one transfer, many invoices)
    )


A = Action
_READ: Final = frozenset(
    {A.COMPANY_VIEW, A.INVOICES_READ, A.RECEIVED_READ, A.CONTRACTORS_READ, A.PRODUCTS_READ, A.SERIES_READ}
)

ROLE_ACTIONS: Final[dict[Role, frozenset[Action]]] = {
    # everything, including who else may act and with which keys
    Role.OWNER: frozenset(Action),
    # the books: issues and corrects, books received invoices, payments, master data, audit; not the
    # company's credentials, members or keys
    Role.ACCOUNTANT: _READ
    | {
        A.INVOICES_WRITE,
        A.PAYMENTS_WRITE,
        A.RECEIVED_WRITE,
        A.SYNC_RUN,
        A.CONTRACTORS_WRITE,
        A.PRODUCTS_WRITE,
        A.SERIES_WRITE,
        A.AUDIT_READ,
        A.PERMISSIONS_READ,
        A.OFFICE_CONSOLE,
        A.COLLECTIVE_CREATE,
    },
    # sales: issues invoices, records payments, keeps contractors; reads the rest
    Role.ISSUER: _READ
    | {A.INVOICES_WRITE, A.PAYMENTS_WRITE, A.SYNC_RUN, A.CONTRACTORS_WRITE, A.COLLECTIVE_CREATE},
    # reads only
    Role.VIEWER: _READ,
}

SCOPES: Final = ("invoices:write", "invoices:read", "received:read", "company:admin")

SCOPE_ACTIONS: Final[dict[str, frozenset[Action]]] = {
    "invoices:write": frozenset(
        {
            A.COMPANY_VIEW,
            A.INVOICES_WRITE,
            A.PAYMENTS_WRITE,
            A.COLLECTIVE_CREATE,
            A.CONTRACTORS_READ,
            A.CONTRACTORS_WRITE,
            A.PRODUCTS_READ,
            A.SERIES_READ,
        }
    ),
    "invoices:read": frozenset({A.COMPANY_VIEW, A.INVOICES_READ}),
    "received:read": frozenset({A.COMPANY_VIEW, A.RECEIVED_READ, A.SYNC_RUN}),
    "company:admin": frozenset(
        {
            A.COMPANY_VIEW,
            A.COMPANY_ADMIN,
            A.WEBHOOKS_MANAGE,
            A.CONTRACTORS_READ,
            A.CONTRACTORS_WRITE,
            A.PRODUCTS_READ,
            A.PRODUCTS_WRITE,
            A.SERIES_READ,
            A.SERIES_WRITE,
            A.AUDIT_READ,
            A.SYNC_RUN,
            A.PERMISSIONS_READ,
            A.PERMISSIONS_MANAGE,
            A.OFFICE_CONSOLE,
        }
    ),
}


def role_allows(role: str, action: Action) -> bool:
    try:
        return action in ROLE_ACTIONS[Role(role)]
    except ValueError:
        return False


def scopes_allow(scopes: frozenset[str], action: Action) -> bool:
    return any(action in SCOPE_ACTIONS.get(scope, frozenset()) for scope in scopes)


def allowed_actions(actor: Actor, role: str | None) -> frozenset[Action]:
    """What the actor may do in a company where it has ``role`` (None: no membership) — for menus."""
    if actor.is_system:
        return frozenset(Action)
    if actor.kind == "api_key":
        return frozenset(a for a in Action if scopes_allow(actor.scopes, a))
    if role is None:
        return frozenset()
    try:
        return ROLE_ACTIONS[Role(role)]
    except ValueError:
        return frozenset()


def membership_role(s: Session, user_id: int, company_id: int) -> str | None:
    from fakturnik.store.models import Membership

    return s.scalar(
        select(Membership.role).where(Membership.user_id == user_id, Membership.company_id == company_id)
    )


def company_ids(s: Session, actor: Actor) -> list[int]:
    """The companies the actor acts for, by id (system: all; a key: its company; a user: memberships)."""
    from fakturnik.store.models import Company, Membership

    if actor.is_system:
        return list(s.scalars(select(Company.id).order_by(Company.id)))
    if actor.kind == "api_key":
        return [actor.company_id] if actor.company_id is not None else []
    return list(
        s.scalars(
            select(Membership.company_id)
            .where(Membership.user_id == actor.user_id)
            .order_by(Membership.company_id)
        )
    )


def authorize(s: Session, actor: Actor, company_id: int, action: Action) -> None:
    """Raise unless ``actor`` may do ``action`` in company ``company_id`` (which must exist).

    :class:`NotFoundError` when the company is not one the actor acts for (never "forbidden": that
    would tell another tenant the company exists); :class:`PermissionDeniedError` when it is, but the
    role or the key's scopes do not include the action.
    """
    if actor.is_system:
        return
    if actor.kind == "api_key":
        if actor.company_id != company_id:
            raise NotFoundError("nie ma takiej firmy")
        if not scopes_allow(actor.scopes, action):
            raise PermissionDeniedError(f"klucz API nie ma uprawnienia do tej operacji ({action.value})")
        return
    if actor.kind == "user" and actor.user_id is not None:
        role = membership_role(s, actor.user_id, company_id)
        if role is None:
            raise NotFoundError("nie ma takiej firmy")
        if not role_allows(role, action):
            label = ROLE_LABELS_PL.get(Role(role), role) if role in Role._value2member_map_ else role
            raise PermissionDeniedError(f"rola „{label}” nie pozwala na tę operację ({action.value})")
        return
    raise PermissionDeniedError("nieznany rodzaj użytkownika")


def require_system(actor: Actor) -> None:
    """Operations on the whole installation (all companies, the worker): the system actor only."""
    if not actor.is_system:
        raise PermissionDeniedError("operacja dostępna tylko lokalnie (administrator instalacji)")
