"""Who is asking and for which company: the one request context every page of the UI starts from.

The caller comes from the session cookie (``fakturnik.web.security.current_actor``), the services
from the running app (``request.app.state.fakturnik``). The UI never decides who may do what: it asks
``fakturnik.app.access.allowed_actions`` only to hide buttons and menus; the services refuse anyway.
The chosen company is a plain cookie with its id; a company the user is not a member of simply is
not found by the services, so the cookie grants nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request

from fakturnik.app.access import ROLE_LABELS_PL, Action, Role, allowed_actions
from fakturnik.app.actor import Actor
from fakturnik.web import security

__all__ = ["COMPANY_COOKIE", "LoginRequired", "MenuItem", "Ui", "get_ui", "menu_for"]

COMPANY_COOKIE = "fakturnik_company"


class LoginRequired(Exception):
    """Raised by :func:`get_ui` for a page that needs a signed-in user; answered with a redirect."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    href: str


_MENU: tuple[tuple[str, str, str, Action], ...] = (
    ("invoices", "Faktury", "/faktury", Action.INVOICES_READ),
    ("new", "Nowa faktura", "/faktury/nowa", Action.INVOICES_WRITE),
    ("received", "Otrzymane", "/otrzymane", Action.RECEIVED_READ),
    ("collective", "Płatności zbiorcze", "/platnosci-zbiorcze", Action.INVOICES_READ),
    ("contractors", "Kontrahenci", "/kontrahenci", Action.CONTRACTORS_READ),
    ("products", "Produkty", "/produkty", Action.PRODUCTS_READ),
    ("permissions", "Uprawnienia KSeF", "/uprawnienia", Action.PERMISSIONS_READ),
    ("office", "Biuro", "/biuro", Action.OFFICE_CONSOLE),
    ("settings", "Ustawienia", "/ustawienia", Action.COMPANY_VIEW),
)


def menu_for(actions: frozenset[Action]) -> list[MenuItem]:
    return [MenuItem(key, label, href) for key, label, href, action in _MENU if action in actions]


@dataclass
class Ui:
    """The request context of a page: the app's services as the caller, the company, the menu."""

    request: Request
    actor: Actor
    svc: Any  # fakturnik.app.core.Services bound to the actor
    fk: Any
    companies: list[Any] = field(default_factory=list)  # MembershipView
    company: Any = None  # CompanyView of the chosen company, or None (no company yet)
    role: str | None = None
    actions: frozenset[Action] = frozenset()

    @property
    def company_id(self) -> int:
        if self.company is None:
            raise LoginRequired("/kreator")
        return int(self.company.id)

    def can(self, action: Action | str) -> bool:
        return Action(action) in self.actions

    def context(self, active: str = "", **values: Any) -> dict[str, Any]:
        """Everything the layout needs, plus ``values``."""
        role_label = ""
        if self.role is not None and self.role in Role._value2member_map_:
            role_label = ROLE_LABELS_PL[Role(self.role)]
        outage = None
        if self.company is not None and self.can(Action.COMPANY_VIEW):
            outage = _outage(self)
        token_days = _token_days(self) if self.company is not None else None
        return {
            "user": _user(self),
            "company": self.company,
            "companies": [_CompanyChoice(m.company_id, m.company_name) for m in self.companies],
            "role": self.role,
            "role_label": role_label,
            "menu": menu_for(self.actions),
            "active": active,
            "csrf": security.csrf_token(self.request),
            "outage": outage,
            "token_days": token_days,
            "environment": getattr(self.company, "environment", ""),
            "can": self.can,
            **values,
        }


@dataclass(frozen=True)
class _CompanyChoice:
    id: int
    name: str


@dataclass(frozen=True)
class _Outage:
    since: Any
    deadline: Any


def _outage(ui: Ui) -> _Outage | None:
    try:
        availability = ui.svc.ksef.availability(ui.company_id)
    except Exception:
        return None
    if not getattr(availability, "outage", False) and not getattr(availability, "offline_issuing", False):
        return None
    return _Outage(since=availability.since, deadline=availability.next_deadline)


def _token_days(ui: Ui) -> int | None:
    """Days left until KSeF tokens stop working, while the current company still logs in with one."""
    credential = getattr(ui.company, "credential", None)
    if credential is None or credential.kind != "ksef_token":
        return None
    try:
        deadline = ui.svc.credentials.token_deadline(ui.company_id)
    except Exception:
        return None
    return int(deadline.days_left) if deadline.active else None


def _user(ui: Ui) -> Any:
    cached = ui.request.scope.get("fakturnik_ui_user")
    if cached is None:
        try:
            cached = ui.svc.accounts.me()
        except Exception:
            cached = _AnonymousName(ui.actor.label)
        ui.request.scope["fakturnik_ui_user"] = cached
    return cached


@dataclass(frozen=True)
class _AnonymousName:
    email: str
    name: str = ""


def fakturnik_of(request: Request) -> Any:
    fk = getattr(request.app.state, "fakturnik", None)
    if fk is None:
        raise RuntimeError("the app layer is not bound to this server (app.state.fakturnik)")
    return fk


def get_actor(request: Request) -> Actor:
    """FastAPI dependency of fragments that need a signed-in caller but no company data (live totals)."""
    actor = security.current_actor(request)
    if actor is None:
        raise LoginRequired(request.url.path)
    return actor  # type: ignore[no-any-return]


def get_ui(request: Request) -> Ui:
    """FastAPI dependency of every page behind the login."""
    actor = security.current_actor(request)
    if actor is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    fk = fakturnik_of(request)
    svc = fk.acting_as(actor)
    ui = Ui(request=request, actor=actor, svc=svc, fk=fk)
    ui.companies = list(svc.accounts.companies_of())
    wanted = request.cookies.get(COMPANY_COOKIE, "")
    chosen = next((m for m in ui.companies if str(m.company_id) == wanted), None)
    if chosen is None and ui.companies:
        chosen = ui.companies[0]
    if chosen is not None:
        ui.company = svc.companies.get(chosen.company_id)
        ui.role = chosen.role
    ui.actions = allowed_actions(actor, ui.role)
    return ui


def login_url(next_url: str) -> str:
    return "/logowanie?next=" + quote(next_url, safe="/")


UiDep = Annotated[Ui, Depends(get_ui)]
"""What every page handler takes: the signed-in user's view of the chosen company."""
