"""Issued invoices: the list with filters and bulk actions, the invoice page with its live KSeF status,
downloads (XML, UPO, PDF), payment, e-mail."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse

from fakturnik.app.access import Action
from fakturnik.app.filters import InvoiceFilter
from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import FakturnikError, InputError, NotFoundError
from fakturnik.web.ui.deps import Ui, UiDep
from fakturnik.web.ui.formatting import STATUS_LABELS, format_amount, format_date, parse_amount
from fakturnik.web.ui.ksef_hints import hint_for, ksef_field
from fakturnik.web.ui.routing import ui_router
from fakturnik.web.ui.templating import render

router = ui_router()

FINAL_STATUSES = frozenset({"accepted", "rejected"})
LIST_STATUSES = ("queued", "sending", "sent", "uncertain", "accepted", "rejected", "offline")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CURSOR = re.compile(r"^[A-Za-z0-9_=\-.:]{1,200}$")
PAGE_SIZE = 50
_KIND_CHOICES = {  # the list's "Rodzaj" filter: its label and the FA(3) kinds it means
    "VAT": ("faktury VAT", ("VAT",)),
    "KOR": ("korekty", ("KOR", "KOR_ZAL", "KOR_ROZ")),
    "ZAL": ("zaliczkowe i rozliczeniowe", ("ZAL", "ROZ", "KOR_ZAL", "KOR_ROZ")),
    "UPR": ("uproszczone", ("UPR",)),
}
_KIND_FILTERS = {key: kinds for key, (_, kinds) in _KIND_CHOICES.items()}


@dataclass
class ListQuery:
    month: str = ""
    status: str = ""
    kind: str = ""
    buyer: str = ""
    paid: str = ""
    issued_by: str = ""  # company | buyer (self-billed in the company's name)
    q: str = ""
    cursor: str = ""

    def to_filter(self) -> InvoiceFilter:
        buyer = re.sub(r"\D", "", self.buyer)
        return InvoiceFilter(
            status=(self.status,) if self.status in LIST_STATUSES else (),
            kind=_KIND_FILTERS.get(self.kind, ()),
            month=self.month if _MONTH.match(self.month) else None,
            buyer_nip=buyer if len(buyer) == 10 else None,
            paid=self.paid if self.paid in ("paid", "unpaid", "overdue", "partly_paid") else None,  # type: ignore[arg-type]
            issued_by=self.issued_by if self.issued_by in ("company", "buyer") else None,  # type: ignore[arg-type]
            q=(self.q.strip()[:100] or None) if not (len(buyer) == 10 and self.buyer) else None,
        )

    def link(self, **changes: str) -> str:
        from urllib.parse import urlencode

        values = {**self.__dict__, **changes}
        return "/faktury?" + urlencode({k: v for k, v in values.items() if v})


def _query(request: Request) -> ListQuery:
    p = request.query_params
    cursor = p.get("cursor", "")
    return ListQuery(
        month=p.get("month", "")[:7],
        status=p.get("status", "")[:20],
        kind=p.get("kind", "")[:20],
        buyer=p.get("buyer", "")[:40],
        paid=p.get("paid", "")[:20],
        issued_by=p.get("issued_by", "")[:20],
        q=p.get("q", "")[:100],
        cursor=cursor if _CURSOR.match(cursor) else "",
    )


@router.get("/faktury")
def invoice_list(request: Request, ui: UiDep) -> Response:
    query = _query(request)
    page = ui.svc.invoices.list(
        ui.company_id, query.to_filter(), cursor=query.cursor or None, limit=PAGE_SIZE, with_totals=True
    )
    context = ui.context(
        "invoices",
        page=page,
        query=query,
        statuses=[("", "wszystkie")] + [(s, STATUS_LABELS.get(s, (s, ""))[0]) for s in LIST_STATUSES],
        kind_options=[("", "wszystkie"), *((k, label) for k, (label, _) in _KIND_CHOICES.items())],
        paid_options=[
            ("", "wszystkie"),
            ("paid", "zapłacone"),
            ("unpaid", "niezapłacone"),
            ("overdue", "po terminie"),
        ],
        issued_by_options=[("", "wszyscy"), ("company", "firma"), ("buyer", "nabywca (samofakturowanie)")],
        can_write=ui.can(Action.INVOICES_WRITE),
        can_send=ui.can(Action.SYNC_RUN),
        can_pay=ui.can(Action.PAYMENTS_WRITE),
        bulk_done=_bulk_message(request),
        today=warsaw_today(),
    )
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "invoice-table":
        return render(request, "_invoice_table.html", context)
    return render(request, "invoices.html", context)


def _selected(form: Any) -> list[int]:
    ids = [int(v) for v in form.getlist("ids") if isinstance(v, str) and v.isdigit()]
    return ids[:500]


@router.post("/faktury/akcje")
async def bulk_action(request: Request, ui: UiDep) -> Response:
    form = await request.form(max_fields=700)
    action = form.get("action")
    ids = _selected(form)
    back = form.get("back")
    back = back if isinstance(back, str) and _BACK.match(back) else "/faktury?"
    if action == "csv":
        return _csv(ui, ids)
    if action == "zip":
        return _zip(ui, ids)
    if action == "send" and ids:
        count = ui.svc.invoices.send_now(ui.company_id, ids)
        return RedirectResponse(f"{_amp(back)}zrobiono=wyslane&n={count}", status_code=303)
    if action == "email" and ids:
        sent, no_address, failed = _mail_each(ui, ids)
        return RedirectResponse(
            f"{_amp(back)}zrobiono=wyslano-email&n={sent}&bez={no_address}&bledy={failed}", status_code=303
        )
    if action == "paid" and ids:
        return RedirectResponse(f"{_amp(back)}zrobiono=zaplacone&n={_mark_paid(ui, ids)}", status_code=303)
    return RedirectResponse("/faktury", status_code=303)


_BACK = re.compile(r"^/faktury\?[A-Za-z0-9_=&%+.:~\-]{0,600}$")


def _amp(link: str) -> str:
    return link if link.endswith("?") else link + "&"


_BULK_DONE = {
    "wyslane": "Wysyłka do KSeF przyspieszona dla faktur czekających w kolejce: {n}.",
    "zaplacone": "Oznaczono jako zapłacone: {n}.",
    "wyslano-email": "Wysłano e-mailem do nabywców: {n}.",
}


def _mail_each(ui: Ui, ids: list[int]) -> tuple[int, int, int]:
    """E-mail each ticked invoice (at most 100) to its buyer's address on it: (sent, no address, failed)."""
    from fakturnik.app.mail import MailError, MailService

    mail = MailService(ui.fk, ui.actor)
    sent = no_address = failed = 0
    for invoice_id in ids[:100]:
        address = _lines_of(ui, invoice_id)[1]
        if not address:
            no_address += 1
            continue
        try:
            mail.send_invoice(ui.company_id, invoice_id, address)
        except (MailError, InputError, NotFoundError):
            failed += 1
        else:
            sent += 1
    return sent, no_address, failed


def _bulk_message(request: Request) -> str:
    """What the last bulk action did (``?zrobiono=…&n=…`` after its redirect); only our own texts."""
    p = request.query_params
    template = _BULK_DONE.get(p.get("zrobiono", "")[:20], "")
    if not template:
        return ""

    def number(name: str) -> int:
        value = p.get(name, "")
        return int(value[:6]) if value.isdigit() else 0

    text = template.format(n=number("n"))
    if number("bez"):
        text += f" Bez adresu e-mail nabywcy na fakturze: {number('bez')}."
    if number("bledy"):
        text += f" Nie wysłano (serwer poczty odmówił albo brak ustawień poczty): {number('bledy')}."
    return text


def _mark_paid(ui: Ui, ids: list[int]) -> int:
    """Mark the ticked invoices paid in full today; those already paid stay as they were."""
    done = 0
    for invoice_id in ids:
        if ui.svc.invoices.get(ui.company_id, invoice_id).payment.state == "paid":
            continue
        try:
            ui.svc.invoices.record_payment(ui.company_id, invoice_id)
        except InputError:  # no gross amount to pay (cannot happen for issued ones, but never a 500)
            continue
        done += 1
    return done


def _rows(ui: Ui, ids: list[int]) -> list[Any]:
    if ids:
        return [ui.svc.invoices.get(ui.company_id, i) for i in ids]
    page = ui.svc.invoices.list(ui.company_id, InvoiceFilter(), limit=500)
    return list(page.items)


def _csv(ui: Ui, ids: list[int]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            "Numer",
            "Data wystawienia",
            "Nabywca",
            "NIP nabywcy",
            "Netto",
            "VAT",
            "Brutto",
            "Waluta",
            "Status",
            "Numer KSeF",
        ]
    )
    for row in _rows(ui, ids):
        writer.writerow(
            [
                _csv_text(row.number),
                format_date(row.issue_date),
                _csv_text(row.buyer.name),
                row.buyer.nip,
                format_amount(row.totals.net),
                format_amount(row.totals.vat),
                format_amount(row.totals.gross),
                row.totals.currency,
                STATUS_LABELS.get(row.status, (row.status, ""))[0],
                row.ksef_number or "",
            ]
        )
    data = ("\ufeff" + out.getvalue()).encode("utf-8")
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="faktury.csv"'},
    )


def _csv_text(value: str) -> str:
    """No formula injection in spreadsheets: a cell never starts with = + - @."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _zip(ui: Ui, ids: list[int]) -> Response:
    import zipfile

    from fakturnik.web.ui.documents import pdf_or_none

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for row in _rows(ui, ids):
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", row.number) or str(row.id)
            try:
                pdf = pdf_or_none(ui, row.id)
            except FakturnikError:  # e.g. an offline invoice without an Offline certificate
                pdf = None
            if pdf is not None:
                archive.writestr(f"{name}.pdf", pdf)
            else:
                archive.writestr(f"{name}.xml", ui.svc.invoices.xml(ui.company_id, row.id))
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="faktury.zip"'},
    )


def _status_context(ui: Ui, invoice: Any) -> dict[str, Any]:
    error = invoice.ksef_error
    field = ksef_field(error) if error is not None else ""
    return {
        "invoice": invoice,
        "final": invoice.status in FINAL_STATUSES,
        "hint": hint_for(error) if error is not None else "",
        "error_field": field,
        "can_write": ui.can(Action.INVOICES_WRITE),
    }


def _invoice_page(
    ui: Ui,
    invoice_id: int,
    *,
    mail_error: str = "",
    mail_to: str = "",
    recurring_error: str = "",
    payment_error: dict[str, str] | None = None,
    payment_form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    invoice = ui.svc.invoices.get(ui.company_id, invoice_id)
    lines, buyer_email, advances = _lines_of(ui, invoice_id)
    context = ui.context(
        "invoices",
        **_status_context(ui, invoice),
        settled_advances=advances,
        advance=ui.svc.advances.get(ui.company_id, invoice_id) if invoice.kind == "ZAL" else None,
        can_pay=ui.can(Action.PAYMENTS_WRITE),
        xml_lines=lines,
        mail_to=mail_to or buyer_email,
        mail_error=mail_error,
        recurring_error=recurring_error,
        payment_error=payment_error or {},
        payment_form=payment_form or {"amount": "", "paid_at": warsaw_today().isoformat()},
        mailed=ui.request.query_params.get("wyslano", "")[:320],
    )
    return render(ui.request, "invoice.html", context, status_code=status)


@router.get("/faktury/{invoice_id}")
def invoice_page(ui: UiDep, invoice_id: int) -> Response:
    return _invoice_page(ui, invoice_id)


@router.post("/faktury/{invoice_id}/email")
def invoice_email(
    ui: UiDep,
    invoice_id: int,
    to: Annotated[str, Form(max_length=320)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    from urllib.parse import quote

    from fakturnik.app.mail import MailError, MailService

    try:
        sent = MailService(ui.fk, ui.actor).send_invoice(ui.company_id, invoice_id, to, note=note)
    except InputError as exc:
        message = exc.problems[0].message if exc.problems else str(exc)
        return _invoice_page(ui, invoice_id, mail_error=message, mail_to=to, status=422)
    except MailError as exc:
        return _invoice_page(ui, invoice_id, mail_error=str(exc), mail_to=to, status=502)
    except NotFoundError as exc:
        return _invoice_page(ui, invoice_id, mail_error=f"Nie można wysłać: {exc}.", mail_to=to, status=409)
    return RedirectResponse(f"/faktury/{invoice_id}?wyslano={quote(sent.to)}", status_code=303)


@dataclass(frozen=True)
class _AdvanceRef:
    number: str
    ksef_number: str
    id: int | None = None


def _lines_of(ui: Ui, invoice_id: int) -> tuple[list[dict[str, Any]], str, list[_AdvanceRef]]:
    """The invoice's lines (an advance invoice's: its order's), the buyer's e-mail, the advances
    a settlement names (linked when they are this company's)."""
    try:
        draft = ui.svc.invoices.draft_of(ui.company_id, invoice_id)
    except NotFoundError:
        return [], "", []
    from fakturnik.web.ui.invoice_form import document_lines

    fa = draft.get("Fa") or {}
    contacts = (draft.get("Podmiot2") or {}).get("DaneKontaktowe") or []
    email = next((c.get("Email", "") for c in contacts if isinstance(c, dict) and c.get("Email")), "")
    refs = [r for r in fa.get("FakturaZaliczkowa") or [] if isinstance(r, dict)]
    advances: list[_AdvanceRef] = []
    if refs:
        known = {a.ksef_number or a.number: a for a in ui.svc.advances.list(ui.company_id, limit=1000)}
        for ref in refs[:100]:
            key = str(ref.get("NrKSeFFaZaliczkowej") or ref.get("NrFaZaliczkowej") or "")
            found = known.get(key)
            advances.append(
                _AdvanceRef(
                    number=found.number if found else str(ref.get("NrFaZaliczkowej") or "spoza Fakturnika"),
                    ksef_number=str(ref.get("NrKSeFFaZaliczkowej") or ""),
                    id=found.id if found else None,
                )
            )
    return document_lines(draft), str(email), advances


@router.get("/stan-ksef")
def ksef_state(ui: UiDep) -> Response:
    """The outage banner of every page (KSeF down: since when, the deadline for sending), polled by it."""
    return render(ui.request, "_outage.html", ui.context())


@router.get("/faktury/{invoice_id}/stan-wiersza")
def invoice_row_status(ui: UiDep, invoice_id: int) -> Response:
    """A list row's status cell, polled by the list while KSeF has not decided."""
    return render(ui.request, "_status_cell.html", {"row": ui.svc.invoices.get(ui.company_id, invoice_id)})


@router.get("/faktury/{invoice_id}/status")
def invoice_status(ui: UiDep, invoice_id: int) -> Response:
    invoice = ui.svc.invoices.get(ui.company_id, invoice_id)
    return render(ui.request, "_status.html", _status_context(ui, invoice))


def _download(data: bytes, media: str, filename: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", filename)
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{safe}"'})


@router.get("/faktury/{invoice_id}/xml")
def invoice_xml(ui: UiDep, invoice_id: int) -> Response:
    invoice = ui.svc.invoices.get(ui.company_id, invoice_id)
    return _download(
        ui.svc.invoices.xml(ui.company_id, invoice_id), "application/xml", f"{invoice.number}.xml"
    )


@router.get("/faktury/{invoice_id}/upo")
def invoice_upo(ui: UiDep, invoice_id: int) -> Response:
    invoice = ui.svc.invoices.get(ui.company_id, invoice_id)
    return _download(
        ui.svc.invoices.upo(ui.company_id, invoice_id), "application/xml", f"UPO-{invoice.number}.xml"
    )


@router.get("/faktury/{invoice_id}/upo-pdf")
def invoice_upo_pdf(ui: UiDep, invoice_id: int) -> Response:
    """The invoice's UPO as a readable PDF."""
    invoice = ui.svc.invoices.get(ui.company_id, invoice_id)
    pdf = ui.svc.invoices.upo_pdf(ui.company_id, invoice_id)
    return _download(pdf, "application/pdf", f"UPO-{invoice.number}.pdf")


@router.get("/faktury/{invoice_id}/upo-sesji")
def invoice_session_upo(ui: UiDep, invoice_id: int, pdf: int = 0) -> Response:
    """The session UPO's page that confirms this invoice (KSeF's receipt for the whole session), as KSeF
    issued it (XML) or, with ``?pdf=1``, as a readable PDF."""
    invoice = ui.svc.invoices.get(ui.company_id, invoice_id)
    name = f"UPO-sesji-{invoice.session_reference or invoice.number}"
    if pdf:
        return _download(
            ui.svc.invoices.session_upo_pdf(ui.company_id, invoice_id), "application/pdf", name + ".pdf"
        )
    return _download(
        ui.svc.invoices.session_upo_xml(ui.company_id, invoice_id), "application/xml", name + ".xml"
    )


@router.get("/faktury/{invoice_id}/pdf")
def invoice_pdf(ui: UiDep, invoice_id: int) -> Response:
    from fakturnik.web.ui.documents import pdf_or_none

    invoice = ui.svc.invoices.get(ui.company_id, invoice_id)
    pdf = pdf_or_none(ui, invoice_id)
    if pdf is None:
        raise NotFoundError("PDF faktury jeszcze nie jest dostępny")
    return _download(pdf, "application/pdf", f"{invoice.number}.pdf")


@router.post("/faktury/{invoice_id}/zaplacona")
def mark_paid(
    ui: UiDep,
    invoice_id: int,
    undo: Annotated[str, Form(max_length=5)] = "",
    amount: Annotated[str, Form(max_length=32)] = "",
    paid_at: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Paid in full today, or a part (``amount``) and/or on another day (``paid_at``); ``undo`` clears it."""
    from fakturnik.app.invoices import today_pl

    if undo:
        ui.svc.invoices.clear_payment(ui.company_id, invoice_id)
        return RedirectResponse(f"/faktury/{invoice_id}", status_code=303)
    errors: dict[str, str] = {}
    value = parse_amount(amount) if amount.strip() else None
    if amount.strip() and (value is None or value <= 0):
        errors["amount"] = "Podaj kwotę wpłaty większą od zera, np. 1 234,56."
    day: date | None = None
    if paid_at:
        try:
            day = date.fromisoformat(paid_at)
        except ValueError:
            errors["paid_at"] = "Niepoprawna data; wpisz ją jako DD.MM.RRRR."
        else:
            if day > today_pl():
                errors["paid_at"] = "Data wpłaty nie może być z przyszłości."
    if not errors:
        try:
            ui.svc.invoices.record_payment(ui.company_id, invoice_id, value, day)
        except InputError as exc:
            errors["amount"] = (exc.problems[0].message if exc.problems else str(exc)).capitalize() + "."
    if errors:
        form = {"amount": amount, "paid_at": paid_at}
        return _invoice_page(ui, invoice_id, payment_error=errors, payment_form=form, status=422)
    return RedirectResponse(f"/faktury/{invoice_id}", status_code=303)


@router.post("/faktury/{invoice_id}/wyslij-teraz")
def send_now(ui: UiDep, invoice_id: int) -> Response:
    ui.svc.invoices.send_now(ui.company_id, [invoice_id])
    return RedirectResponse(f"/faktury/{invoice_id}", status_code=303)


def _recurring(ui: Ui) -> Any:
    from fakturnik.app.recurring import RecurringService

    return RecurringService(ui.fk, ui.actor)


@router.post("/faktury/{invoice_id}/cykliczna")
def make_recurring(
    ui: UiDep,
    invoice_id: int,
    day: Annotated[str, Form(max_length=5)] = "",
    email_to: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    if not day.isdigit() or not 1 <= int(day) <= 28:
        return _invoice_page(ui, invoice_id, recurring_error="Podaj dzień miesiąca od 1 do 28.", status=422)
    try:
        _recurring(ui).create_from_invoice(
            ui.company_id, invoice_id, day_of_month=int(day), email_to=email_to.strip()
        )
    except InputError as exc:
        message = exc.problems[0].message if exc.problems else str(exc)
        return _invoice_page(ui, invoice_id, recurring_error=message, status=422)
    return RedirectResponse("/faktury/cykliczne", status_code=303)
