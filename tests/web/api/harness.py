"""A real Fakturnik server for API tests: uvicorn on 127.0.0.1 on a free port, SQLite or PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from fakturnik.simulator.server import free_port
from fakturnik.web.server import Runtime, create_app
from fakturnik.web.settings import ServeSettings


class ApiServer:
    """``create_app`` served by uvicorn in a thread; ``runtime`` gives tests the engine context."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.runtime = Runtime(settings)
        self.runtime.open()
        self.app = create_app(settings, runtime=self.runtime)
        self.port = settings.port or free_port()
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fakturnik-api", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return self.url + "/api/v1"

    def start(self) -> ApiServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("API server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=20)
        self.runtime.close()

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.api, headers=headers, timeout=30)


@contextmanager
def api_server(data_dir: Path, database_url: str | None = None, **overrides: Any) -> Iterator[ApiServer]:
    values: dict[str, Any] = {
        "port": 0,  # a free port (never the default 8000: tests run side by side)
        "data_dir": data_dir,
        "database_url": database_url,
        "fast": True,
        "worker": True,
        "webhooks": True,
        "log_level": "warning",
        "access_log": False,
        # the VAT white list is never the Ministry's host in tests: a closed loopback port (or a fake)
        "whitelist_url": "http://127.0.0.1:9",
    }
    values.update(overrides)
    server = ApiServer(ServeSettings(**values)).start()
    try:
        yield server
    finally:
        server.stop()
