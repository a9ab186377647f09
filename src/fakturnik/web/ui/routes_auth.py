"""Sign in, sign out, switch company."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse

from fakturnik.errors import AuthenticationError, FakturnikError, InputError
from fakturnik.web import security
from fakturnik.web.ui.deps import COMPANY_COOKIE, UiDep, fakturnik_of
from fakturnik.web.ui.routing import ui_router
from fakturnik.web.ui.templating import render

router = ui_router()


def _safe_next(value: str) -> str:
    """Only local paths: never an open redirect."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return "/faktury"
    return value


def _login_page(
    request: Request, *, email: str = "", error: str = "", next_url: str = "", status: int = 200
) -> Response:
    from fakturnik.web.ui.demo import current

    demo = current()
    context = {
        "csrf": security.csrf_token(request),
        "email": email,
        "error": error,
        "next": next_url,
        "demo_hint": demo,
        "user": None,
    }
    return render(request, "login.html", context, status_code=status)


@router.get("/logowanie")
def login_form(request: Request, next: str = "/faktury") -> Response:
    if security.current_actor(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next_url=_safe_next(next))


@router.post("/logowanie")
def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=500)] = "/faktury",
) -> Response:
    email = email.strip()
    target = _safe_next(next)
    if not email or not password:
        return _login_page(
            request, email=email, error="Podaj adres e-mail i hasło.", next_url=target, status=422
        )
    try:
        security.check_login_allowed(request, email)
    except security.LoginThrottled as exc:
        text = f"Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za {exc.retry_after} s."
        return _login_page(request, email=email, error=text, next_url=target, status=429)
    fk = fakturnik_of(request)
    try:
        actor = fk.accounts.authenticate(email, password)
    except AuthenticationError:
        security.record_login_failure(request, email)
        return _login_page(
            request, email=email, error="Nieprawidłowy e-mail lub hasło.", next_url=target, status=401
        )
    security.record_login_success(request, email)
    response = RedirectResponse(target, status_code=303)
    security.sign_in(request, response, actor)
    return response


@router.post("/wyloguj")
def logout(request: Request) -> Response:
    response = RedirectResponse("/logowanie", status_code=303)
    security.sign_out(request, response)
    response.delete_cookie(COMPANY_COOKIE, path="/")
    return response


@router.post("/firma/przelacz")
def switch_company(ui: UiDep, company_id: Annotated[int, Form()]) -> Response:
    response = RedirectResponse("/faktury", status_code=303)
    if any(m.company_id == company_id for m in ui.companies):
        response.set_cookie(COMPANY_COOKIE, str(company_id), httponly=True, samesite="lax", path="/")
    return response


@router.get("/")
def home(request: Request) -> Response:
    if security.current_actor(request) is None:
        return RedirectResponse("/logowanie", status_code=303)
    return RedirectResponse("/faktury", status_code=303)


def _invitation(request: Request, token: str) -> Any:
    """The invitation behind the link; None when it expired or never was."""
    try:
        return fakturnik_of(request).accounts.invitation(token[:200])
    except FakturnikError:
        return None


_NO_INVITATION = "Zaproszenie wygasło albo jest nieprawidłowe."


@router.get("/zaproszenie/{token}")
def invitation_form(request: Request, token: str) -> Response:
    invitation = _invitation(request, token)
    if invitation is None:
        return _invitation_page(request, token, None, error=_NO_INVITATION, status=404)
    return _invitation_page(request, token, invitation)


def _invitation_page(
    request: Request,
    token: str,
    invitation: Any,
    *,
    error: str = "",
    errors: dict[str, str] | None = None,
    name: str = "",
    status: int = 200,
) -> Response:
    context = {
        "csrf": security.csrf_token(request),
        "token": token,
        "invitation": invitation,
        "error": error,
        "errors": errors or {},
        "name": name,
        "user": None,
    }
    return render(request, "invitation.html", context, status_code=status)


@router.post("/zaproszenie/{token}")
def invitation_accept(
    request: Request,
    token: str,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    password2: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    invitation = _invitation(request, token)
    if invitation is None:
        return _invitation_page(request, token, None, error=_NO_INVITATION, status=404)
    errors: dict[str, str] = {}
    if len(password) < 10:
        errors["password"] = "Hasło musi mieć co najmniej 10 znaków."  # noqa: S105 - a message
    elif password != password2:
        errors["password2"] = "Hasła nie są takie same."
    if errors:
        return _invitation_page(request, token, invitation, errors=errors, name=name, status=422)
    try:
        actor = fakturnik_of(request).accounts.accept_invitation(
            token[:200], password=password, name=name.strip()
        )
    except InputError as exc:
        return _invitation_page(
            request, token, invitation, errors={"password": str(exc)}, name=name, status=422
        )
    except FakturnikError as exc:
        return _invitation_page(request, token, invitation, error=str(exc), name=name, status=409)
    response = RedirectResponse("/faktury", status_code=303)
    security.sign_in(request, response, actor)
    response.set_cookie(COMPANY_COOKIE, str(invitation.company_id), httponly=True, samesite="lax", path="/")
    return response
