"""Master data: contractors (with the VAT white list lookup), products, numbering series."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from fakturnik.app.views import ContractorView, ProductView, SeriesView, WhiteListEntry
from fakturnik.web.api.common import ERRORS, MAX_ID, Body, CompanyId, Routes
from fakturnik.web.api.deps import Svc

router = APIRouter()
route = Routes(router)
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Nip = Annotated[str, Path(description="NIP (10 cyfr).", pattern=r"^[0-9]{10}$", examples=["5265877635"])]


class ContractorBody(Body):
    nip: str = Field(max_length=32, examples=["7740001454"])
    name: str = Field(min_length=1, max_length=512, examples=["Klient S.A."])
    address_line1: str = Field("", max_length=512)
    address_line2: str = Field("", max_length=512)
    country: str = Field("PL", min_length=2, max_length=2)
    email: str = Field("", max_length=320)
    bank_accounts: list[str] = Field(default_factory=list, max_length=20)
    note: str = Field("", max_length=2000)


class ContractorPatch(Body):
    nip: str | None = Field(None, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=512)
    address_line1: str | None = Field(None, max_length=512)
    address_line2: str | None = Field(None, max_length=512)
    country: str | None = Field(None, min_length=2, max_length=2)
    email: str | None = Field(None, max_length=320)
    bank_accounts: list[str] | None = Field(None, max_length=20)
    note: str | None = Field(None, max_length=2000)


@route("GET", "/companies/{company_id}/contractors", "listContractors", tags=["kontrahenci"])
def list_contractors(
    company_id: CompanyId,
    svc: Svc,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ContractorView]:
    """Kontrahenci"""
    return list(svc.contractors.list(company_id, q=q, limit=limit, offset=offset))


@route(
    "POST", "/companies/{company_id}/contractors", "createContractor", status_code=201, tags=["kontrahenci"]
)
def create_contractor(company_id: CompanyId, body: ContractorBody, svc: Svc) -> ContractorView:
    """Dodaj kontrahenta"""
    return svc.contractors.create(company_id, **_bank_accounts_as_tuple(body.model_dump()))


@route(
    "GET",
    "/companies/{company_id}/contractors/lookup/{nip}",
    "lookupNip",
    problems={502: ERRORS[400] | {"description": "API białej listy nie odpowiedziało."}},
    tags=["kontrahenci"],
)
def lookup_nip(
    company_id: CompanyId, nip: Nip, svc: Svc, on: Annotated[date | None, Query(alias="date")] = None
) -> WhiteListEntry:
    """Biała lista VAT: nazwa, adres, rachunki dla NIP (wynik z pamięci na dany dzień)"""
    return svc.contractors.lookup_nip(company_id, nip, on=on)


@route(
    "POST",
    "/companies/{company_id}/contractors/from-white-list/{nip}",
    "createContractorFromWhiteList",
    status_code=201,
    tags=["kontrahenci"],
)
def create_from_white_list(company_id: CompanyId, nip: Nip, svc: Svc) -> ContractorView:
    """Dodaj kontrahenta z danych białej listy VAT"""
    return svc.contractors.create_from_white_list(company_id, nip)


def _bank_accounts_as_tuple(data: dict[str, Any]) -> dict[str, Any]:
    if "bank_accounts" in data:
        data["bank_accounts"] = tuple(data["bank_accounts"])
    return data


VatRate = Literal["23", "22", "8", "7", "5", "4", "3", "0 KR", "0 WDT", "0 EX", "zw", "oo", "np I", "np II"]


class ProductBody(Body):
    name: str = Field(min_length=1, max_length=512, examples=["Wdrożenie systemu"])
    unit: str = Field("szt.", max_length=32)
    price: Decimal = Field(ge=0, max_digits=18, decimal_places=8, examples=["180.00"])
    price_kind: Literal["net", "gross"] = "net"
    vat_rate: VatRate = "23"
    gtu: str | None = Field(None, pattern=r"^GTU_(0[1-9]|1[0-3])$")
    pkwiu: str | None = Field(None, max_length=32)
    cn: str | None = Field(None, max_length=32)


class ProductPatch(Body):
    name: str | None = Field(None, min_length=1, max_length=512)
    unit: str | None = Field(None, max_length=32)
    price: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=8)
    price_kind: Literal["net", "gross"] | None = None
    vat_rate: VatRate | None = None
    gtu: str | None = Field(None, pattern=r"^GTU_(0[1-9]|1[0-3])$")
    pkwiu: str | None = Field(None, max_length=32)
    cn: str | None = Field(None, max_length=32)


@route("GET", "/companies/{company_id}/products", "listProducts", tags=["produkty"])
def list_products(
    company_id: CompanyId, svc: Svc, q: Annotated[str | None, Query(max_length=200)] = None
) -> list[ProductView]:
    """Produkty i usługi"""
    return list(svc.products.list(company_id, q=q))


@route("POST", "/companies/{company_id}/products", "createProduct", status_code=201, tags=["produkty"])
def create_product(company_id: CompanyId, body: ProductBody, svc: Svc) -> ProductView:
    """Dodaj produkt"""
    return svc.products.create(company_id, **body.model_dump())


def _item_routes(
    plural: str,
    singular: str,
    tag: str,
    noun: tuple[str, str, str],
    service: str,
    view: type[Any],
    patch: type[Body],
    prepare: Callable[[dict[str, Any]], dict[str, Any]] = lambda data: data,
) -> None:
    """GET, PATCH and DELETE of one object of a company's master data (``service`` of the app core)
    at ``/companies/{company_id}/{plural}/{<singular>_id}``; ``noun``: (shown, to change, to delete)
    in the summaries."""
    path = f"/companies/{{company_id}}/{plural}/{{{singular}_id}}"
    item_id = Annotated[int, Path(alias=f"{singular}_id", ge=1, le=MAX_ID)]
    name = singular.capitalize()

    def get_item(company_id: CompanyId, object_id: Any, svc: Svc) -> Any:
        return getattr(svc, service).get(company_id, object_id)

    def update_item(company_id: CompanyId, object_id: Any, body: Any, svc: Svc) -> Any:
        return getattr(svc, service).update(
            company_id, object_id, **prepare(body.model_dump(exclude_none=True))
        )

    def delete_item(company_id: CompanyId, object_id: Any, svc: Svc) -> Response:
        getattr(svc, service).delete(company_id, object_id)
        return Response(status_code=204)

    for func, extra in ((get_item, {"return": view}), (update_item, {"body": patch, "return": view})):
        func.__annotations__ = {**func.__annotations__, "object_id": item_id, **extra}
    delete_item.__annotations__ = {**delete_item.__annotations__, "object_id": item_id}
    shown, changed, deleted = noun
    route("GET", path, f"get{name}", summary=shown, tags=[tag])(get_item)
    route("PATCH", path, f"update{name}", summary=changed, tags=[tag])(update_item)
    route("DELETE", path, f"delete{name}", summary=deleted, tags=[tag], status_code=204)(delete_item)


_item_routes(
    "contractors",
    "contractor",
    "kontrahenci",
    ("Kontrahent", "Zmień kontrahenta", "Usuń kontrahenta"),
    "contractors",
    ContractorView,
    ContractorPatch,
    _bank_accounts_as_tuple,
)
_item_routes(
    "products",
    "product",
    "produkty",
    ("Produkt", "Zmień produkt", "Usuń produkt"),
    "products",
    ProductView,
    ProductPatch,
)


class SeriesBody(Body):
    pattern: str = Field(
        "FV/{yyyy}/{mm}/{seq}",
        min_length=1,
        max_length=128,
        description="Znaczniki: {yyyy} {yy} {mm} {seq} {seq:06d}.",
        examples=["FV/{yyyy}/{mm}/{seq}"],
    )
    reset: Literal["yearly", "monthly", "never"] = "yearly"


@route("GET", "/companies/{company_id}/series", "listSeries", tags=["serie numeracji"])
def list_series(company_id: CompanyId, svc: Svc) -> list[SeriesView]:
    """Serie numeracji"""
    return list(svc.series.list(company_id))


@route("PUT", "/companies/{company_id}/series/{kind}", "setSeries", tags=["serie numeracji"])
def set_series(
    company_id: CompanyId,
    kind: Annotated[Literal["VAT", "KOR", "ZAL", "ROZ", "UPR", "KOR_ZAL", "KOR_ROZ"], Path()],
    body: SeriesBody,
    svc: Svc,
) -> SeriesView:
    """Ustaw serię numeracji dla rodzaju faktury"""
    return svc.series.set(company_id, kind, pattern=body.pattern, reset=body.reset)
