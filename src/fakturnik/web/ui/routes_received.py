"""Received invoices: the inbox filled by the sync, an invoice's page, its PDF and XML, booked and paid."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from fakturnik.app.access import Action
from fakturnik.app.filters import InvoiceFilter
from fakturnik.errors import NotFoundError
from fakturnik.web.ui.deps import Ui, UiDep
from fakturnik.web.ui.routing import ui_router
from fakturnik.web.ui.templating import render

router = ui_router()

_NIP = re.compile(r"^\d{10}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_BACK = re.compile(r"^/otrzymane(\?[A-Za-z0-9_=&%+.:~\-]{0,600})?$")


def _nip_of(text: str) -> str:
    return re.sub(r"[\s-]", "", text).removeprefix("PL")


def _back(request: Request, invoice_id: int) -> str:
    """Where a booked/paid button returns: the invoice's page when pressed there, else the inbox."""
    return f"/otrzymane/{invoice_id}" if request.query_params.get("z") == "strona" else "/otrzymane"


@router.get("/otrzymane")
def received_list(request: Request, ui: UiDep) -> Response:
    p = request.query_params
    seller = _nip_of(p.get("seller", "")[:20])
    booked_param = p.get("booked", "")
    month = p.get("month", "")[:7]
    paid = p.get("paid", "")[:20]
    flt = InvoiceFilter(
        seller_nip=seller if _NIP.match(seller) else None,
        booked={"yes": True, "no": False}.get(booked_param),
        month=month if _MONTH.match(month) else None,
        paid=paid if paid in ("paid", "unpaid", "overdue") else None,  # type: ignore[arg-type]
        q=p.get("q", "")[:100] or None,
    )
    page = ui.svc.received.list(ui.company_id, flt, limit=100, with_totals=True)
    context = ui.context(
        "received",
        page=page,
        seller=seller,
        booked=booked_param,
        month=month,
        paid=paid,
        q=p.get("q", "")[:100],
        back=request.url.path + ("?" + request.url.query if request.url.query else ""),
        done=p.get("zaksiegowano", "")[:6] if p.get("zaksiegowano", "").isdigit() else "",
        can_write=ui.can(Action.RECEIVED_WRITE),
        can_sync=ui.can(Action.SYNC_RUN),
        synced=p.get("pobrano"),
    )
    return render(request, "received.html", context)


@router.post("/otrzymane/synchronizuj")
def received_sync(ui: UiDep) -> Response:
    result = ui.svc.ksef.sync(ui.company_id)
    return RedirectResponse(f"/otrzymane?pobrano={int(result.new)}", status_code=303)


@router.post("/otrzymane/akcje")
async def received_bulk(request: Request, ui: UiDep) -> Response:
    """Mark the ticked received invoices booked (the accountant's morning round)."""
    form = await request.form(max_fields=600, max_files=0)
    ids = [int(v) for v in form.getlist("ids") if isinstance(v, str) and v.isdigit() and len(v) < 12][:500]
    back = form.get("back")
    back = back if isinstance(back, str) and _BACK.match(back) else "/otrzymane"
    if form.get("action") == "zip":
        return _zip(ui, ids)
    done = 0
    if form.get("action") == "booked":
        for invoice_id in ids:
            if ui.svc.received.get(ui.company_id, invoice_id).booked_at is None:
                ui.svc.received.mark_booked(ui.company_id, invoice_id)
                done += 1
    from urllib.parse import parse_qsl, urlencode, urlsplit

    parts = urlsplit(back)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("zaksiegowano", "pobrano")]
    return RedirectResponse(
        parts.path + "?" + urlencode([*query, ("zaksiegowano", str(done))]), status_code=303
    )


@router.get("/otrzymane/{invoice_id}")
def received_page(request: Request, ui: UiDep, invoice_id: int) -> Response:
    invoice = ui.svc.received.get(ui.company_id, invoice_id)
    context = ui.context(
        "received",
        invoice=invoice,
        xml_lines=_lines(ui, invoice_id),
        warnings=_warnings(ui, invoice_id),
        can_write=ui.can(Action.RECEIVED_WRITE),
    )
    return render(request, "received_invoice.html", context)


def _warnings(ui: Ui, invoice_id: int) -> Any:
    """What validation noted on the received invoice, by authority, where the app reports it."""
    from fakturnik.errors import FakturnikError

    warnings = getattr(ui.svc.received, "warnings", None)
    if warnings is None:
        return None
    try:
        return warnings(ui.company_id, invoice_id)
    except FakturnikError:
        return None


def _lines(ui: Ui, invoice_id: int) -> list[dict[str, Any]]:
    """The received invoice's lines as its seller wrote them (an advance invoice's: its order's)."""
    from fakturnik.errors import FakturnikError
    from fakturnik.web.ui.invoice_form import document_lines

    try:
        draft = ui.svc.received.draft_of(ui.company_id, invoice_id)
    except FakturnikError:  # a seller's file our parser does not read: the page still shows the facts
        return []
    return document_lines(draft)


@router.post("/otrzymane/{invoice_id}/zaksiegowana")
async def received_booked(request: Request, ui: UiDep, invoice_id: int) -> Response:
    data = await request.form(max_fields=10, max_files=0)
    ui.svc.received.mark_booked(ui.company_id, invoice_id, booked=data.get("undo") != "1")
    return RedirectResponse(_back(request, invoice_id), status_code=303)


@router.post("/otrzymane/{invoice_id}/zaplacona")
async def received_paid(request: Request, ui: UiDep, invoice_id: int) -> Response:
    data = await request.form(max_fields=10, max_files=0)
    if data.get("undo") == "1":
        ui.svc.received.clear_payment(ui.company_id, invoice_id)
    else:
        ui.svc.received.record_payment(ui.company_id, invoice_id)
    return RedirectResponse(_back(request, invoice_id), status_code=303)


def _zip(ui: Ui, ids: list[int]) -> Response:
    """The ticked received invoices (all of them, up to 500, when none is ticked) as PDFs in one ZIP."""
    import io
    import zipfile

    from fakturnik.errors import FakturnikError
    from fakturnik.web.ui.documents import pdf_available

    rows = [ui.svc.received.get(ui.company_id, i) for i in ids] or list(
        ui.svc.received.list(ui.company_id, limit=500).items
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for row in rows:
            try:
                pdf = bytes(ui.svc.received.pdf(ui.company_id, row.id)) if pdf_available() else None
            except FakturnikError:  # a seller's file the renderer does not read: its XML instead
                pdf = None
            if pdf is not None:
                archive.writestr(_file_name(row, "pdf"), pdf)
            else:
                archive.writestr(_file_name(row, "xml"), ui.svc.received.xml(ui.company_id, row.id))
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="faktury-otrzymane.zip"'},
    )


def _file_name(invoice: Any, suffix: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{invoice.seller.nip}-{invoice.number}") or str(invoice.id)
    return f"{base[:150]}.{suffix}"


@router.get("/otrzymane/{invoice_id}/xml")
def received_xml(ui: UiDep, invoice_id: int) -> Response:
    invoice = ui.svc.received.get(ui.company_id, invoice_id)
    data = ui.svc.received.xml(ui.company_id, invoice_id)
    return Response(
        data,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(invoice, "xml")}"'},
    )


@router.get("/otrzymane/{invoice_id}/pdf")
def received_pdf(ui: UiDep, invoice_id: int) -> Response:
    """The received invoice drawn as PDF (with KOD I of its KSeF number) through ``ReceivedService.pdf``."""
    from fakturnik.web.ui.documents import pdf_available

    invoice = ui.svc.received.get(ui.company_id, invoice_id)
    if not pdf_available():
        raise NotFoundError("PDF faktury nie jest dostępny w tej instalacji (brak modułu wizualizacji)")
    data = bytes(ui.svc.received.pdf(ui.company_id, invoice_id))
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(invoice, "pdf")}"'},
    )
