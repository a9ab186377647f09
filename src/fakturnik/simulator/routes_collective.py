"""KSeF API 2.7: collective identifiers (one transfer for up to 500 invoices of one seller) and the 2.7.0
test-data certificate update (digest §15).

``collective`` documents (key: the identifier)::

    {"number", "context" (creator's context key), "contextNip", "sellerNip", "dateCreated",
     "invoices": [{"ksefNumber", "payment"?: {amount, currency}, "description"?}]}

Visibility: the creator's context, and any context that appears on one of its invoices (a NIP context as
seller sees the identifiers made for its invoices). Payment details of an invoice go only to the creator and
to the contexts on that invoice; others get ``detailsHidden: true``. ``POST /collective-identifiers/invoices``
is 2.7.1 (from the changelog: up to 10 identifiers, page size up to 500).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from fakturnik.base.ksef_numbers import make_collective_identifier
from fakturnik.simulator.core import Sim, Simulator, sim_of
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.metadata import appears_anywhere, parse_query_time
from fakturnik.simulator.paging import Continuation, page
from fakturnik.simulator.security import Caller, require

router = APIRouter()

KIND = "collective"
PERMISSIONS = ("InvoiceRead", "InvoiceWrite", "CollectiveIdentifierManage")
MAX_INVOICES = 500
MAX_PER_INVOICE = 132  # identifiers one invoice may belong to, per context
MAX_RANGE = timedelta(days=100)


def injected_error(request: Request) -> None:
    """The ``collectiveError`` fault (routes_admin): 71004 / 71005 (API 2.8.1) on demand, nothing done.

    The Ministry's documentation available here does not say what the two codes mean, so nothing else
    produces them; the description says so.
    """
    faults = sim_of(request).faults
    if faults.collective_error and faults.collective_error_count > 0:
        faults.collective_error_count -= 1
        code = faults.collective_error
        if faults.collective_error_count == 0:
            faults.collective_error = 0
        raise ApiError(
            code,
            description="Operacja na identyfikatorze zbiorczym odrzucona.",
            details=f"Kod {code} (API 2.8.1) wywołany przez symulator na żądanie; jego znaczenie nie jest "
            "opisane w dostępnej dokumentacji.",
        )


INJECTED = [Depends(injected_error)]
Reader = Annotated[Caller, Depends(require("other", PERMISSIONS))]
"""A caller of the listings (rate-limit group ``other``)."""
Maker = Annotated[Caller, Depends(require("collectiveIdentifier", PERMISSIONS))]
"""A caller of ``POST /collective-identifiers`` and ``/invoices`` (group ``collectiveIdentifier``)."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Payment(_Body):
    amount: float
    currency: Annotated[str, Field(min_length=3, max_length=3)]


class InvoiceIn(_Body):
    ksefNumber: Annotated[str, Field(min_length=35, max_length=36)]
    payment: Payment | None = None
    description: Annotated[str | None, Field(max_length=512)] = None


class GenerateIn(_Body):
    invoices: Annotated[list[InvoiceIn], Field(min_length=1, max_length=MAX_INVOICES)]


class QueryIn(_Body):
    dateCreatedFrom: str
    dateCreatedTo: str
    collectiveIdentifierNumber: str | None = None
    invoiceCountFrom: int | None = None
    invoiceCountTo: int | None = None
    createdInCurrentContext: bool | None = None


class InvoicesQueryIn(_Body):
    collectiveIdentifierNumbers: Annotated[list[str], Field(min_length=1, max_length=10)]


class UpdateCertificateIn(_Body):
    validTo: str


def _invoice(sim: Simulator, ksef_number: str) -> dict[str, Any] | None:
    idx = sim.state.get("invidx", f"ksef:{ksef_number}")
    return sim.state.get("invoice", idx["key"]) if idx else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _created_here(doc: dict[str, Any], caller: Caller) -> bool:
    return bool(doc["context"] == caller.context_key)


def _sees_invoice(sim: Simulator, caller: Caller, ksef_number: str) -> bool:
    inv = _invoice(sim, ksef_number)
    return inv is not None and appears_anywhere(inv, caller.context_value)


def _visible(sim: Simulator, caller: Caller, doc: dict[str, Any]) -> bool:
    if _created_here(doc, caller):
        return True
    if caller.context_type == "Nip" and doc["sellerNip"] == caller.context_value:
        return True
    return any(_sees_invoice(sim, caller, i["ksefNumber"]) for i in doc["invoices"])


@router.post("/collective-identifiers", status_code=201, dependencies=INJECTED)
def generate(
    body: GenerateIn,
    sim: Sim,
    caller: Maker,
) -> dict[str, Any]:
    numbers = [i.ksefNumber for i in body.invoices]
    if len(set(numbers)) != len(numbers):
        raise ApiError(21405, "invoices: każdy numer KSeF może wystąpić tylko raz.")
    sellers = {n[:10] for n in numbers}
    existing = [d for d in sim.state.all(KIND) if d["context"] == caller.context_key]
    for number in numbers:
        inv = _invoice(sim, number)
        if inv is None or not appears_anywhere(inv, caller.context_value) or len(sellers) > 1:
            raise ApiError(
                71001,
                description="Faktura nie może zostac przypisana do Identyfikatora Zbiorczego.",
                details=f"Faktura o numerze KSeF {number} nie może zostac przypisana do "
                "Identyfikatora Zbiorczego.",
            )
        if (
            sum(1 for d in existing if any(i["ksefNumber"] == number for i in d["invoices"]))
            >= MAX_PER_INVOICE
        ):
            raise ApiError(
                71002,
                description="Faktura jest już przypisana do maksymalnej liczby Identyfikatorów Zbiorczych.",
                details=f"Faktura o numerze KSeF {number} jest już przypisana do maksymalnej liczby "
                "Identyfikatorów Zbiorczych.",
            )
    now = sim.now()
    seller = next(iter(sellers))
    number = make_collective_identifier(seller, now.date())
    sim.state.put(
        KIND,
        number,
        {
            "number": number,
            "context": caller.context_key,
            "sellerNip": seller,
            "dateCreated": _iso(now),
            "invoices": [i.model_dump(exclude_none=True) for i in body.invoices],
        },
    )
    return {"collectiveIdentifierNumber": number}


def _item(doc: dict[str, Any], caller: Caller, *, count: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "collectiveIdentifierNumber": doc["number"],
        "dateCreated": doc["dateCreated"],
        "createdInCurrentContext": _created_here(doc, caller),
    }
    if count:
        out["invoiceCount"] = len(doc["invoices"])
    return out


def _listing(
    found: list[dict[str, Any]], caller: Caller, page_size: int, continuation: str | None, *, count: bool
) -> dict[str, Any]:
    """A page of identifiers, newest first."""
    found = sorted(found, key=lambda d: (d["dateCreated"], d["number"]), reverse=True)
    return page(
        "collectiveIdentifiers", found, page_size, continuation, lambda d: _item(d, caller, count=count)
    )


@router.post("/collective-identifiers/query", dependencies=INJECTED)
def query(
    body: QueryIn,
    sim: Sim,
    caller: Reader,
    pageSize: Annotated[int, Query(ge=10, le=200)] = 10,
    continuation: Continuation = None,
) -> dict[str, Any]:
    try:
        start, end = parse_query_time(body.dateCreatedFrom), parse_query_time(body.dateCreatedTo)
    except ValueError as exc:
        raise ApiError(21405, "dateCreatedFrom/dateCreatedTo: nieprawidłowa data.") from exc
    if end < start:
        raise ApiError(21405, "dateCreatedTo jest wcześniejsza niż dateCreatedFrom.")
    if end - start > MAX_RANGE:
        raise ApiError(21405, "Zakres dat utworzenia nie może przekraczać 100 dni.")
    found = []
    for doc in sim.state.all(KIND):
        created = parse_query_time(doc["dateCreated"])
        n = len(doc["invoices"])
        if not (start <= created <= end) or not _visible(sim, caller, doc):
            continue
        if body.collectiveIdentifierNumber and doc["number"] != body.collectiveIdentifierNumber:
            continue
        if (body.invoiceCountFrom is not None and n < body.invoiceCountFrom) or (
            body.invoiceCountTo is not None and n > body.invoiceCountTo
        ):
            continue
        if (
            body.createdInCurrentContext is not None
            and _created_here(doc, caller) != body.createdInCurrentContext
        ):
            continue
        found.append(doc)
    return _listing(found, caller, pageSize, continuation, count=True)


@router.get("/collective-identifiers/ksef/{ksefNumber}", dependencies=INJECTED)
def by_ksef_number(
    ksefNumber: str,
    sim: Sim,
    caller: Reader,
    pageSize: Annotated[int, Query(ge=10, le=200)] = 10,
    continuation: Continuation = None,
) -> dict[str, Any]:
    found = [
        d
        for d in sim.state.all(KIND)
        if any(i["ksefNumber"] == ksefNumber for i in d["invoices"])
        and (_created_here(d, caller) or _sees_invoice(sim, caller, ksefNumber))
    ]
    return _listing(found, caller, pageSize, continuation, count=False)


def _invoice_rows(
    sim: Simulator, caller: Caller, doc: dict[str, Any], *, with_number: bool
) -> list[dict[str, Any]]:
    rows = []
    for entry in sorted(doc["invoices"], key=lambda i: i["ksefNumber"], reverse=True):
        row: dict[str, Any] = {"ksefNumber": entry["ksefNumber"], "detailsHidden": False}
        if with_number:
            row["collectiveIdentifierNumber"] = doc["number"]
        allowed = _created_here(doc, caller) or _sees_invoice(sim, caller, entry["ksefNumber"])
        if allowed:
            row.update({k: entry[k] for k in ("payment", "description") if k in entry})
        elif "payment" in entry or "description" in entry:
            row["detailsHidden"] = True
        rows.append(row)
    return rows


def _visible_doc(sim: Simulator, caller: Caller, number: str) -> dict[str, Any]:
    doc = sim.state.get(KIND, number)
    if doc is None or not _visible(sim, caller, doc):
        raise ApiError(21405, f"Identyfikator zbiorczy {number} nie istnieje.")
    return doc


@router.get("/collective-identifiers/{collectiveIdentifierNumber}/invoices", dependencies=INJECTED)
def invoices_of(
    collectiveIdentifierNumber: str,
    sim: Sim,
    caller: Reader,
    pageSize: Annotated[int, Query(ge=10, le=200)] = 10,
    continuation: Continuation = None,
) -> dict[str, Any]:
    doc = _visible_doc(sim, caller, collectiveIdentifierNumber)
    return page("invoices", _invoice_rows(sim, caller, doc, with_number=False), pageSize, continuation)


@router.post("/collective-identifiers/invoices", dependencies=INJECTED)
def invoices_of_many(
    body: InvoicesQueryIn,
    sim: Sim,
    caller: Maker,
    pageSize: Annotated[int, Query(ge=10, le=500)] = 10,
    continuation: Continuation = None,
) -> dict[str, Any]:
    """2.7.1 (changelog): the invoices of up to 10 identifiers, each item naming its identifier."""
    rows: list[dict[str, Any]] = []
    for number in dict.fromkeys(body.collectiveIdentifierNumbers):
        rows += _invoice_rows(sim, caller, _visible_doc(sim, caller, number), with_number=True)
    return page("invoices", rows, pageSize, continuation)


@router.put("/testdata/certificates/{serialNumber}")
def update_certificate(
    body: UpdateCertificateIn,
    sim: Sim,
    caller: Annotated[Caller, Depends(require("other"))],
    serialNumber: Annotated[str, Path(min_length=16, max_length=16, pattern="^[0-9A-F]{16}$")],
) -> Response:
    """Shorten a KSeF certificate of the authenticated subject (``validTo`` not later than today's)."""
    doc = sim.state.get("certificate", serialNumber)
    subject = {"type": caller.subject_type, "value": caller.subject_value}
    if doc is None or doc.get("subjectIdentifier") != subject:
        raise ApiError(25008, "Certyfikat o podanym numerze seryjnym nie istnieje.")
    try:
        valid_to = parse_query_time(body.validTo)
    except ValueError as exc:
        raise ApiError(21405, "validTo: nieprawidłowa data.") from exc
    current = parse_query_time(str(doc["validTo"]))
    if valid_to > current:
        raise ApiError(21405, "validTo: nowa data ważności nie może być późniejsza niż obecna.")
    sim.state.put("certificate", serialNumber, {**doc, "validTo": valid_to.astimezone(UTC).isoformat()})
    return Response(status_code=200)
