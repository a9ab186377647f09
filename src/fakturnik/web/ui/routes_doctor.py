"""The certificates page (enroll, renew, revoke, the renewal margin, the first login) and the health check
page of the current company: thin faces of ``fk.certificates`` and ``fk.doctor``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from fakturnik.app.access import Action
from fakturnik.errors import FakturnikError, InputError
from fakturnik.web.ui.deps import Ui, UiDep
from fakturnik.web.ui.routing import ui_router
from fakturnik.web.ui.templating import render

router = ui_router()

STATUS_PILLS = {"ok": "pill-green", "warn": "pill-amber", "error": "pill-red", "skip": "pill-grey"}
STATUS_WORDS = {"ok": "OK", "warn": "uwaga", "error": "do naprawy", "skip": "pominięto"}
CERT_PILLS = {"Active": "pill-green", "Expired": "pill-red", "Revoked": "pill-red", "Blocked": "pill-amber"}
MAX_SIGNED = 1024 * 1024


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    message: str


def _page(
    ui: Ui, outcome: _Outcome | None = None, *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    from fakturnik.errors import PermissionDeniedError

    if not ui.can(Action.COMPANY_VIEW):
        raise PermissionDeniedError("brak dostępu do ustawień tej firmy")
    certificates = ui.svc.certificates.list(ui.company_id)
    policy = ui.svc.certificates.policy(ui.company_id)
    credential = ui.svc.companies.credential(ui.company_id)
    context = ui.context(
        "settings",
        certificates=certificates,
        policy=policy,
        credential=credential,
        outcome=outcome,
        errors=errors or {},
        can_admin=ui.can(Action.COMPANY_ADMIN),
        cert_pills=CERT_PILLS,
    )
    return render(ui.request, "certificates.html", context, status_code=status)


@router.get("/ustawienia/certyfikaty")
def certificates_page(ui: UiDep) -> Response:
    return _page(ui)


async def _signed_file(request: Request) -> tuple[dict[str, Any], bytes | None]:
    from starlette.datastructures import UploadFile

    data = await request.form(max_fields=20, max_files=1, max_part_size=MAX_SIGNED)
    upload = data.get("signed")
    signed = await upload.read() if isinstance(upload, UploadFile) and upload.filename else None
    return {k: v for k, v in data.items() if isinstance(v, str)}, signed or None


def _result(ui: Ui, call: Any) -> Response:
    try:
        result = call()
    except InputError as exc:
        return _page(ui, _Outcome(False, str(exc)), status=422)
    except FakturnikError as exc:
        return _page(ui, _Outcome(False, str(exc)), status=409)
    ui.company = ui.svc.companies.get(ui.company_id)  # the layout's banner sees a switch
    return _page(ui, _Outcome(result.ok, result.message), status=200 if result.ok else 409)


@router.post("/ustawienia/certyfikaty/wystaw")
async def enroll(request: Request, ui: UiDep) -> Response:
    form, signed = await _signed_file(request)
    types = [t for t in ("Authentication", "Offline") if form.get(t.lower()) == "1"] or [
        "Authentication",
        "Offline",
    ]
    return _result(ui, lambda: ui.svc.certificates.enroll(ui.company_id, types, signed_request=signed))


@router.post("/ustawienia/certyfikaty/odnow")
def renew(ui: UiDep) -> Response:
    return _result(ui, lambda: ui.svc.certificates.renew(ui.company_id, force=True))


@router.post("/ustawienia/certyfikaty/odswiez")
def refresh(ui: UiDep) -> Response:
    try:
        ui.svc.certificates.refresh(ui.company_id)
    except FakturnikError as exc:
        return _page(ui, _Outcome(False, f"KSeF nie odpowiedział: {exc}"), status=409)
    return _page(ui, _Outcome(True, "Stan certyfikatów pobrany z KSeF."))


@router.post("/ustawienia/certyfikaty/uniewaznij")
async def revoke(request: Request, ui: UiDep) -> Response:
    data = await request.form(max_fields=10, max_files=0)
    serial = str(data.get("serial", ""))[:32]
    reason = str(data.get("reason", "Superseded"))[:32]
    return _result(ui, lambda: ui.svc.certificates.revoke(ui.company_id, serial, reason=reason))


@router.post("/ustawienia/certyfikaty/zasady")
async def policy(request: Request, ui: UiDep) -> Response:
    data = await request.form(max_fields=10, max_files=0)
    text = str(data.get("margin_days", "")).strip()
    if not text.isdigit() or not 1 <= int(text) <= 365:
        return _page(ui, errors={"margin_days": "Podaj liczbę dni od 1 do 365."}, status=422)
    try:
        ui.svc.certificates.set_policy(
            ui.company_id, margin_days=int(text), auto_renew=data.get("auto_renew") == "1"
        )
    except InputError as exc:
        return _page(ui, errors={"margin_days": str(exc)}, status=422)
    return RedirectResponse("/ustawienia/certyfikaty?zapisano=1", status_code=303)


@router.get("/diagnostyka")
def doctor_page(ui: UiDep) -> Response:
    health = ui.svc.doctor.check(ui.company_id)
    context = ui.context(
        "settings",
        health=health,
        pills=STATUS_PILLS,
        words=STATUS_WORDS,
        can_admin=ui.can(Action.COMPANY_ADMIN),
    )
    return render(ui.request, "doctor.html", context, status_code=200)
