"""Contractors (with the white-list lookup), products, company settings and users."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from fakturnik.app.access import ROLE_LABELS_PL, Action, Role
from fakturnik.app.views import ContractorView, ProductView
from fakturnik.errors import ConflictError, FakturnikError, InputError, NotFoundError
from fakturnik.web.ui.deps import Ui, UiDep
from fakturnik.web.ui.formatting import RATE_LABELS, format_amount, parse_amount
from fakturnik.web.ui.invoice_form import GTU_CODES, InvoiceForm
from fakturnik.web.ui.routing import ui_router
from fakturnik.web.ui.templating import render

router = ui_router()

_NIP = re.compile(r"^\d{10}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


async def _form(request: Request) -> dict[str, str]:
    data = await request.form(max_fields=100, max_files=0)
    return {k: v.strip() for k, v in data.items() if isinstance(v, str)}


def _nip_of(text: str) -> str:
    return re.sub(r"[\s-]", "", text).removeprefix("PL")


def _nip_error(nip: str) -> str:
    from stdnum.pl import nip as pl_nip

    if not nip:
        return "Podaj NIP."
    if not pl_nip.is_valid(nip):
        return "Niepoprawny NIP (10 cyfr z poprawną cyfrą kontrolną)."
    return ""


# --- contractors ------------------------------------------------------------------------------------------


def _contractors_page(ui: Ui, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                      status: int = 200, note: str = "") -> Response:  # fmt: skip
    q = ui.request.query_params.get("q", "")[:100]
    items = ui.svc.contractors.list(ui.company_id, q=q or None, limit=200)
    context = ui.context(
        "contractors",
        items=items,
        q=q,
        form=form or {},
        errors=errors or {},
        note=note,
        can_write=ui.can(Action.CONTRACTORS_WRITE),
    )
    return render(ui.request, "contractors.html", context, status_code=status)


def _list_or_edit(
    ui: Ui, service: Any, page: Callable[..., Response], form_of: Callable[[Any], dict[str, str]]
) -> Response:
    """A master-data page: the list, with the row opened for editing (``?edytuj=<id>``) in its form."""
    value = ui.request.query_params.get("edytuj", "")
    if not (value.isdigit() and len(value) < 12):
        return page(ui)
    return page(ui, form=form_of(service.get(ui.company_id, int(value))))


def _contractor_form(c: ContractorView) -> dict[str, str]:
    return {"id": str(c.id), "nip": c.nip, "name": c.name, "address_line1": c.address_line1,
            "address_line2": c.address_line2, "email": c.email}  # fmt: skip


@router.get("/kontrahenci")
def contractors(ui: UiDep) -> Response:
    return _list_or_edit(ui, ui.svc.contractors, _contractors_page, _contractor_form)


@router.post("/kontrahenci/{contractor_id}/usun")
def contractor_delete(ui: UiDep, contractor_id: int) -> Response:
    ui.svc.contractors.delete(ui.company_id, contractor_id)
    return RedirectResponse("/kontrahenci?usunieto=1", status_code=303)


_CONTRACTOR_LIMITS = {"name": 512, "address_line1": 512, "address_line2": 512, "email": 255, "note": 1000}


@router.post("/kontrahenci")
async def contractor_add(request: Request, ui: UiDep) -> Response:
    data = await _form(request)
    errors: dict[str, str] = {}
    nip = _nip_of(data.get("nip", ""))
    if message := _nip_error(nip):
        errors["nip"] = message
    if not data.get("name"):
        errors["name"] = "Podaj nazwę kontrahenta."
    for key, limit in _CONTRACTOR_LIMITS.items():
        if len(data.get(key, "")) > limit:
            errors[key] = f"Za długi tekst (najwyżej {limit} znaków)."
    if data.get("email") and not _EMAIL.match(data["email"]):
        errors["email"] = "Niepoprawny adres e-mail."
    if not errors:
        values = {
            "nip": nip,
            "name": data["name"],
            "address_line1": data.get("address_line1", ""),
            "address_line2": data.get("address_line2", ""),
            "email": data.get("email", ""),
        }
        editing = data.get("id", "")
        try:
            if editing.isdigit() and len(editing) < 12:
                ui.svc.contractors.update(ui.company_id, int(editing), **values)
            else:
                ui.svc.contractors.create(ui.company_id, **values)
        except ConflictError:
            errors["nip"] = "Kontrahent o tym NIP już jest na liście."
        except InputError as exc:
            for problem in exc.problems:
                errors[problem.path or "name"] = problem.message
    if errors:
        return _contractors_page(ui, form=data, errors=errors, status=422)
    return RedirectResponse("/kontrahenci", status_code=303)


@router.get("/kontrahenci/podpowiedzi")
def contractor_suggestions(request: Request, ui: UiDep, buyer_name: str = "") -> Response:
    prefix = buyer_name.strip()[:100]
    items = ui.svc.contractors.search(ui.company_id, prefix, limit=8) if len(prefix) >= 2 else []
    return render(request, "_suggest.html", {"items": items})


@router.get("/kontrahenci/wybierz")
def contractor_choose(request: Request, ui: UiDep, id: int) -> Response:
    c = ui.svc.contractors.get(ui.company_id, id)
    form = InvoiceForm(
        buyer_nip=c.nip,
        buyer_name=c.name,
        buyer_address1=c.address_line1,
        buyer_address2=c.address_line2,
        buyer_email=c.email,
    )
    return render(request, "_buyer.html", {"form": form, "errors": {}})


@router.get("/kontrahenci/nip")
def contractor_by_nip(request: Request, ui: UiDep, buyer_nip: str = "") -> Response:
    """Fill the buyer from the contractors, else from the VAT white list (the app's lookup)."""
    nip = _nip_of(buyer_nip[:20])
    form = InvoiceForm(buyer_nip=nip)
    errors: dict[str, str] = {}
    note = ""
    if message := _nip_error(nip):
        errors["buyer_nip"] = message
    else:
        known = [c for c in ui.svc.contractors.search(ui.company_id, nip, limit=3) if c.nip == nip]
        if known:
            c = known[0]
            form.buyer_name, form.buyer_address1, form.buyer_address2, form.buyer_email = (
                c.name, c.address_line1, c.address_line2, c.email,
            )  # fmt: skip
            note = "Dane z listy kontrahentów."
        else:
            try:
                entry = ui.svc.contractors.lookup_nip(ui.company_id, nip)
            except NotFoundError:
                errors["buyer_nip"] = "Tego NIP nie ma na białej liście podatników VAT."
            except FakturnikError:
                errors["buyer_nip"] = "Biała lista nie odpowiada; wpisz dane nabywcy ręcznie."
            else:
                street, _, city = entry.address.rpartition(", ")
                form.buyer_name = entry.name
                form.buyer_address1, form.buyer_address2 = (street, city) if street else (entry.address, "")
                note = f"Dane z białej listy VAT (status: {entry.status_vat})."
    return render(request, "_buyer.html", {"form": form, "errors": errors, "lookup_note": note})


# --- products -----------------------------------------------------------------------------------------------


def _products_page(ui: Ui, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                   status: int = 200) -> Response:  # fmt: skip
    items = ui.svc.products.list(ui.company_id)
    context = ui.context(
        "products",
        items=items,
        form=form or {"unit": "szt.", "vat_rate": "23", "price_kind": "net"},
        errors=errors or {},
        rates=list(RATE_LABELS.items()),
        gtu_codes=[("", "—"), *GTU_CODES.items()],
        can_write=ui.can(Action.PRODUCTS_WRITE),
    )
    return render(ui.request, "products.html", context, status_code=status)


def _product_form(p: ProductView) -> dict[str, str]:
    return {"id": str(p.id), "name": p.name, "unit": p.unit, "price": format_amount(p.price),
            "price_kind": p.price_kind, "vat_rate": str(p.vat_rate), "gtu": p.gtu or ""}  # fmt: skip


@router.get("/produkty")
def products(ui: UiDep) -> Response:
    return _list_or_edit(ui, ui.svc.products, _products_page, _product_form)


@router.post("/produkty/{product_id}/usun")
def product_delete(ui: UiDep, product_id: int) -> Response:
    ui.svc.products.delete(ui.company_id, product_id)
    return RedirectResponse("/produkty?usunieto=1", status_code=303)


@router.post("/produkty")
async def product_add(request: Request, ui: UiDep) -> Response:
    data = await _form(request)
    errors: dict[str, str] = {}
    if not data.get("name"):
        errors["name"] = "Podaj nazwę produktu lub usługi."
    elif len(data["name"]) > 512:
        errors["name"] = "Za długi tekst (najwyżej 512 znaków)."
    if len(data.get("unit", "")) > 50:
        errors["unit"] = "Za długi tekst (najwyżej 50 znaków)."
    price = parse_amount(data.get("price", ""))
    if price is None:
        errors["price"] = "Podaj cenę, np. 1 234,56."
    elif price < 0 or price >= Decimal("1e13"):
        errors["price"] = "Cena musi być liczbą od 0."
    if data.get("vat_rate") not in RATE_LABELS:
        errors["vat_rate"] = "Wybierz stawkę VAT z listy."
    if data.get("gtu") and data["gtu"] not in GTU_CODES:
        errors["gtu"] = "Wybierz oznaczenie GTU z listy."
    kind = data.get("price_kind", "net")
    if kind not in ("net", "gross"):
        errors["price_kind"] = "Wybierz cenę netto albo brutto."
    if not errors and price is not None:
        values = {
            "name": data["name"],
            "unit": data.get("unit") or "szt.",
            "price": price,
            "price_kind": kind,
            "vat_rate": data["vat_rate"],
            "gtu": data.get("gtu") or None,
        }
        editing = data.get("id", "")
        try:
            if editing.isdigit() and len(editing) < 12:
                ui.svc.products.update(ui.company_id, int(editing), **values)
            else:
                ui.svc.products.create(ui.company_id, **values)
        except (ConflictError, InputError) as exc:
            errors["name"] = str(exc)
    if errors:
        return _products_page(ui, form=data, errors=errors, status=422)
    return RedirectResponse("/produkty", status_code=303)


# --- settings, users ---------------------------------------------------------------------------------------


def _settings_page(ui: Ui, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                   invited: Any = None, status: int = 200, mail_form: dict[str, str] | None = None,
                   mail_errors: dict[str, str] | None = None, migration: Any = None) -> Response:  # fmt: skip
    members = ui.svc.accounts.members(ui.company_id) if ui.can(Action.MEMBERS_MANAGE) else []
    invitations = ui.svc.accounts.invitations(ui.company_id) if ui.can(Action.MEMBERS_MANAGE) else []
    series = ui.svc.series.list(ui.company_id) if ui.can(Action.SERIES_READ) else []
    try:
        availability = ui.svc.ksef.availability(ui.company_id)
    except FakturnikError:
        availability = None
    from fakturnik.app.mail import MailService

    mail = MailService(ui.fk, ui.actor).settings(ui.company_id)
    context = ui.context(
        "settings",
        mail=mail,
        mail_form=mail_form
        or (
            {}
            if mail is None
            else {
                "host": mail.host,
                "port": str(mail.port),
                "security": mail.security,
                "username": mail.username,
                "sender": mail.sender,
            }
        ),
        mail_errors=mail_errors or {},
        mail_saved=ui.request.query_params.get("poczta") == "1",
        members=members,
        invitations=invitations,
        series=series,
        availability=availability,
        credential=getattr(ui.company, "credential", None),
        roles=[(r.value, ROLE_LABELS_PL[r]) for r in Role],
        role_labels={r.value: ROLE_LABELS_PL[r] for r in Role},
        errors=errors or {},
        form=form or {},
        invited=invited,
        can_members=ui.can(Action.MEMBERS_MANAGE),
        can_admin=ui.can(Action.COMPANY_ADMIN),
        certificates=ui.svc.credentials.certificates(ui.company_id) if ui.can(Action.COMPANY_ADMIN) else [],
        migration=migration,
    )
    return render(ui.request, "settings.html", context, status_code=status)


@router.get("/ustawienia")
def settings(ui: UiDep) -> Response:
    return _settings_page(ui)


@router.post("/ustawienia/certyfikat/wniosek")
def certificate_request(ui: UiDep) -> Response:
    """The unsigned AuthTokenRequest to sign elsewhere (KSeF issues certificates after a signed login)."""
    xml = ui.svc.credentials.migration_request(ui.company_id)
    name = f"fakturnik-{ui.company.nip}-do-podpisu.xml"
    return Response(
        xml, media_type="application/xml", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/ustawienia/certyfikat")
async def certificate_migrate(request: Request, ui: UiDep) -> Response:
    """Token → KSeF certificates (the signed file, if uploaded, opens the session that enrolls them)."""
    from starlette.datastructures import UploadFile

    data = await request.form(max_fields=10, max_files=1, max_part_size=1024 * 1024)
    upload = data.get("signed")
    signed = await upload.read() if isinstance(upload, UploadFile) and upload.filename else None
    try:
        result = ui.svc.credentials.migrate_to_certificate(ui.company_id, signed or None)
    except InputError as exc:
        return _settings_page(ui, migration=_Failed(str(exc)), status=422)
    if result.changed:
        ui.company = ui.svc.companies.get(ui.company_id)  # the layout's banner and facts see the switch
    return _settings_page(ui, migration=result, status=200 if result.ok else 409)


@dataclass(frozen=True)
class _Failed:
    message: str
    ok: bool = False


@router.post("/ustawienia/zaproszenie")
async def invite(request: Request, ui: UiDep) -> Response:
    data = await _form(request)
    errors: dict[str, str] = {}
    email = data.get("email", "")
    if not _EMAIL.match(email) or len(email) > 320:
        errors["email"] = "Podaj poprawny adres e-mail."
    if data.get("role") not in Role._value2member_map_:
        errors["role"] = "Wybierz rolę z listy."
    if errors:
        return _settings_page(ui, errors=errors, form=data, status=422)
    try:
        created = ui.svc.accounts.invite(ui.company_id, email, data["role"])
    except (ConflictError, InputError) as exc:
        return _settings_page(ui, errors={"email": str(exc)}, form=data, status=422)
    link = str(ui.request.base_url).rstrip("/") + "/zaproszenie/" + created.token
    return _settings_page(ui, invited={"email": email, "link": link})


@router.post("/ustawienia/poczta")
async def mail_settings(request: Request, ui: UiDep) -> Response:
    from fakturnik.app.mail import MailService

    data = await _form(request)
    port = data.get("port", "")
    if not port.isdigit() or len(port) > 5:
        return _settings_page(
            ui, mail_form=data, mail_errors={"port": "Port to liczba od 1 do 65535."}, status=422
        )
    try:
        MailService(ui.fk, ui.actor).configure(
            ui.company_id,
            host=data.get("host", ""),
            port=int(port),
            security=data.get("security", ""),
            sender=data.get("sender", ""),
            username=data.get("username", ""),
            password=data.get("password") or None,
        )
    except InputError as exc:
        errors = {p.path or "host": p.message for p in exc.problems}
        return _settings_page(ui, mail_form=data, mail_errors=errors, status=422)
    return RedirectResponse("/ustawienia?poczta=1", status_code=303)


@router.post("/ustawienia/serie")
async def series_set(request: Request, ui: UiDep) -> Response:
    data = await _form(request)
    kind, pattern, reset = data.get("kind", ""), data.get("pattern", "")[:128], data.get("reset", "yearly")
    try:
        ui.svc.series.set(ui.company_id, kind, pattern, reset)  # type: ignore[arg-type]
    except InputError as exc:
        errors = {"series_" + (p.path or "pattern"): p.message for p in exc.problems}
        form = {"series_kind": kind, "series_pattern": pattern, "series_reset": reset}
        return _settings_page(ui, errors=errors, form=form, status=422)
    return RedirectResponse("/ustawienia", status_code=303)
