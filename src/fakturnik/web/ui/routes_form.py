"""The invoice form: new, duplicate, correction; live totals; line and buyer fragments; issuing."""

from __future__ import annotations

import contextlib
import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from fakturnik.app.access import Action
from fakturnik.app.actor import Actor
from fakturnik.app.advances import ADVANCE_KINDS
from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import InputError, InvoiceValidationError, NotFoundError, PermissionDeniedError
from fakturnik.web.ui.deps import Ui, UiDep, get_actor, get_ui
from fakturnik.web.ui.formatting import RATE_LABELS
from fakturnik.web.ui.invoice_form import (
    CORRECTION_KINDS,
    EXEMPTION_BASES,
    GTU_CODES,
    INVOICE_KINDS,
    MAX_LINES,
    NEW_KINDS,
    PAYMENT_METHODS,
    ExternalRow,
    FormLine,
    InvoiceForm,
    external_advances,
    external_indices,
    form_field,
    form_from_draft,
    order_line_as_line,
    parse_form,
    to_draft,
)
from fakturnik.web.ui.preview import Completer, preview
from fakturnik.web.ui.routing import ui_router
from fakturnik.web.ui.templating import render

router = ui_router()

CURRENCIES = ("PLN", "EUR", "USD", "GBP", "CHF", "CZK", "SEK", "NOK", "DKK", "UAH", "JPY")

FIELD_LABELS: dict[str, str] = {
    "kind": "Rodzaj",
    "number": "Numer",
    "issue_date": "Data wystawienia",
    "sale_date": "Data sprzedaży",
    "place": "Miejsce wystawienia",
    "buyer_nip": "NIP nabywcy",
    "buyer_name": "Nazwa nabywcy",
    "buyer_address1": "Adres nabywcy",
    "buyer_address2": "Kod i miejscowość",
    "buyer_email": "E-mail nabywcy",
    "currency": "Waluta",
    "exchange_rate": "Kurs waluty",
    "exemption": "Podstawa zwolnienia",
    "exemption_text": "Inna podstawa zwolnienia",
    "payment_method": "Forma płatności",
    "due_days": "Dni na zapłatę",
    "due_date": "Termin płatności",
    "bank_account": "Rachunek bankowy",
    "split_payment": "Podzielona płatność",
    "notes": "Uwagi",
    "correction_reason": "Przyczyna korekty",
    "corrected_number": "Numer korygowanej faktury",
    "corrected_date": "Data korygowanej faktury",
    "corrected_ksef": "Numer KSeF korygowanej faktury",
    "order_value": "Wartość zamówienia",
    "order_number": "Numer zamówienia",
    "advance_amount": "Zaliczka",
    "advances": "Faktury zaliczkowe",
    "lines": "Pozycje",
    "": "Faktura",
}
_LINE_LABELS = {
    "name": "nazwa",
    "qty": "ilość",
    "unit": "jednostka",
    "price": "cena",
    "discount": "rabat",
    "rate": "stawka VAT",
    "gtu": "GTU",
}


def _labels(form: InvoiceForm) -> dict[str, str]:
    labels = dict(FIELD_LABELS)
    for position, line in enumerate(form.lines, 1):
        for key, text in _LINE_LABELS.items():
            labels[f"line-{line.index}-{key}"] = f"Pozycja {position}, {text}"
    return labels


def seller_of(company: Any) -> dict[str, Any]:
    """``Podmiot1`` of the company's invoices."""
    address = (company.address or "").replace("\r", "")
    first, _, second = address.partition("\n")
    if not second and ", " in first:
        first, _, second = first.rpartition(", ")
    seller: dict[str, Any] = {
        "DaneIdentyfikacyjne": {"NIP": company.nip, "Nazwa": company.name},
        "Adres": {"KodKraju": "PL", "AdresL1": first.strip() or company.name},
    }
    if second.strip():
        seller["Adres"]["AdresL2"] = second.strip()
    if company.email:
        seller["DaneKontaktowe"] = [{"Email": company.email}]
    return seller


def _products(ui: Ui) -> list[Any]:
    if not ui.can(Action.PRODUCTS_READ):
        return []
    try:
        return list(ui.svc.products.list(ui.company_id))[:500]
    except (NotFoundError, PermissionDeniedError, ImportError):
        return []


def _series_hint(ui: Ui, kind: str) -> str:
    try:
        return str(ui.svc.series.preview(ui.company_id, kind))
    except Exception:
        return ""


def _form_page(
    ui: Ui,
    form: InvoiceForm,
    *,
    title: str = "Nowa faktura",
    source_id: int | None = None,
    status_code: int = 200,
    draft_id: int | None = None,
    checked: bool = False,
) -> Response:
    if not form.lines:
        form.lines.append(FormLine(index=0))
    result = preview(form, complete=_completer(ui, form, source_id))
    next_line = max((line.index for line in form.lines), default=-1) + 1
    kinds = NEW_KINDS if form.kind in NEW_KINDS else (form.kind,)
    context = ui.context(
        "new",
        title=title,
        form=form,
        errors=form.errors,
        labels=_labels(form),
        action="/faktury/nowa",
        source_id=source_id,
        draft_id=draft_id,
        next_line=next_line,
        kinds=[(k, INVOICE_KINDS[k]) for k in kinds if k in INVOICE_KINDS],
        **_advances_context(ui, form),
        currencies=[(c, c) for c in CURRENCIES],
        rates=list(RATE_LABELS.items()),
        gtu_codes=list(GTU_CODES.items()),
        exemption_bases=[("", "—")] + [(k, v[1] or "inna podstawa…") for k, v in EXEMPTION_BASES.items()],
        payment_methods=list(PAYMENT_METHODS.items()),
        products=_products(ui),
        preview=result,
        values=result.line_values,
        oob=False,
        series_hint=_series_hint(ui, form.kind),
        can_issue=ui.can(Action.INVOICES_WRITE),
        form_key=secrets.token_urlsafe(16),
        checked=checked,
    )
    return render(ui.request, "invoice_form.html", context, status_code=status_code)


def _completer(ui: Ui, form: InvoiceForm, source_id: int | None) -> Completer | None:
    """The company's completion of an advance kind's draft (the service reads its advances)."""
    if form.kind not in ADVANCE_KINDS:
        return None

    def complete(draft: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = ui.svc.advances.complete(
            ui.company_id,
            draft,
            advance_ids=form.advance_ids,
            external_advances=external_advances(form),
            corrects_id=source_id,
        )
        return result

    return complete


def _advances_context(ui: Ui, form: InvoiceForm) -> dict[str, Any]:
    """The advance invoices a ROZ form offers: the buyer's (all, if no NIP yet) not yet settled, and
    the ticked ones; for the order typed, only that order's."""
    if form.kind != "ROZ" or not ui.can(Action.INVOICES_READ):
        return {"advances": [], "chosen": set(), "advances_buyer": ""}
    import re as _re

    from stdnum.pl import nip as pl_nip

    nip = _re.sub(r"[\s-]", "", form.buyer_nip).removeprefix("PL")
    buyer = nip if pl_nip.is_valid(nip) else ""
    chosen = set(form.advance_ids)
    listed = ui.svc.advances.list(ui.company_id, buyer or None, order_number=form.order_number or None)
    advances = [a for a in listed if a.settled_by is None or a.id in chosen]
    return {"advances": advances[:100], "chosen": chosen, "advances_buyer": buyer}


def _defaults(ui: Ui) -> InvoiceForm:
    form = InvoiceForm(issue_date=warsaw_today().isoformat())
    company = ui.company
    if company is not None and getattr(company, "bank_account", None):
        form.bank_account = company.bank_account
    return form


def _require_write(ui: Ui) -> None:
    if not ui.can(Action.INVOICES_WRITE):
        raise PermissionDeniedError("Twoja rola nie pozwala wystawiać faktur")


@router.get("/faktury/nowa")
def new_invoice(
    ui: UiDep,
    z: int | None = None,
    korekta: int | None = None,
    kind: str = "VAT",
    popraw: int = 0,
    zaliczka: int | None = None,
) -> Response:
    _require_write(ui)
    if korekta is not None:
        return _correction_form(ui, korekta)
    if zaliczka is not None:
        return _settlement_form(ui, zaliczka)
    if z is not None:
        form = form_from_draft(ui.svc.invoices.draft_of(ui.company_id, z))
        form.number, form.paid = "", False
        if popraw:  # a rejected invoice: KSeF's reason at the field it concerns, the dates as they were
            source = ui.svc.invoices.get(ui.company_id, z)
            if source.ksef_error is not None:
                from fakturnik.web.ui.ksef_hints import ksef_field

                error = source.ksef_error
                reason = "; ".join(error.details) or error.message
                form.error(ksef_field(error) or "", f"KSeF odrzucił fakturę: {reason}")
            return _form_page(ui, form, title="Popraw odrzuconą fakturę")
        form.issue_date, form.sale_date = warsaw_today().isoformat(), ""
        return _form_page(ui, form, title="Nowa faktura (kopia)")
    form = _defaults(ui)
    form.kind = kind if kind in NEW_KINDS else "VAT"
    return _form_page(ui, form)


_CORRECTION_TITLES = {
    "KOR": "Korekta faktury",
    "KOR_ZAL": "Korekta faktury zaliczkowej",
    "KOR_ROZ": "Korekta faktury rozliczeniowej",
}


def _correction_form(ui: Ui, invoice_id: int) -> Response:
    """ "Wystaw korektę": the lines before and after (of the order, for an advance invoice), the
    reason, the corrected invoice's numbers; KOR_ZAL of a ZAL, KOR_ROZ of a ROZ, KOR otherwise."""
    draft = ui.svc.invoices.correction_draft(ui.company_id, invoice_id)
    fa = draft.get("Fa") or {}
    kind = str(fa.get("RodzajFaktury") or "KOR")
    if kind == "KOR_ZAL":
        advance = ui.svc.advances.get(ui.company_id, invoice_id)
        rows = [order_line_as_line(row) for row in advance.order_lines]
        fa["FaWiersz"] = [{**row, "StanPrzed": 1} for row in rows] + rows
        fa.pop("Zamowienie", None)
    form = form_from_draft(draft)
    form.kind = kind if kind in CORRECTION_KINDS else "KOR"
    form.issue_date = warsaw_today().isoformat()
    if kind == "KOR_ZAL":
        form.advance_amount = f"{advance.amount:f}"
    return _form_page(ui, form, title=_CORRECTION_TITLES[form.kind], source_id=invoice_id)


def _settlement_form(ui: Ui, advance_id: int) -> Response:
    """ "Rozlicz zaliczkę" on an advance invoice: a ROZ for its buyer, with the order's lines (as last
    corrected) and every advance of that buyer and order not yet settled ticked."""
    advance = ui.svc.advances.get(ui.company_id, advance_id)
    if advance.settled_by is not None:  # settled already: its page says by which invoice
        return RedirectResponse(f"/faktury/{advance_id}", status_code=303)
    form = form_from_draft(ui.svc.invoices.duplicate_draft(ui.company_id, advance_id))
    rows = [order_line_as_line(row) for row in advance.order_lines]
    form.lines = form_from_draft({"Fa": {"FaWiersz": rows}}).lines
    form.kind, form.number, form.paid, form.advance_amount = "ROZ", "", False, ""
    form.issue_date, form.sale_date = warsaw_today().isoformat(), ""
    siblings = ui.svc.advances.list(
        ui.company_id, advance.buyer_nip or None, order_number=advance.order_number or None, open_only=True
    )
    form.advance_ids = list(dict.fromkeys([advance.id, *(a.id for a in siblings)]))
    return _form_page(ui, form, title="Faktura rozliczeniowa")


def _check(draft: dict[str, Any]) -> None:
    """Build the invoice as issuing would (the same FA(3) builder); problems as InvoiceValidationError."""
    from pydantic import ValidationError

    from fakturnik.fa3.builder import build_invoice
    from fakturnik.fa3.jsonform import problems_from_validation_error

    try:
        build_invoice(draft)
    except ValidationError as exc:
        raise InvoiceValidationError(problems_from_validation_error(exc)) from None


async def _posted(request: Request) -> dict[str, str]:
    data = await request.form(max_fields=MAX_LINES * 9 + 200, max_files=0)
    return {k: v for k, v in data.items() if isinstance(v, str)}


@router.post("/faktury/nowa")
async def submit_invoice(request: Request, ui: UiDep) -> Response:
    _require_write(ui)
    try:
        data = await _posted(request)
    except Exception:
        form = _defaults(ui)
        form.error("lines", f"Za dużo pozycji: faktura w formularzu może mieć najwyżej {MAX_LINES}.")
        return _form_page(ui, form, status_code=422)
    form = parse_form(data)
    source = data.get("source_id", "")
    source_id = int(source) if source.isdigit() else None
    title = _CORRECTION_TITLES.get(form.kind, "Korekta faktury") if source_id is not None else "Nowa faktura"
    if data.get("action") == "draft":
        return _save_draft(ui, data)
    draft = to_draft(form, seller=seller_of(ui.company))
    if draft is None:
        return _form_page(
            ui, form, title=title, source_id=source_id, status_code=422, draft_id=_draft_id(data)
        )
    key = data.get("form_key", "")[:64] or None
    try:
        if form.kind in ADVANCE_KINDS:
            draft = ui.svc.advances.complete(
                ui.company_id,
                draft,
                advance_ids=form.advance_ids,
                external_advances=external_advances(form),
                corrects_id=source_id,
            )
        if data.get("action") == "check":  # Enter in a field: check everything, issue nothing
            _check(draft)
            return _form_page(
                ui, form, title=title, source_id=source_id, draft_id=_draft_id(data), checked=True
            )
        if source_id is not None and form.kind in CORRECTION_KINDS:
            result = ui.svc.invoices.correct(ui.company_id, source_id, draft, idempotency_key=key)
        else:
            result = ui.svc.invoices.issue(ui.company_id, draft, idempotency_key=key, urgent=True)
    except (InvoiceValidationError, InputError) as exc:
        for problem in exc.problems:
            form.error(form_field(form, problem.path), problem.message)
        return _form_page(
            ui, form, title=title, source_id=source_id, status_code=422, draft_id=_draft_id(data)
        )
    issued_from = _draft_id(data)
    if issued_from is not None:
        with contextlib.suppress(NotFoundError):
            _drafts(ui).delete(ui.company_id, issued_from)
    return RedirectResponse(f"/faktury/{result.invoice.id}", status_code=303)


def _drafts(ui: Ui) -> Any:
    from fakturnik.app.drafts import DraftsService

    return DraftsService(ui.fk, ui.actor)


def _draft_id(data: dict[str, str]) -> int | None:
    value = data.get("draft_id", "")
    return int(value) if value.isdigit() and len(value) < 18 else None


def _save_draft(ui: Ui, data: dict[str, str]) -> Response:
    """Keep the form as typed, problems and all; nothing is checked or sent."""
    saved = _drafts(ui).save(ui.company_id, data, draft_id=_draft_id(data))
    return RedirectResponse(f"/faktury/szkice?zapisano={saved.id}", status_code=303)


@router.get("/faktury/szkice")
def draft_list(ui: UiDep, zapisano: int | None = None) -> Response:
    drafts = _drafts(ui).list(ui.company_id)
    context = ui.context("invoices", drafts=drafts, saved=zapisano, can_write=ui.can(Action.INVOICES_WRITE))
    return render(ui.request, "drafts.html", context)


@router.get("/faktury/szkice/{draft_id}")
def draft_open(ui: UiDep, draft_id: int) -> Response:
    _require_write(ui)
    draft = _drafts(ui).get(ui.company_id, draft_id)
    form = parse_form(draft.data)
    return _form_page(ui, form, title="Szkic faktury", draft_id=draft.id)


@router.post("/faktury/szkice/{draft_id}/usun")
def draft_delete(ui: UiDep, draft_id: int) -> Response:
    _drafts(ui).delete(ui.company_id, draft_id)
    return RedirectResponse("/faktury/szkice", status_code=303)


def _recurring(ui: Ui) -> Any:
    from fakturnik.app.recurring import RecurringService

    return RecurringService(ui.fk, ui.actor)


@router.get("/faktury/cykliczne")
def recurring_list(ui: UiDep, wystawiono: int | None = None) -> Response:
    items = _recurring(ui).list(ui.company_id)
    context = ui.context("invoices", items=items, issued=wystawiono, can_write=ui.can(Action.INVOICES_WRITE))
    return render(ui.request, "recurring.html", context)


@router.post("/faktury/cykliczne/teraz")
def recurring_run(ui: UiDep) -> Response:
    issued = _recurring(ui).run_due(company_id=ui.company_id)
    return RedirectResponse(f"/faktury/cykliczne?wystawiono={len(issued)}", status_code=303)


@router.post("/faktury/cykliczne/{recurring_id}/stop")
def recurring_stop(ui: UiDep, recurring_id: int) -> Response:
    _recurring(ui).stop(ui.company_id, recurring_id)
    return RedirectResponse("/faktury/cykliczne", status_code=303)


@router.post("/faktury/podglad")
async def live_totals(request: Request, actor: Annotated[Actor, Depends(get_actor)]) -> Response:
    """The totals fragment (and, out of band, each line's value and problems) for the typed form.

    Pure arithmetic on what was posted: it needs a signed-in caller, and reads nothing of any company
    but, for the advance kinds, the company's advance invoices (through the app, for its company)."""
    try:
        data = await _posted(request)
    except Exception:
        return render(request, "_error_fragment.html", {"text": f"Najwyżej {MAX_LINES} pozycji."})
    form = parse_form(data)
    if "lines" in form.errors:
        return render(request, "_error_fragment.html", {"text": form.errors["lines"]})
    complete = None
    if form.kind in ADVANCE_KINDS:
        source = data.get("source_id", "")
        complete = _completer(
            get_ui(request), form, int(source) if source.isdigit() and len(source) < 18 else None
        )
    result = preview(form, complete=complete)
    context = {
        "preview": result,
        "oob": True,
        "kind": form.kind,
        "line_indices": [line.index for line in form.lines],
        # every posted row, blank ones too: a row emptied again loses its old problems
        "external_indices": external_indices(data) if form.kind == "ROZ" else [],
    }
    return render(request, "_totals.html", context)


@router.get("/faktury/rodzaj")
def kind_fragment(request: Request, ui: UiDep) -> Response:
    form = parse_form(dict(request.query_params))
    return render(request, "_kind_extra.html", {"form": form, "errors": {}, **_advances_context(ui, form)})


@router.get("/faktury/zaliczki")
def advances_fragment(request: Request, ui: UiDep) -> Response:
    """The list of advance invoices of the ROZ form, for the buyer and order typed."""
    form = parse_form(dict(request.query_params))
    form.kind = "ROZ"
    return render(request, "_advances.html", {"form": form, "errors": {}, **_advances_context(ui, form)})


def _line_context(ui: Ui, line: FormLine) -> dict[str, Any]:
    return {
        "i": line.index,
        "line": line,
        "errors": {},
        "values": {},
        "rates": list(RATE_LABELS.items()),
        "gtu_codes": list(GTU_CODES.items()),
    }


@router.get("/faktury/pozycja/nowa")
def add_line(request: Request, ui: UiDep, next_line: int = 0) -> Response:
    index = max(0, min(next_line, 10**6))
    context = {**_line_context(ui, FormLine(index=index)), "focus": True}  # the keyboard goes on typing there
    response = render(request, "_line.html", context)
    return _with_counter(response, "next-line", "next_line", index + 1)


def _with_counter(response: Response, element_id: str, name: str, value: int) -> Response:
    """A row fragment with the form's hidden next-index counter updated out of band."""
    tail = f'<input type="hidden" id="{element_id}" name="{name}" value="{value}" hx-swap-oob="true">'
    response.body = bytes(response.body) + tail.encode()
    response.headers["content-length"] = str(len(response.body))
    return response


@router.get("/faktury/zaliczka-spoza/nowa")
def add_external_advance(request: Request, ui: UiDep, next_external: int = 1) -> Response:
    """One more row for an advance invoiced outside Fakturnik in the ROZ form."""
    index = max(0, min(next_external, 999))
    context = {"i": index, "row": ExternalRow(index=index), "errors": {}, "focus": True}
    response = _with_counter(
        render(request, "_external_advance.html", context), "next-external", "next_external", index + 1
    )
    response.headers["HX-Trigger-After-Settle"] = "rowsChanged"  # the live totals and problems again
    return response


@router.get("/faktury/pozycja/usun")
def delete_line() -> Response:
    # the row is gone: the live totals and problems are asked for again once it is
    return Response("", media_type="text/html", headers={"HX-Trigger-After-Settle": "rowsChanged"})


@router.get("/faktury/pozycja/produkt")
def line_from_product(request: Request, ui: UiDep, i: int = 0) -> Response:
    """The unit, price, rate and GTU of the product of that name into the line (out of band), or
    nothing (204) when no product has exactly that name: what the person typed is never overwritten."""
    name = request.query_params.get(f"line-{i}-name", "").strip()[:512]
    gross = request.query_params.get("price_mode") == "gross"
    found: list[Any] = []
    if name and ui.can(Action.PRODUCTS_READ):
        try:
            found = list(ui.svc.products.search(ui.company_id, name, limit=5))
        except ImportError:  # an app layer without products
            found = []
    product = next((p for p in found if p.name.casefold() == name.casefold()), None)
    if product is None:
        return Response(status_code=204)
    line = FormLine(index=i, name=name, unit=product.unit, rate=product.vat_rate, gtu=product.gtu or "")
    price = product.price
    if (product.price_kind == "gross") != gross:
        from fakturnik.fa3.amounts import RATE_PERCENT, round_grosze

        percent = RATE_PERCENT.get(product.vat_rate)
        if percent is not None:
            factor = (100 + percent) / 100
            price = round_grosze(price * factor if gross else price / factor)
    typed = request.query_params.get(f"line-{i}-price", "").strip()
    line.price = typed or f"{price:f}".replace(".", ",")  # a price already typed stays
    context = {**_line_context(ui, line), "keep_price": bool(typed)}
    return render(request, "_product_fill.html", context)


@router.get("/kursy/nbp")
def nbp_rate(
    request: Request,
    ui: UiDep,
    currency: str = "PLN",
    issue_date: str = "",
    sale_date: str = "",
) -> Response:
    """The NBP average rate of the last business day before the tax point, into the rate field."""
    from fakturnik.app.nbp import NbpError, nbp_client_for

    currency = currency.upper()[:3]
    if currency == "PLN":
        return render(request, "_rate.html", {"note": "Faktura w złotych nie potrzebuje kursu."})
    try:
        tax_point = date.fromisoformat(sale_date or issue_date)
    except ValueError:
        return render(request, "_rate.html", {"note": "Najpierw podaj datę wystawienia lub sprzedaży."})
    try:
        rate = nbp_client_for(ui.fk).average_rate(currency, tax_point)
    except NbpError as exc:
        return render(request, "_rate.html", {"note": str(exc)})
    return render(request, "_rate.html", {"rate": rate})
