"""Serve any ASGI app over real HTTP on loopback, in a background thread, for tests.

    with LiveServer(app) as server:
        httpx.get(server.url + "/healthz")

uvicorn picks a free port on 127.0.0.1; the app's lifespan runs; leaving the block shuts
the server down and waits for it.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any, Literal

import uvicorn


class LiveServer:
    def __init__(self, app: Any, *, lifespan: Literal["auto", "on", "off"] = "on", port: int = 0) -> None:
        self._app = app
        self._requested_port = port
        self._lifespan = lifespan
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        # IPPROTO_TCP explicitly: with proto=0 asyncio skips TCP_NODELAY, adding ~40 ms per keep-alive request.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._requested_port))
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self._app, lifespan=self._lifespan, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.005)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
