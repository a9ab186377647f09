"""Liveness: answers without authentication and without touching the store (for proxies, probes)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from fakturnik import __version__

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: str
    version: str


@router.get("/health", summary="Czy serwer działa", operation_id="health")
def health() -> Health:
    return Health(status="ok", version=__version__)
