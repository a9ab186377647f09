"""The KSeF permissions page and the accounting office's console (thin faces of ``fk.permissions`` /
``fk.offices``): who may do what in my company, what others granted me, grant and revoke, and the
office's table of its clients with bulk sync."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from fakturnik.app.access import Action
from fakturnik.app.grant_kinds import GRANT_KINDS, grant
from fakturnik.app.offices import ConsoleFilter
from fakturnik.app.permission_rules import AUTHORIZATION_LABELS_PL, GRANTABLE, permission_label
from fakturnik.errors import FakturnikError, InputError
from fakturnik.web.ui.deps import Ui, UiDep
from fakturnik.web.ui.routing import ui_router
from fakturnik.web.ui.templating import render

router = ui_router()

AUTHORIZATION_CHOICES = (
    ("self_billing", AUTHORIZATION_LABELS_PL["SelfInvoicing"]),
    ("tax_representative", AUTHORIZATION_LABELS_PL["TaxRepresentative"]),
    ("rr", AUTHORIZATION_LABELS_PL["RRInvoicing"]),
    ("pef", AUTHORIZATION_LABELS_PL["PefInvoicing"]),
)


async def _form(request: Request) -> tuple[dict[str, str], list[str]]:
    data = await request.form(max_fields=60, max_files=0)
    fields = {k: str(v).strip() for k, v in data.items() if isinstance(v, str)}
    rights = [str(v) for v in data.getlist("permission") if isinstance(v, str)][:10]
    return fields, rights


def _errors(exc: InputError) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in exc.problems:
        key = (p.path or "general").split("[", 1)[0].split(".", 1)[0]
        out.setdefault(key, p.message)
    return out


def _safe(ui: Ui, call: Any) -> tuple[Any, str]:
    try:
        return call(), ""
    except FakturnikError as exc:
        return None, str(exc)


def _permissions_page(
    ui: Ui,
    *,
    form_name: str = "",
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    note: str = "",
    note_ok: bool = True,
    status: int = 200,
) -> Response:
    cid = ui.company_id
    granted, granted_error = _safe(ui, lambda: ui.svc.permissions.granted(cid))
    received, received_error = _safe(ui, lambda: ui.svc.permissions.received(cid))
    coworkers, _ = _safe(ui, lambda: ui.svc.coworkers.certificates(cid))
    context = ui.context(
        "permissions",
        granted=granted or (),
        granted_error=granted_error,
        received=received,
        received_error=received_error,
        form_name=form_name,
        form=form or {},
        errors=errors or {},
        note=note or ui.request.query_params.get("wynik", "")[:300],
        note_ok=note_ok if note else ui.request.query_params.get("ok", "1") == "1",
        can_manage=ui.can(Action.PERMISSIONS_MANAGE),
        person_rights=[(p, permission_label(p)) for p in GRANTABLE["person"]],
        entity_rights=[(p, permission_label(p)) for p in GRANTABLE["entity"]],
        authorization_choices=AUTHORIZATION_CHOICES,
        coworkers=coworkers or (),
        me_id=ui.actor.user_id,
    )
    return render(ui.request, "permissions/index.html", context, status_code=status)


@router.get("/uprawnienia")
def permissions_page(ui: UiDep) -> Response:
    if not ui.can(Action.PERMISSIONS_READ):
        ui.svc.permissions.granted(ui.company_id)  # the service refuses with the role's reason
    return _permissions_page(ui)


def _after(ui: Ui, form_name: str, form: dict[str, str], call: Any) -> Response:
    try:
        result = call()
    except InputError as exc:
        return _permissions_page(ui, form_name=form_name, form=form, errors=_errors(exc), status=422)
    except FakturnikError as exc:
        return _permissions_page(ui, form_name=form_name, form=form, note=str(exc), note_ok=False, status=409)
    ok = "1" if result.ok or not result.done else "0"
    text = result.message if result.done else f"{result.message} (operacja {result.reference})"
    return RedirectResponse(f"/uprawnienia?ok={ok}&wynik={quote(text)}", status_code=303)


# The grant forms of the page: (path under /uprawnienia/, kind in ``GRANT_KINDS`` = the form's name,
# the rights granted when none is ticked). Form fields carry the grant's keyword names.
_GRANT_FORMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("podmiot", "entity", ()),
    ("osoba", "person", ()),
    ("upowaznienie", "authorization", ()),
    ("posrednie", "indirect", ("InvoiceWrite",)),
)


def _grant_form(path: str, kind: str, default_rights: tuple[str, ...]) -> None:
    async def make_grant(request: Request, ui: UiDep) -> Response:
        form, rights = await _form(request)
        fields: dict[str, Any] = {}
        for name in GRANT_KINDS[kind].fields:
            if name == "permissions":
                fields[name] = rights or list(default_rights)
            elif name == "can_delegate":
                fields[name] = form.get(name) == "1"
            else:
                fields[name] = form.get(name, "")
        return _after(ui, kind, form, lambda: grant(ui.svc.permissions, kind, ui.company_id, fields))

    router.post(f"/uprawnienia/{path}", name=f"grant_{kind}")(make_grant)


for _form_row in _GRANT_FORMS:
    _grant_form(*_form_row)


@router.post("/uprawnienia/{permission_id}/odbierz")
async def revoke(request: Request, ui: UiDep, permission_id: str) -> Response:
    form, _ = await _form(request)
    return _after(
        ui,
        "",
        {},
        lambda: ui.svc.permissions.revoke(
            ui.company_id, permission_id[:64], authorization=form.get("authorization") == "1"
        ),
    )


@router.post("/uprawnienia/moj-certyfikat")
async def my_certificate(request: Request, ui: UiDep) -> Response:
    """A co-worker stores their own KSeF certificate for this company (PEM pasted into the form)."""
    data = await request.form(max_fields=10, max_files=0)
    fields = {k: str(v) for k, v in data.items() if isinstance(v, str)}
    form = {"certificate_pem": fields.get("certificate_pem", "")[:64_000]}
    if ui.actor.user_id is None:
        return _permissions_page(ui, note="Tylko zalogowany użytkownik.", note_ok=False, status=403)
    try:
        ui.svc.coworkers.add_certificate(
            ui.company_id,
            ui.actor.user_id,
            form["certificate_pem"].encode(),
            fields.get("private_key_pem", "")[:64_000].encode(),
            fields.get("password") or None,
        )
    except InputError as exc:
        return _permissions_page(ui, form_name="coworker", form=form, errors=_errors(exc), status=422)
    except FakturnikError as exc:
        return _permissions_page(ui, note=str(exc), note_ok=False, status=409)
    text = "Twój certyfikat KSeF jest zapisany w sejfie (klucz nigdy nie jest pokazywany)."
    return RedirectResponse(f"/uprawnienia?wynik={quote(text)}", status_code=303)


# --- the office console ----------------------------------------------------------------------------


def _office_page(ui: Ui, *, note: str = "", note_ok: bool = True, status: int = 200) -> Response:
    p = ui.request.query_params
    attention = p.get("uwaga") == "1"
    flt = ConsoleFilter(q=p.get("q", "")[:100] or None, attention=True if attention else None)
    view = ui.svc.offices.console(ui.company_id, flt)
    client_ids = {c.company_id for c in view.clients}
    candidates = [c for c in ui.companies if c.company_id != ui.company_id and c.company_id not in client_ids]
    context = ui.context(
        "office",
        view=view,
        q=p.get("q", "")[:100],
        attention=attention,
        candidates=candidates,
        note=note or p.get("wynik", "")[:500],
        note_ok=note_ok if note else p.get("ok", "1") == "1",
        can_admin=ui.can(Action.COMPANY_ADMIN),
        labels={p: permission_label(p) for p in GRANTABLE["person"]},
    )
    return render(ui.request, "permissions/office.html", context, status_code=status)


@router.get("/biuro")
def office_page(ui: UiDep) -> Response:
    return _office_page(ui)


@router.post("/biuro/synchronizuj")
async def office_sync(request: Request, ui: UiDep) -> Response:
    data = await request.form(max_fields=1100, max_files=0)
    chosen = [int(v) for v in data.getlist("client") if isinstance(v, str) and v.isdigit()][:1000]
    result = ui.svc.offices.sync_all(ui.company_id, chosen or None)
    new = sum(n for _, n in result.synced)
    text = f"Pobrano faktury {len(result.synced)} klientów, nowych: {new}."
    if result.failed:
        text += " Nie udało się: " + "; ".join(f"{cid}: {why}" for cid, why in result.failed[:5])
    return RedirectResponse(f"/biuro?ok={int(not result.failed)}&wynik={quote(text)}", status_code=303)


@router.post("/biuro/klient")
async def office_add_client(request: Request, ui: UiDep) -> Response:
    data = await request.form(max_fields=10, max_files=0)
    raw = data.get("client_id")
    if not isinstance(raw, str) or not raw.isdigit():
        return _office_page(ui, note="Wybierz firmę klienta.", note_ok=False, status=422)
    try:
        ui.svc.offices.use_office(int(raw), ui.company_id)
    except FakturnikError as exc:
        return _office_page(ui, note=str(exc), note_ok=False, status=409)
    text = "Klient loguje się teraz do KSeF certyfikatem biura (w swoim kontekście)."
    return RedirectResponse(f"/biuro?wynik={quote(text)}", status_code=303)
