"""A new account and the setup wizard of a real company: NIP → white list → environment → credentials →
connection test. Every step is a plain form (works without scripts); the services decide and refuse."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import ConflictError, FakturnikError, InputError, NotFoundError
from fakturnik.web import security
from fakturnik.web.ui.deps import COMPANY_COOKIE, Ui, UiDep, fakturnik_of
from fakturnik.web.ui.routing import ui_router
from fakturnik.web.ui.templating import render

router = ui_router()

ENVIRONMENTS = (
    ("test", "Testowe KSeF (faktury bez skutków prawnych)"),
    ("demo", "Przedprodukcyjne KSeF (demo)"),
    ("prod", "Produkcyjne KSeF"),
    ("local", "Symulator KSeF na tym komputerze"),
)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


async def _form(request: Request) -> dict[str, Any]:
    data = await request.form(max_fields=50, max_files=2, max_part_size=256 * 1024)
    return dict(data.items())


def _text(data: dict[str, Any], name: str, limit: int = 512) -> str:
    value = data.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


# --- a new account -------------------------------------------------------------------------------


def _register_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {"csrf": security.csrf_token(request), "form": form or {}, "errors": errors or {}, "user": None}
    return render(request, "register.html", context, status_code=status)


@router.get("/rejestracja")
def register_form(request: Request) -> Response:
    return _register_page(request)


@router.post("/rejestracja")
async def register(request: Request) -> Response:
    data = await _form(request)
    form = {"email": _text(data, "email", 320), "name": _text(data, "name", 200)}
    password, password2 = _text(data, "password", 1024), _text(data, "password2", 1024)
    errors: dict[str, str] = {}
    if not _EMAIL.match(form["email"]):
        errors["email"] = "Podaj poprawny adres e-mail."
    if len(password) < 10:
        errors["password"] = "Hasło musi mieć co najmniej 10 znaków."  # noqa: S105 - a message
    elif password != password2:
        errors["password2"] = "Hasła nie są takie same."
    fk = fakturnik_of(request)
    if not errors:
        try:
            fk.accounts.register_user(form["email"], password, name=form["name"])
        except ConflictError:
            errors["email"] = "Konto z tym adresem już istnieje — zaloguj się."
        except InputError as exc:
            errors["password"] = exc.problems[0].message if exc.problems else str(exc)
    if errors:
        return _register_page(request, form=form, errors=errors, status=422)
    actor = fk.accounts.authenticate(form["email"], password)
    response = RedirectResponse("/kreator", status_code=303)
    security.sign_in(request, response, actor)
    return response


# --- the wizard ----------------------------------------------------------------------------------------


def _wizard(ui: Ui, step: int, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
            status: int = 200, **values: Any) -> Response:  # fmt: skip
    context = ui.context(
        "settings",
        step=step,
        form=form or {},
        errors=errors or {},
        environments=list(ENVIRONMENTS),
        **values,
    )
    return render(ui.request, "wizard.html", context, status_code=status)


@router.get("/kreator")
def wizard_start(ui: UiDep) -> Response:
    return _wizard(ui, 1)


@router.post("/kreator/nip")
async def wizard_nip(request: Request, ui: UiDep) -> Response:
    from stdnum.pl import nip as pl_nip

    from fakturnik.app.whitelist import entry_from_json

    data = await _form(request)
    nip = re.sub(r"[\s-]", "", _text(data, "nip", 20)).removeprefix("PL")
    if not pl_nip.is_valid(nip):
        message = "Niepoprawny NIP (10 cyfr z poprawną cyfrą kontrolną)."
        return _wizard(ui, 1, form={"nip": nip}, errors={"nip": message}, status=422)
    form = {"nip": nip, "name": "", "address": "", "environment": "test"}
    note = ""
    try:
        today = warsaw_today()
        entry = entry_from_json(ui.fk.white_list().search_nip(nip, today), nip, today)
    except NotFoundError:
        note = "Tego NIP nie ma na białej liście podatników VAT; wpisz dane firmy ręcznie."
    except FakturnikError:
        note = "Biała lista nie odpowiada; wpisz dane firmy ręcznie."
    else:
        form["name"], form["address"] = entry.name, entry.address
        note = f"Dane z białej listy VAT (status: {entry.status_vat or 'nieznany'})."
    return _wizard(ui, 2, form=form, note=note)


@router.post("/kreator/firma")
async def wizard_company(request: Request, ui: UiDep) -> Response:
    data = await _form(request)
    form = {k: _text(data, k) for k in ("nip", "name", "address", "environment", "email", "bank_account")}
    errors: dict[str, str] = {}
    if not form["name"]:
        errors["name"] = "Podaj nazwę firmy."
    if form["environment"] not in dict(ENVIRONMENTS):
        errors["environment"] = "Wybierz środowisko KSeF."
    if form["email"] and not _EMAIL.match(form["email"]):
        errors["email"] = "Niepoprawny adres e-mail."
    if not errors:
        try:
            company = ui.svc.companies.add(
                nip=form["nip"], name=form["name"], environment=form["environment"], address=form["address"],
                email=form["email"], bank_account=re.sub(r"\s", "", form["bank_account"]),
            )  # fmt: skip
        except (ConflictError, InputError) as exc:
            problems = getattr(exc, "problems", None)
            if problems:
                errors.update({p.path or "nip": p.message for p in problems})
            else:
                errors["nip"] = str(exc)
    if errors:
        return _wizard(ui, 2, form=form, errors=errors, status=422)
    target = (
        f"/kreator/{company.id}/polaczenie"
        if company.credential is not None
        else f"/kreator/{company.id}/dostep"
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COMPANY_COOKIE, str(company.id), httponly=True, samesite="lax", path="/")
    return response


@router.get("/kreator/{company_id}/dostep")
def wizard_credentials_form(ui: UiDep, company_id: int) -> Response:
    return _wizard(ui, 3, target=ui.svc.companies.get(company_id))


@router.post("/kreator/{company_id}/dostep")
async def wizard_credentials(request: Request, ui: UiDep, company_id: int) -> Response:
    data = await _form(request)
    target = ui.svc.companies.get(company_id)
    errors: dict[str, str] = {}
    token = _text(data, "token", 4096)
    cert, key = data.get("cert"), data.get("key")
    try:
        if token:
            ui.svc.companies.set_ksef_token(company_id, token)
        elif isinstance(cert, UploadFile) and isinstance(key, UploadFile) and cert.filename and key.filename:
            cert_pem, key_pem = await cert.read(), await key.read()
            password = _text(data, "key_password", 1024) or None
            ui.svc.companies.set_certificate(company_id, cert_pem, key_pem, password=password)
        else:
            errors["token"] = "Wklej token KSeF albo wybierz plik certyfikatu i klucza."  # noqa: S105
    except InputError as exc:
        errors["token"] = exc.problems[0].message if exc.problems else str(exc)
    except FakturnikError as exc:
        errors["token"] = f"Nie udało się zapisać poświadczenia: {exc}"
    if errors:
        return _wizard(ui, 3, errors=errors, target=target, status=422)
    return RedirectResponse(f"/kreator/{company_id}/polaczenie", status_code=303)


@router.get("/kreator/{company_id}/polaczenie")
def wizard_check(ui: UiDep, company_id: int) -> Response:
    target = ui.svc.companies.get(company_id)
    result = ui.svc.ksef.check_connection(company_id)  # logs in to KSeF with the stored credential now
    steps = [(step.label, bool(step.ok), step.message) for step in result.steps]
    ok = bool(result.ok)
    return _wizard(ui, 4, target=target, steps=steps, ok=ok)
