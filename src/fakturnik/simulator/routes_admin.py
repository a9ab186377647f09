"""Admin endpoints outside ``/v2``: faults on demand and request statistics.

- ``GET /admin/stats`` — requests counted by (method, route template, status); ``POST /admin/stats/reset``.
- ``GET /admin/faults`` — the faults in force.
- ``POST /admin/faults`` — change faults; every field optional::

      {"outageSeconds": 30, "outageStartsIn": 0, "refuseConnections": false,
       "errorRate": 0.1, "latency": 0.2, "stuckProcessing": true, "authDelay": 3,
       "sessionUnavailable": 1, "sessionUnavailableAfter": 2,
       "collectiveError": 71004, "collectiveErrorCount": 1}

  ``outageSeconds`` opens an outage window (starting ``outageStartsIn`` seconds from now): every
  ``/v2`` call answers 503 with a KSeF-like body, or — with ``refuseConnections`` — the TCP listener
  is really closed for the window (the server reopens it on the same port afterwards; admin calls
  are refused too meanwhile). ``errorRate`` answers that share of ``/v2`` calls with a 500/502/503;
  ``latency`` delays every ``/v2`` call by that many seconds; ``stuckProcessing`` keeps invoices at 150;
  ``authDelay`` keeps new authentication operations at status 100 for that many seconds;
  ``sessionUnavailable`` pauses that many open online sessions at their next send (with
  ``sessionUnavailableAfter``: once the session has taken that many invoices): that send and
  every later one in the session answer 400 with error 21184 ("Sesja tymczasowo niedostępna", API
  2.8), the invoice not taken; closing still works and new sessions are not affected.
  ``collectiveError`` (71004 or 71005, API 2.8.1) answers the next ``collectiveErrorCount`` (default 1)
  collective-identifier calls with HTTP 400 and that code, nothing done; the Ministry has not published
  what the codes mean (in the docs available here), so the simulator never produces them on its own.
- ``POST /admin/faults/reset`` — no faults.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_snake

from fakturnik.simulator.core import Faults, Sim, Simulator, sim_of

router = APIRouter(prefix="/admin")
_random = random.Random()


@router.get("/stats")
def stats(sim: Sim) -> dict[str, object]:
    return sim.stats.as_json()


@router.post("/stats/reset")
def reset_stats(sim: Sim) -> dict[str, object]:
    sim.stats.reset()
    return sim.stats.as_json()


class FaultsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outageSeconds: float | None = Field(default=None, ge=0)
    outageStartsIn: float = Field(default=0.0, ge=0)
    refuseConnections: bool | None = None
    errorRate: float | None = Field(default=None, ge=0, le=1)
    latency: float | None = Field(default=None, ge=0, le=120)
    stuckProcessing: bool | None = None
    authDelay: float | None = Field(default=None, ge=0, le=600)
    sessionUnavailable: int | None = Field(default=None, ge=0, le=1000)
    sessionUnavailableAfter: int | None = Field(default=None, ge=0, le=10000)
    collectiveError: Literal[0, 71004, 71005] | None = None
    collectiveErrorCount: int | None = Field(default=None, ge=0, le=1000)


@router.get("/faults")
def get_faults(sim: Sim) -> dict[str, object]:
    return sim.faults.as_json()


@router.post("/faults")
def set_faults(body: FaultsRequest, sim: Sim) -> dict[str, object]:
    apply_faults(sim, **{to_snake(name): value for name, value in body.model_dump().items()})
    return sim.faults.as_json()


@router.post("/faults/reset")
def reset_faults(sim: Sim) -> dict[str, object]:
    clear_faults(sim)
    return sim.faults.as_json()


def clear_faults(sim: Simulator) -> None:
    """No faults (in place: code holding ``sim.faults`` sees the change)."""
    fresh = Faults()
    for name in fresh.__dataclass_fields__:
        setattr(sim.faults, name, getattr(fresh, name))


def apply_faults(
    sim: Simulator,
    *,
    outage_seconds: float | None = None,
    outage_starts_in: float = 0.0,
    refuse_connections: bool | None = None,
    error_rate: float | None = None,
    latency: float | None = None,
    stuck_processing: bool | None = None,
    auth_delay: float | None = None,
    session_unavailable: int | None = None,
    session_unavailable_after: int | None = None,
    collective_error: int | None = None,
    collective_error_count: int | None = None,
) -> None:
    """Change the simulator's faults (shared by the admin API and the CLI flags)."""
    f = sim.faults
    given = {
        "refuse_connections": refuse_connections,
        "error_rate": error_rate,
        "latency": latency,
        "stuck_processing": stuck_processing,
        "auth_delay": auth_delay,
        "session_unavailable": session_unavailable,
        "session_unavailable_after": session_unavailable_after,
    }
    for name, value in given.items():
        if value is not None:  # None: leave that fault as it is
            setattr(f, name, value)
    if collective_error is not None:
        f.collective_error = collective_error
        f.collective_error_count = 1 if collective_error_count is None and collective_error else 0
    if collective_error_count is not None:
        f.collective_error_count = collective_error_count
    if outage_seconds is not None:
        start = sim.now() + timedelta(seconds=outage_starts_in)
        f.outage_from = start
        f.outage_until = start + timedelta(seconds=outage_seconds)
        if f.refuse_connections and outage_seconds > 0 and sim.refuse_connections_hook is not None:
            sim.refuse_connections_hook(start, f.outage_until)


def outage_response(request: Request) -> Response:
    """503 as KSeF answers during maintenance (problem-details form with a Retry-After)."""
    sim = sim_of(request)
    until = sim.faults.outage_until
    retry = max(1, int((until - sim.now()).total_seconds()) + 1) if until else 60
    body = {
        "title": "Service Unavailable",
        "status": 503,
        "instance": request.url.path,
        "detail": "System KSeF jest chwilowo niedostępny (prace serwisowe). Spróbuj ponownie później.",
        "timestamp": sim.now().isoformat().replace("+00:00", "Z"),
        "traceId": uuid.uuid4().hex,
    }
    return JSONResponse(
        body, status_code=503, media_type="application/problem+json", headers={"Retry-After": str(retry)}
    )


def random_failure(request: Request) -> Response:
    status = _random.choice((500, 502, 503))
    body: dict[str, Any] = {
        "title": "Internal Server Error" if status == 500 else "Service Unavailable",
        "status": status,
        "instance": request.url.path,
        "detail": "Wstrzyknięty błąd symulatora.",
        "traceId": uuid.uuid4().hex,
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def install_middleware(app: FastAPI) -> None:
    """Faults for ``/v2`` calls, then count every ``/v2`` request by route template and status."""

    @app.middleware("http")
    async def faults_and_counts(request: Request, call_next):  # type: ignore[no-untyped-def]
        sim = sim_of(request)
        faults = sim.faults
        response: Response | None = None
        if request.url.path.startswith("/v2"):
            if faults.latency > 0:
                await asyncio.sleep(faults.latency)
            if faults.outage_active(sim.now()):
                response = outage_response(request)
            elif faults.error_rate > 0 and _random.random() < faults.error_rate:
                response = random_failure(request)
        if response is None:
            response = await call_next(request)
        echo = request.headers.get("x-test-system-warning")
        if echo and sim.config.profile == "test" and request.url.path.startswith("/v2"):
            # TEST echoes X-Test-System-Warning as X-System-Warning so clients can test warnings
            response.headers["X-System-Warning"] = echo
        if request.url.path.startswith("/v2"):  # the API only: reading the counters does not change them
            route = request.scope.get("route")
            template = getattr(route, "path", None) or request.url.path.removeprefix("/v2")
            sim.stats.record(request.method, template, response.status_code)
        return response
