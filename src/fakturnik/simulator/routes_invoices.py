"""KSeF 2.0 API: invoices endpoints."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
