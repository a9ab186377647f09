"""KSeF 2.0 API: permissions endpoints."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
