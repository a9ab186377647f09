"""KSeF 2.0 API: invoice download, metadata query and exports (digest §3.4, §12)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from fakturnik.base.ksef_numbers import KSEF_NUMBER_RE, KSEF_NUMBER_V1_RE, make_reference_number
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.simulator import exports, metadata, processing
from fakturnik.simulator.core import sim_of
from fakturnik.simulator.errors import ApiError, gone
from fakturnik.simulator.security import Caller, require
from fakturnik.simulator.session_api import EncryptionIn, unwrap_key
from fakturnik.simulator.session_store import iso, parse_iso

router = APIRouter()

InvoiceTypeName = Literal[
    "Vat", "Zal", "Kor", "Roz", "Upr", "KorZal", "KorRoz", "VatPef", "VatPefSp", "KorPef", "VatRr", "KorVatRr"
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class DateRangeIn(_Model):
    dateType: Literal["Issue", "Invoicing", "PermanentStorage"]
    from_: str = Field(alias="from")
    to: str | None = None
    restrictToPermanentStorageHwmDate: bool | None = None


class AmountIn(_Model):
    type: Literal["Brutto", "Netto", "Vat"]
    from_: float | None = Field(default=None, alias="from")
    to: float | None = None


class BuyerIdIn(_Model):
    type: Literal["Nip", "VatUe", "Other", "None"]
    value: str | None = Field(default=None, max_length=50)


class FiltersIn(_Model):
    subjectType: Literal["Subject1", "Subject2", "Subject3", "SubjectAuthorized"]
    dateRange: DateRangeIn
    ksefNumber: str | None = None
    invoiceNumber: str | None = Field(default=None, max_length=256)
    amount: AmountIn | None = None
    sellerNip: str | None = Field(default=None, pattern=r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}$")
    buyerIdentifier: BuyerIdIn | None = None
    currencyCodes: list[str] | None = None
    invoicingMode: Literal["Online", "Offline"] | None = None
    isSelfInvoicing: bool | None = None
    formType: Literal["FA", "PEF", "FA_RR"] | None = None
    invoiceTypes: list[InvoiceTypeName] | None = None
    hasAttachment: bool | None = None

    def as_filters(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(by_alias=True, exclude_none=True)
        return data


class ExportIn(_Model):
    encryption: EncryptionIn
    filters: FiltersIn
    onlyMetadata: bool = False
    compressionType: Literal["Zip", "TarGz"] | None = None


READ = ("InvoiceRead",)


def _valid_ksef_number(value: str) -> bool:
    return bool(KSEF_NUMBER_RE.match(value) or KSEF_NUMBER_V1_RE.match(value))


@router.get("/invoices/ksef/{ksefNumber}")
def download_invoice(
    ksefNumber: str, request: Request, caller: Annotated[Caller, Depends(require("invoiceDownload", READ))]
) -> Response:
    sim = sim_of(request)
    if not _valid_ksef_number(ksefNumber):
        raise ApiError(21405, f"ksefNumber: nieprawidłowy format {ksefNumber!r}.")
    idx = sim.state.get("invidx", f"ksef:{ksefNumber}")
    inv = sim.state.get("invoice", idx["key"]) if idx else None
    if inv is None or not metadata.appears_anywhere(inv, caller.context_value):
        raise ApiError(21164, f"Faktura {ksefNumber} nie istnieje.")
    if parse_iso(inv["permanentStorageDate"]) > sim.now():
        raise ApiError(21165, f"Faktura {ksefNumber} nie jest jeszcze dostępna.")
    xml = sim.state.get_blob(f"xml/{ksefNumber}") or b""
    return Response(xml, media_type="application/xml", headers={"x-ms-meta-hash": sha256_b64(xml)})


@router.post("/invoices/query/metadata")
def query_metadata(
    body: FiltersIn,
    request: Request,
    caller: Annotated[Caller, Depends(require("invoiceMetadata", READ))],
    sortOrder: Literal["Asc", "Desc"] = "Asc",
    pageOffset: Annotated[int, Query(ge=0)] = 0,
    pageSize: Annotated[int, Query(ge=10, le=250)] = 10,
) -> dict[str, Any]:
    sim = sim_of(request)
    filters = body.as_filters()
    with sim.state.lock:
        now = sim.now()
        mark = metadata.hwm(now)
        invoices = sim.state.all("invoice")
    window = metadata.date_window(filters["dateRange"], now)
    is_storage = window.date_type == "PermanentStorage"
    if is_storage and window.restrict_to_hwm:
        if window.start > mark:
            raise ApiError(21183, "dateRange.from jest późniejsza niż permanentStorageHwmDate.")
        window = metadata.DateWindow(window.date_type, window.start, min(window.end, mark), True)
    rows = metadata.select(
        invoices, filters, window, caller.context_value, descending=sortOrder == "Desc", now=now
    )
    capped = rows[: metadata.ROW_CAP]
    start = pageOffset * pageSize
    end = start + pageSize
    page = capped[start:end]
    out: dict[str, Any] = {
        "hasMore": end < len(rows),
        "isTruncated": len(rows) > metadata.ROW_CAP and end >= metadata.ROW_CAP,
        "invoices": [metadata.render(inv) for inv in page],
    }
    if is_storage:
        out["permanentStorageHwmDate"] = iso(min(window.end, mark))
    return out


def _check_subject(caller: Caller, subject_type: str) -> None:
    """Which subject roles a context may export (21181)."""
    if caller.context_type not in ("Nip", "InternalId", "NipVatUe"):
        raise ApiError(21181, f"Eksport niedostępny dla kontekstu {caller.context_type}.")
    if caller.context_type == "NipVatUe" and subject_type != "Subject1":
        raise ApiError(21181, f"Kontekst NipVatUe może eksportować tylko jako Subject1, nie {subject_type}.")


@router.post("/invoices/exports", status_code=201)
def start_export(
    body: ExportIn, request: Request, caller: Annotated[Caller, Depends(require("invoiceExport", READ))]
) -> dict[str, Any]:
    sim = sim_of(request)
    filters = body.filters.as_filters()
    _check_subject(caller, filters["subjectType"])
    metadata.date_window(filters["dateRange"], sim.now())
    key, iv = unwrap_key(sim, body.encryption)
    now = sim.now()
    with sim.state.lock:
        running = sum(
            1 for e in sim.state.all("export") if e["status"]["code"] == 100 and caller.made_here(e)
        )
        if running >= exports.MAX_RUNNING:
            raise ApiError(21182, f"Trwa już {running} eksportów w tym kontekście.")
        ref = make_reference_number("EH", now.date())
        sim.state.put(
            "export",
            ref,
            {
                "referenceNumber": ref,
                "contextType": caller.context_type,
                "contextValue": caller.context_value,
                "status": exports.export_status(100),
                "dateCreated": iso(now),
                "filters": filters,
                "onlyMetadata": body.onlyMetadata,
                "compressionType": body.compressionType or "Zip",
                "key": key,
                "iv": iv,
            },
        )
    processing.processor(sim).submit(("export", ref))
    return {"referenceNumber": ref}


@router.get("/invoices/exports/{referenceNumber}")
def export_status_view(
    referenceNumber: str,
    request: Request,
    caller: Annotated[Caller, Depends(require("invoiceExportStatus", READ))],
) -> Any:
    sim = sim_of(request)
    processing.processor(sim)
    export = sim.state.get("export", referenceNumber)
    if export is None or not caller.made_here(export):
        raise ApiError(21175, f"Eksport {referenceNumber} nie istnieje.")
    if sim.now() > parse_iso(export["dateCreated"]) + exports.STATUS_RETENTION:
        return gone(request, sim.now())
    return exports.render_status(sim, sim.public_base(request), export)
