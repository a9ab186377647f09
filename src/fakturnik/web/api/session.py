"""Sign-in for browser clients of the API: a session cookie and its CSRF token.

Throttled per account and per client address (``fakturnik.web.security``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import Field

from fakturnik.app.views import UserView
from fakturnik.errors import AuthenticationError
from fakturnik.web.api.common import ERRORS, Body, Routes
from fakturnik.web.api.deps import fakturnik
from fakturnik.web.api.problems import ApiProblem
from fakturnik.web.security import (
    check_login_allowed,
    check_same_origin,
    csrf_token,
    record_login_failure,
    record_login_success,
    sign_in,
    sign_out,
)

router = APIRouter(tags=["sesja"])
route = Routes(router)


class Login(Body):
    email: str = Field(max_length=320, examples=["anna@firma.pl"])
    password: str = Field(max_length=1024)
    totp: str | None = Field(None, max_length=12, description="Kod TOTP, gdy włączono drugi składnik.")


class SessionOut(Body):
    user: UserView
    csrf_token: str = Field(description="Wysyłaj w nagłówku X-CSRF-Token przy POST/PUT/PATCH/DELETE.")


@route(
    "POST",
    "/session",
    "signIn",
    responses={**ERRORS, 429: ERRORS[401] | {"description": "Zbyt wiele nieudanych prób (Retry-After)."}},
)
def sign_in_route(body: Login, request: Request, response: Response) -> SessionOut:
    """Zaloguj (ciasteczko sesji + token CSRF)"""
    check_same_origin(request)
    check_login_allowed(request, body.email)
    fk = fakturnik(request)
    try:
        actor = fk.accounts.authenticate(body.email, body.password, body.totp)
    except AuthenticationError:
        record_login_failure(request, body.email)
        raise ApiProblem(401, "invalid_credentials", "Nieprawidłowy e-mail, hasło albo kod.") from None
    record_login_success(request, body.email)
    sign_in(request, response, actor)
    user = fk.acting_as(actor).accounts.me()
    return SessionOut(user=user, csrf_token=csrf_token(request))


@route("DELETE", "/session", "signOut", responses=ERRORS, status_code=204)
def sign_out_route(request: Request) -> Response:
    """Wyloguj"""
    response = Response(status_code=204)
    sign_out(request, response)
    return response
