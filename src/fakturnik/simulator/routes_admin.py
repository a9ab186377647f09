"""Admin endpoints outside ``/v2``: faults on demand and request statistics."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request

from fakturnik.simulator.core import sim_of

router = APIRouter(prefix="/admin")


@router.get("/stats")
def stats(request: Request) -> dict[str, object]:
    return sim_of(request).stats.as_json()


def install_middleware(app: FastAPI) -> None:
    """Count every request by route template and status (faults are added here too)."""

    @app.middleware("http")
    async def count_requests(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", request.url.path)
        sim_of(request).stats.record(request.method, template, response.status_code)
        return response
