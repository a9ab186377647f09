"""Who objects to an invoice (``fa3.authority``) in the web app.

- Ustawienia → Wystawianie: the company's strictness (what refuses an invoice at issue time). KSeF's own
  checks always refuse; the VAT-act and amounts problems refuse by this setting (default) or only warn.
  A thin face of ``CompaniesService.update(strictness=…)``.
- ``/otrzymane/{id}/ostrzezenia``: a received invoice's warnings grouped by authority (it is never
  refused for anything KSeF accepted); ``_received_warnings.html`` is the include other pages may use.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response
from fastapi.responses import RedirectResponse

from fakturnik.app.access import Action
from fakturnik.errors import FakturnikError
from fakturnik.fa3.authority import AUTHORITY_LABELS
from fakturnik.web.ui.deps import Ui, UiDep
from fakturnik.web.ui.routing import ui_router
from fakturnik.web.ui.templating import render

router = ui_router()
PAGE = "/ustawienia/wystawianie"


def _page(ui: Ui, *, error: str = "", status: int = 200) -> Response:
    context = ui.context(
        "settings",
        strictness=ui.company.strictness if ui.company is not None else "all",
        labels=AUTHORITY_LABELS,
        can_admin=ui.can(Action.COMPANY_ADMIN),
        saved=ui.request.query_params.get("zapisano") == "1",
        error=error,
    )
    return render(ui.request, "strictness.html", context, status_code=status)


@router.get(PAGE)
def strictness_page(ui: UiDep) -> Response:
    return _page(ui)


@router.post(PAGE)
async def strictness_set(request: Request, ui: UiDep) -> Response:
    data = await request.form(max_fields=10, max_files=0)
    try:
        ui.svc.companies.update(ui.company_id, strictness=str(data.get("strictness", "")))
    except FakturnikError as exc:
        return _page(ui, error=str(exc), status=422)
    return RedirectResponse(PAGE + "?zapisano=1", status_code=303)


@router.get("/otrzymane/{invoice_id}/ostrzezenia")
def received_warnings(invoice_id: Annotated[int, Path(ge=1, le=2**63 - 1)], ui: UiDep) -> Response:
    warnings = ui.svc.received.warnings(ui.company_id, invoice_id)
    invoice = ui.svc.received.get(ui.company_id, invoice_id)
    context = ui.context("received", warnings=warnings, invoice=invoice)
    return render(ui.request, "received_warnings.html", context)
