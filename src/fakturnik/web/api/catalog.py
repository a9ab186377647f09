"""Master data: contractors (with the VAT white list lookup), products, numbering series."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from fakturnik.app.views import ContractorView, ProductView, SeriesView, WhiteListEntry
from fakturnik.web.api.common import ERRORS, MAX_ID, WRITE_ERRORS, Body
from fakturnik.web.api.deps import Svc

router = APIRouter()
CompanyId = Annotated[int, Path(description="Id firmy.", ge=1, le=MAX_ID)]
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


@router.get(
    "/companies/{company_id}/contractors",
    tags=["kontrahenci"],
    operation_id="listContractors",
    summary="Kontrahenci",
    responses=ERRORS,
)
def list_contractors(
    company_id: CompanyId,
    svc: Svc,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ContractorView]:
    return list(svc.contractors.list(company_id, q=q, limit=limit, offset=offset))


@router.post(
    "/companies/{company_id}/contractors",
    status_code=201,
    tags=["kontrahenci"],
    operation_id="createContractor",
    summary="Dodaj kontrahenta",
    responses=WRITE_ERRORS,
)
def create_contractor(company_id: CompanyId, body: ContractorBody, svc: Svc) -> ContractorView:
    data = body.model_dump()
    data["bank_accounts"] = tuple(data["bank_accounts"])
    return svc.contractors.create(company_id, **data)


@router.get(
    "/companies/{company_id}/contractors/lookup/{nip}",
    tags=["kontrahenci"],
    operation_id="lookupNip",
    summary="Biała lista VAT: nazwa, adres, rachunki dla NIP (wynik z pamięci na dany dzień)",
    responses={**ERRORS, 502: ERRORS[400] | {"description": "API białej listy nie odpowiedziało."}},
)
def lookup_nip(
    company_id: CompanyId, nip: Nip, svc: Svc, on: Annotated[date | None, Query(alias="date")] = None
) -> WhiteListEntry:
    return svc.contractors.lookup_nip(company_id, nip, on=on)


@router.post(
    "/companies/{company_id}/contractors/from-white-list/{nip}",
    status_code=201,
    tags=["kontrahenci"],
    operation_id="createContractorFromWhiteList",
    summary="Dodaj kontrahenta z danych białej listy VAT",
    responses=WRITE_ERRORS,
)
def create_from_white_list(company_id: CompanyId, nip: Nip, svc: Svc) -> ContractorView:
    return svc.contractors.create_from_white_list(company_id, nip)


@router.get(
    "/companies/{company_id}/contractors/{contractor_id}",
    tags=["kontrahenci"],
    operation_id="getContractor",
    summary="Kontrahent",
    responses=ERRORS,
)
def get_contractor(company_id: CompanyId, contractor_id: ObjectId, svc: Svc) -> ContractorView:
    return svc.contractors.get(company_id, contractor_id)


@router.patch(
    "/companies/{company_id}/contractors/{contractor_id}",
    tags=["kontrahenci"],
    operation_id="updateContractor",
    summary="Zmień kontrahenta",
    responses=WRITE_ERRORS,
)
def update_contractor(
    company_id: CompanyId, contractor_id: ObjectId, body: ContractorPatch, svc: Svc
) -> ContractorView:
    data = body.model_dump(exclude_none=True)
    if "bank_accounts" in data:
        data["bank_accounts"] = tuple(data["bank_accounts"])
    return svc.contractors.update(company_id, contractor_id, **data)


@router.delete(
    "/companies/{company_id}/contractors/{contractor_id}",
    status_code=204,
    tags=["kontrahenci"],
    operation_id="deleteContractor",
    summary="Usuń kontrahenta",
    responses=WRITE_ERRORS,
)
def delete_contractor(company_id: CompanyId, contractor_id: ObjectId, svc: Svc) -> Response:
    svc.contractors.delete(company_id, contractor_id)
    return Response(status_code=204)


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


@router.get(
    "/companies/{company_id}/products",
    tags=["produkty"],
    operation_id="listProducts",
    summary="Produkty i usługi",
    responses=ERRORS,
)
def list_products(
    company_id: CompanyId, svc: Svc, q: Annotated[str | None, Query(max_length=200)] = None
) -> list[ProductView]:
    return list(svc.products.list(company_id, q=q))


@router.post(
    "/companies/{company_id}/products",
    status_code=201,
    tags=["produkty"],
    operation_id="createProduct",
    summary="Dodaj produkt",
    responses=WRITE_ERRORS,
)
def create_product(company_id: CompanyId, body: ProductBody, svc: Svc) -> ProductView:
    return svc.products.create(company_id, **body.model_dump())


@router.get(
    "/companies/{company_id}/products/{product_id}",
    tags=["produkty"],
    operation_id="getProduct",
    summary="Produkt",
    responses=ERRORS,
)
def get_product(company_id: CompanyId, product_id: ObjectId, svc: Svc) -> ProductView:
    return svc.products.get(company_id, product_id)


@router.patch(
    "/companies/{company_id}/products/{product_id}",
    tags=["produkty"],
    operation_id="updateProduct",
    summary="Zmień produkt",
    responses=WRITE_ERRORS,
)
def update_product(company_id: CompanyId, product_id: ObjectId, body: ProductPatch, svc: Svc) -> ProductView:
    return svc.products.update(company_id, product_id, **body.model_dump(exclude_none=True))


@router.delete(
    "/companies/{company_id}/products/{product_id}",
    status_code=204,
    tags=["produkty"],
    operation_id="deleteProduct",
    summary="Usuń produkt",
    responses=WRITE_ERRORS,
)
def delete_product(company_id: CompanyId, product_id: ObjectId, svc: Svc) -> Response:
    svc.products.delete(company_id, product_id)
    return Response(status_code=204)


class SeriesBody(Body):
    pattern: str = Field(
        "FV/{yyyy}/{mm}/{seq}",
        min_length=1,
        max_length=128,
        description="Znaczniki: {yyyy} {yy} {mm} {seq} {seq:06d}.",
        examples=["FV/{yyyy}/{mm}/{seq}"],
    )
    reset: Literal["yearly", "monthly", "never"] = "yearly"


@router.get(
    "/companies/{company_id}/series",
    tags=["serie numeracji"],
    operation_id="listSeries",
    summary="Serie numeracji",
    responses=ERRORS,
)
def list_series(company_id: CompanyId, svc: Svc) -> list[SeriesView]:
    return list(svc.series.list(company_id))


@router.put(
    "/companies/{company_id}/series/{kind}",
    tags=["serie numeracji"],
    operation_id="setSeries",
    summary="Ustaw serię numeracji dla rodzaju faktury",
    responses=WRITE_ERRORS,
)
def set_series(
    company_id: CompanyId,
    kind: Annotated[Literal["VAT", "KOR", "ZAL", "ROZ", "UPR", "KOR_ZAL", "KOR_ROZ"], Path()],
    body: SeriesBody,
    svc: Svc,
) -> SeriesView:
    return svc.series.set(company_id, kind, pattern=body.pattern, reset=body.reset)
