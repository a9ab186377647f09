"""Płatności zbiorcze: collective identifiers (one transfer for many invoices) and payment lists.

A thin face of ``fakturnik.app.collective``: the seller makes one identifier for a buyer's unpaid invoices;
the buyer sees the identifiers its sellers made and downloads a payment list (CSV or Elixir-O).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from fakturnik.app.access import Action
from fakturnik.errors import FakturnikError
from fakturnik.web.ui.deps import Ui, UiDep
from fakturnik.web.ui.routing import ui_router
from fakturnik.web.ui.templating import render

router = ui_router()
PAGE = "/platnosci-zbiorcze"


def _page(ui: Ui, *, error: str = "", status: int = 200) -> Response:
    received: list[Any] = []
    received_error = ""
    if ui.can(Action.RECEIVED_READ):
        try:
            received = ui.svc.collective.received(ui.company_id)
        except FakturnikError as exc:  # KSeF unreachable or refusing: the rest of the page still works
            received_error = str(exc)
    context = ui.context(
        "collective",
        dues=ui.svc.collective.dues(ui.company_id) if ui.can(Action.INVOICES_READ) else [],
        created=ui.svc.collective.created(ui.company_id) if ui.can(Action.INVOICES_READ) else [],
        received=received,
        received_error=received_error,
        error=error,
        made=ui.request.query_params.get("utworzono", ""),
        can_create=ui.can(Action.COLLECTIVE_CREATE),
        can_pay=ui.can(Action.RECEIVED_READ),
    )
    return render(ui.request, "collective.html", context, status_code=status)


@router.get(PAGE)
def collective_page(ui: UiDep) -> Response:
    return _page(ui)


@router.post(PAGE)
async def collective_create(request: Request, ui: UiDep) -> Response:
    data = await request.form(max_fields=20, max_files=0)
    buyer = str(data.get("buyer_id", "")).strip()[:64]
    try:
        made = ui.svc.collective.create(ui.company_id, buyer)
    except FakturnikError as exc:
        return _page(ui, error=str(exc), status=422 if "KSeF" not in str(exc) else 409)
    return RedirectResponse(f"{PAGE}?utworzono={made.number}", status_code=303)


@router.post(PAGE + "/przelewy")
async def collective_payments(request: Request, ui: UiDep) -> Response:
    data = await request.form(max_fields=200, max_files=0)
    identifiers = [str(v)[:40] for v in data.getlist("identifiers") if isinstance(v, str)]
    fmt = "elixir" if data.get("format") == "elixir" else "csv"
    try:
        out = ui.svc.collective.payment_list(ui.company_id, identifiers=identifiers, format=fmt)
    except FakturnikError as exc:
        return _page(ui, error=str(exc), status=422)
    return Response(
        out.content,
        media_type=out.media_type,
        headers={"Content-Disposition": f'attachment; filename="{out.filename}"'},
    )
