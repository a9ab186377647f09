"""Run the simulator on a real socket, in the foreground or in a background thread (tests, demo).

The server can also *refuse connections* for an outage window: it stops its uvicorn listener and
starts a new one on the same port when the window ends (``Simulator.refuse_connections_hook``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
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

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.config = config or SimulatorConfig()
        self.host = host
        self.port = port or free_port(host)
        self.log_level = log_level
        self.sim = Simulator(self.config)
        self.sim.refuse_connections_hook = self.refuse_connections
        self.app = create_app(sim=self.sim)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v2"

    def _listen(self) -> None:
        cfg = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            log_level=self.log_level,
            access_log=False,
            lifespan="on",
        )
        server = uvicorn.Server(cfg)
        thread = threading.Thread(target=server.run, name="ksef-simulator", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("simulator did not start")
            time.sleep(0.02)
        self._server, self._thread = server, thread

    def _close_listener(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server, self._thread = None, None

    def start(self) -> SimulatorServer:
        with self._lock:
            self._listen()
        return self

    def _without_hooks(self, action: Callable[[], None]) -> None:
        """Run ``action`` (closing or reopening the listener) without the startup/shutdown hooks.

        A refused-connections window closes only the socket: the simulator's background work
        (processing, exports) goes on, so the ASGI lifespan must not stop or restart it.
        """
        startup, shutdown = self.sim.on_startup, self.sim.on_shutdown
        self.sim.on_startup, self.sim.on_shutdown = [], []
        try:
            action()
        finally:
            startup.extend(self.sim.on_startup)
            shutdown.extend(self.sim.on_shutdown)
            self.sim.on_startup, self.sim.on_shutdown = startup, shutdown

    def refuse_connections(self, start: datetime, end: datetime) -> None:
        """Close the listener from ``start`` to ``end`` (UTC), then listen again on the same port."""

        def run() -> None:
            delay = max(0.2, (start - self.sim.now()).total_seconds())  # let the admin call answer first
            if self._stopped.wait(delay):
                return
            with self._lock:
                if self._stopped.is_set() or self._server is None:
                    return
                self._without_hooks(self._close_listener)
            remaining = (end - self.sim.now()).total_seconds()
            if remaining > 0 and self._stopped.wait(remaining):
                return
            with self._lock:
                if not self._stopped.is_set() and self._server is None:
                    self._without_hooks(self._listen)

        threading.Thread(target=run, name="ksef-simulator-outage", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            if self._server is not None:
                self._close_listener()  # the ASGI lifespan runs the shutdown hooks
            else:  # closed for a refused-connections window: run them here
                for hook in list(self.sim.on_shutdown):
                    hook()
        self.sim.close()

    def wait(self) -> None:
        """Block until :meth:`stop` (foreground use)."""
        while not self._stopped.wait(0.5):
            pass

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_forever(
    config: SimulatorConfig, host: str, port: int, *, setup: Callable[[Simulator], None] | None = None
) -> None:
    """Run in the foreground until Ctrl+C; ``setup(sim)`` is called once, before listening."""
    server = SimulatorServer(config, host=host, port=port, log_level="info")
    server.start()
    if setup is not None:
        setup(server.sim)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
