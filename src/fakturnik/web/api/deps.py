"""How routes reach the app layer: the ``Fakturnik`` bound to the running app, and the caller's services.

Every API route takes ``svc: Svc`` — the app's services acting as the authenticated caller (API key or
session, see ``fakturnik.web.security``). Authorization is the app's (``fakturnik.app.access``):
routes never check roles, they pass ids and the app answers ``not_found`` / ``forbidden``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Request

from fakturnik.app.core import Fakturnik, Services
from fakturnik.errors import AuthenticationError
from fakturnik.web.security import api_actor

if TYPE_CHECKING:
    from fakturnik.app.actor import Actor


class AppAccounts:
    """The security layer's ``Authenticator`` over the app's accounts and API keys."""

    def __init__(self, fk: Fakturnik, session_hours: float = 12.0) -> None:
        self.fk = fk
        self.session_ttl = timedelta(hours=session_hours)

    def actor_for_api_key(self, token: str) -> Actor | None:
        try:
            return self.fk.api_keys.authenticate(token)
        except AuthenticationError:
            return None

    def actor_for_session(self, token: str) -> Actor | None:
        return self.fk.accounts.actor_for_session(token)

    def create_session(self, actor: Any) -> str:
        if actor.user_id is None:
            raise AuthenticationError("sesję można rozpocząć tylko dla użytkownika")
        token: str = self.fk.accounts.create_session(actor.user_id, ttl=self.session_ttl).token
        return token

    def end_session(self, token: str) -> None:
        self.fk.accounts.end_session(token)


def bind_services(app: FastAPI, runtime: Any) -> None:
    app.state.fakturnik = runtime.fk
    app.state.authenticator = AppAccounts(runtime.fk, runtime.settings.session_hours)


def fakturnik(request: Request) -> Fakturnik:
    fk: Fakturnik = request.app.state.fakturnik
    return fk


def services(request: Request, actor: Annotated[Any, Depends(api_actor)]) -> Services:
    """The app's services acting as the caller (one dependency every API route goes through)."""
    return fakturnik(request).acting_as(actor)


Svc = Annotated[Services, Depends(services)]
