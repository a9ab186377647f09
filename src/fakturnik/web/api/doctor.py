"""The health check over REST: each company's KSeF environment, login, expiry, rights, clock, schemas."""

from __future__ import annotations

from typing import Literal

from fastapi.routing import APIRouter
from pydantic import Field

from fakturnik.web.api.common import CompanyId, Out, Routes
from fakturnik.web.api.deps import Svc

router = APIRouter(tags=["firmy"])
route = Routes(router)


class CheckLineOut(Out):
    check: str = Field(description="environment | login | expiry | offline | rights | clock | schemas")
    title: str
    status: Literal["ok", "warn", "error", "skip"]
    message: str = Field(description="Co jest w porządku albo co zrobić (po polsku).")


class HealthOut(Out):
    company_id: int
    nip: str
    name: str
    environment: str
    ok: bool = Field(description="false: co najmniej jedna linia to błąd.")
    warnings: int
    lines: list[CheckLineOut]


@route("GET", "/companies/{company_id}/doctor", "companyHealth")
def company_health(company_id: CompanyId, svc: Svc) -> HealthOut:
    """Kontrola firmy: KSeF odpowiada, logowanie, ważność, uprawnienia, zegar, schematy"""
    return HealthOut.of(svc.doctor.check(company_id))


@route("GET", "/doctor", "healthOfAll")
def health_of_all(svc: Svc) -> list[HealthOut]:
    """Kontrola wszystkich firm, do których masz dostęp"""
    return [HealthOut.of(h) for h in svc.doctor.check_all()]
