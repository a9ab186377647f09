"""KSeF 2.0 API: sessions endpoints."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
