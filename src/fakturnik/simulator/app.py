"""The FastAPI application serving the KSeF 2.0 API under ``/v2``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from fakturnik.simulator import (
    routes_admin,
    routes_auth,
    routes_certificates,
    routes_collective,
    routes_invoices,
    routes_limits,
    routes_permissions,
    routes_qr,
    routes_sessions,
    routes_tokens,
)
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.errors import (
    ApiError,
    ForbiddenError,
    RateLimitedError,
    UnauthorizedError,
    api_error_response,
    forbidden_response,
    rate_limited_response,
    unauthorized_response,
)

API_PREFIX = "/v2"


def create_app(config: SimulatorConfig | None = None, sim: Simulator | None = None) -> FastAPI:
    simulator = sim or Simulator(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for hook in simulator.on_startup:
            hook()
        yield
        for hook in simulator.on_shutdown:
            hook()

    app = FastAPI(title="Fakturnik KSeF 2.0 simulator", version="2.6.0", lifespan=lifespan)
    app.state.sim = simulator

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return api_error_response(request, exc)

    async def on_unauthorized(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnauthorizedError)
        return unauthorized_response(request, exc)

    async def on_forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ForbiddenError)
        return forbidden_response(request, exc)

    async def on_rate_limited(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RateLimitedError)
        return rate_limited_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = []
        for err in exc.errors()[:20]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            details.append(f"{loc}: {err.get('msg', '')}")
        return api_error_response(request, ApiError(21405, details))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(UnauthorizedError, on_unauthorized)
    app.add_exception_handler(ForbiddenError, on_forbidden)
    app.add_exception_handler(RateLimitedError, on_rate_limited)
    app.add_exception_handler(RequestValidationError, on_validation)

    for module in (
        routes_auth,
        routes_tokens,
        routes_certificates,
        routes_sessions,
        routes_invoices,
        routes_permissions,
        routes_limits,
        routes_collective,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(routes_qr.router)
    app.include_router(routes_admin.router)
    routes_admin.install_middleware(app)
    return app
