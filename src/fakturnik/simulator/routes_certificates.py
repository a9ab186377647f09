"""KSeF 2.0 API: certificates endpoints."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
