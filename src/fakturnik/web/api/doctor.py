"""The health check over REST: each company's KSeF environment, login, expiry, rights, clock, schemas."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path
from fastapi.routing import APIRouter
from pydantic import BaseModel, Field

from fakturnik.app.doctor import CompanyHealth
from fakturnik.web.api.common import ERRORS, MAX_ID
from fakturnik.web.api.deps import Svc

router = APIRouter(tags=["firmy"])
CompanyId = Annotated[int, Path(description="Id firmy (z GET /companies).", ge=1, le=MAX_ID)]


class CheckLineOut(BaseModel):
    check: str = Field(description="environment | login | expiry | offline | rights | clock | schemas")
    title: str
    status: Literal["ok", "warn", "error", "skip"]
    message: str = Field(description="Co jest w porządku albo co zrobić (po polsku).")


class HealthOut(BaseModel):
    company_id: int
    nip: str
    name: str
    environment: str
    ok: bool = Field(description="false: co najmniej jedna linia to błąd.")
    warnings: int
    lines: list[CheckLineOut]

    @classmethod
    def of(cls, h: CompanyHealth) -> HealthOut:
        return cls(
            company_id=h.company_id,
            nip=h.nip,
            name=h.name,
            environment=h.environment,
            ok=h.ok,
            warnings=h.warnings,
            lines=[
                CheckLineOut(check=x.check, title=x.title, status=x.status, message=x.message)
                for x in h.lines
            ],
        )


@router.get(
    "/companies/{company_id}/doctor",
    summary="Kontrola firmy: KSeF odpowiada, logowanie, ważność, uprawnienia, zegar, schematy",
    operation_id="companyHealth",
    responses=ERRORS,
)
def company_health(company_id: CompanyId, svc: Svc) -> HealthOut:
    return HealthOut.of(svc.doctor.check(company_id))


@router.get(
    "/doctor",
    summary="Kontrola wszystkich firm, do których masz dostęp",
    operation_id="healthOfAll",
    responses=ERRORS,
)
def health_of_all(svc: Svc) -> list[HealthOut]:
    return [HealthOut.of(h) for h in svc.doctor.check_all()]
