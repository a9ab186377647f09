"""The FastAPI application serving the KSeF 2.0 API under ``/v2``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

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
from fakturnik.simulator.body_limits import BodyLimits
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


def _answer(
    error: type[Exception], respond: Callable[[Request, Any], Response]
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """The exception handler that answers ``error`` with ``respond``."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, error)
        return respond(request, exc)

    return handler


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

    for error, respond in (
        (ApiError, api_error_response),
        (UnauthorizedError, unauthorized_response),
        (ForbiddenError, forbidden_response),
        (RateLimitedError, rate_limited_response),
    ):
        app.add_exception_handler(error, _answer(error, respond))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = []
        for err in exc.errors()[:20]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            details.append(f"{loc}: {err.get('msg', '')}")
        return api_error_response(request, ApiError(21405, details))

    app.add_exception_handler(RequestValidationError, on_validation)

    async def on_bad_value(request: Request, exc: Exception) -> Response:
        # a value that passed the request model but cannot be used (a date at the end of time, a lone
        # surrogate, a number out of range): the caller's mistake, 400 as KSeF answers, never a 500
        return api_error_response(request, ApiError(21405, f"Niepoprawna wartość: {type(exc).__name__}."))

    for bad in (ValueError, OverflowError, UnicodeError):
        app.add_exception_handler(bad, on_bad_value)

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
    if simulator.config.admin_api:
        app.include_router(routes_admin.router)
    routes_admin.install_middleware(app)
    app.add_middleware(BodyLimits)  # outermost: before routing, before any handler reads the body
    return app
