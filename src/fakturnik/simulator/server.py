"""Run the simulator on a real socket, in the foreground or in a background thread (tests, demo)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from fakturnik.simulator.app import create_app
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.core import Simulator


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


class SimulatorServer:
    """A simulator listening on ``host:port`` in a daemon thread.

    >>> with SimulatorServer() as server:
    ...     server.base_url  # 'http://127.0.0.1:PORT/v2'
    """

    def __init__(self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SimulatorConfig()
        self.host = host
        self.port = port or free_port(host)
        self.sim = Simulator(self.config)
        self.app = create_app(sim=self.sim)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v2"

    def start(self) -> SimulatorServer:
        cfg = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning", access_log=False)
        self._server = uvicorn.Server(cfg)
        self._thread = threading.Thread(target=self._server.run, name="ksef-simulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("simulator did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sim.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_forever(config: SimulatorConfig, host: str, port: int) -> None:
    app = create_app(config)
    uvicorn.run(app, host=host, port=port, log_level="info")
