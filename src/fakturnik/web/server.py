"""The one ASGI app of Fakturnik: the REST API under ``/api/v1`` and the web app, on uvicorn.

Embedded by default: SQLite in the data directory, the sending engine and the webhook delivery
running in background threads of the same process, and with ``env="local"`` the KSeF simulator
too. For scale: PostgreSQL by URL, ``worker=False`` here and as many ``fakturnik worker`` processes
as wanted, several ``serve`` processes behind any reverse proxy (nothing is kept in one process's
memory that another needs, except login throttling books).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from fakturnik.web.api.problems import install_problem_handlers
from fakturnik.web.security import SecurityMiddleware, security_state
from fakturnik.web.settings import ServeSettings, load_settings

log = logging.getLogger("fakturnik.web")

API_PREFIX = "/api/v1"
SETTINGS_JSON_ENV = "FAKTURNIK_SERVE_SETTINGS_JSON"  # how `serve --workers N` hands settings to children


class Runtime:
    """What a running server owns: the app (``Fakturnik``, with its simulator and worker), webhooks."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.fk: Any = None
        self.webhooks: Any = None
        self._webhook_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._recurring_thread: threading.Thread | None = None

    @property
    def ctx(self) -> Any:
        return self.fk.ctx if self.fk is not None else None

    def open(self) -> None:
        from fakturnik.app.core import Fakturnik
        from fakturnik.engine.settings import EngineSettings, from_env

        s = self.settings
        local = s.env == "local"
        engine = from_env(EngineSettings.fast() if (s.fast or local) else EngineSettings())
        self.fk = Fakturnik.open(
            s.data_dir,
            database_url=s.database_url,
            settings=engine,
            simulator=local,
            run_worker=s.worker,
            use_keyring=True,
            white_list_url=s.whitelist_url,
        )
        if local and self.fk.simulator is not None:
            log.info("embedded KSeF simulator on %s", self.fk.simulator.base_url)
        if s.webhooks:
            self._start_webhooks()
        if s.worker:
            self._recurring_thread = threading.Thread(
                target=self._recurring, name="fakturnik-recurring", daemon=True
            )
            self._recurring_thread.start()
        if s.demo:
            from fakturnik.web.ui.demo import seed  # type: ignore[import-not-found,unused-ignore]

            info = seed(self.fk, url=f"http://{s.host}:{s.port}")
            print(info.banner, flush=True)

    def _start_webhooks(self) -> None:
        from fakturnik.app.webhooks_delivery import DeliveryLoop, DeliverySettings

        s = self.settings
        base = DeliverySettings.fast() if s.fast else DeliverySettings()
        from dataclasses import replace

        self.webhooks = DeliveryLoop(
            self.fk.ctx, replace(base, allow_private_targets=s.webhooks_allow_private_targets)
        )
        self._webhook_thread = threading.Thread(
            target=self.webhooks.run, name="fakturnik-webhooks", daemon=True
        )
        self._webhook_thread.start()

    def _recurring(self) -> None:
        """Issue due recurring invoices at start and every ``recurring_interval_s`` (idempotent per day)."""
        from fakturnik.app.actor import Actor

        while not self._stop.is_set():
            try:
                self.fk.acting_as(Actor.system("recurring")).recurring.run_due()
            except Exception as exc:  # the next round tries again; the type only (no data in the log)
                log.warning("recurring invoices round failed: %s", type(exc).__name__)
            try:  # KSeF certificates ahead of expiry (each company asked about at most twice a day)
                renewed = self.fk.acting_as(Actor.system("renewal")).certificates.renew_due()
                if any(r.changed for r in renewed):
                    log.info("renewed KSeF certificates of %d companies", sum(r.changed for r in renewed))
            except Exception as exc:
                log.warning("certificate renewal round failed: %s", type(exc).__name__)
            self._stop.wait(self.settings.recurring_interval_s)

    def close(self) -> None:
        self._stop.set()
        if self._recurring_thread is not None:
            self._recurring_thread.join(timeout=30)
        if self.webhooks is not None:
            self.webhooks.stop()
        if self._webhook_thread is not None:
            self._webhook_thread.join(timeout=30)
        if self.fk is not None:
            self.fk.close()


def create_app(settings: ServeSettings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """The ASGI app. ``runtime`` (tests) may be opened by the caller; else the lifespan opens one."""
    settings = settings or ServeSettings()
    own_runtime = runtime is None
    rt = runtime or Runtime(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if own_runtime:
            rt.open()
        _bind(app, rt)
        try:
            yield
        finally:
            if own_runtime:
                rt.close()

    app = FastAPI(
        title="Fakturnik REST API",
        version="1",
        summary="Faktury w KSeF 2.0 bez logowania do portalu: wystawianie, statusy, UPO, faktury otrzymane.",
        description=_API_DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.runtime = rt
    for key, value in security_state(settings).items():
        setattr(app.state, key, value)
    if rt.fk is not None:
        _bind(app, rt)
    install_problem_handlers(app)
    from fakturnik.web.api import install_api

    install_api(app, API_PREFIX)
    try:
        from fakturnik.web.ui import install_ui  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        pass
    else:
        install_ui(app)
    app.add_middleware(
        SecurityMiddleware,
        max_body=settings.max_body_bytes,
        max_bulk_body=settings.max_bulk_body_bytes,
        secure_cookies=settings.secure_cookies,
    )
    return app


def _bind(app: FastAPI, rt: Runtime) -> None:
    """Attach the app services of an opened runtime (the API's one way to the app layer)."""
    from fakturnik.web.api.deps import bind_services

    bind_services(app, rt)


_API_DESCRIPTION = """\
REST API Fakturnika dla systemów ERP, sklepów i biur rachunkowych: wystawianie faktur FA(3) w KSeF 2.0,
numery KSeF, UPO, faktury otrzymane, kontrahenci, produkty, serie numeracji, webhooki.

**Uwierzytelnienie**: nagłówek `Authorization: Bearer <klucz API>` (klucz firmy z uprawnieniami, np.
`invoices:write`) albo sesja przeglądarki (ciasteczko + nagłówek `X-CSRF-Token`).

**Błędy**: RFC 9457 (`application/problem+json`) ze stabilnym `code`, opisem `detail` po polsku i listą
`errors` (ścieżka pola jak w walidatorze: `Fa/FaWiersz[2]/P_12`).

**Idempotencja**: `Idempotency-Key` przy tworzeniu faktur: ten sam klucz i ta sama treść → ta sama
faktura (200 z pierwotną odpowiedzią); ten sam klucz, inna treść → 409.
"""


def app_from_environment() -> FastAPI:
    """Factory for uvicorn's worker processes (``serve --workers N``): settings from the environment."""
    raw = os.environ.get(SETTINGS_JSON_ENV)
    settings = ServeSettings.model_validate_json(raw) if raw else load_settings()
    return create_app(settings)


def run(settings: ServeSettings, *, workers: int = 1) -> None:
    """Serve in the foreground (``fakturnik serve``)."""
    import uvicorn

    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": settings.access_log,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "server_header": False,
        "lifespan": "on",
    }
    if workers > 1:
        os.environ[SETTINGS_JSON_ENV] = settings.model_dump_json()
        uvicorn.run("fakturnik.web.server:app_from_environment", factory=True, workers=workers, **common)
    else:
        uvicorn.run(create_app(settings), **common)
