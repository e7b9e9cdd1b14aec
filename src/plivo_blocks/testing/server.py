"""A real sandbox server on a free loopback port, for code that cannot share the test's process
(an app in a subprocess, the Node SDK): what the ``plivo_sandbox_server`` fixture yields.

It is the same sandbox as ``mock_plivo``'s (the same options: ``apps`` still called in this process,
unknown ``MA…`` credentials adopted, the ``manual`` clock by default) served by uvicorn in a
background thread, with the same controls (over loopback) plus :attr:`url`, :attr:`auth_id` and
:attr:`auth_token`. Nothing is intercepted: clients must be pointed at :attr:`url`.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import httpx
import uvicorn

from plivo_blocks.sandbox import SandboxState
from plivo_blocks.testing.apps import AppFailures
from plivo_blocks.testing.controls import SandboxControls
from plivo_blocks.testing.options import SandboxOptions

__all__ = ["SandboxServer"]

START_SECONDS = 10.0


class SandboxServer(SandboxControls):
    def __init__(self, options: SandboxOptions, *, host: str = "127.0.0.1") -> None:
        self.options = options
        self._host = host
        self._failures = AppFailures()
        self._state: SandboxState | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None
        self._port = 0

    def __repr__(self) -> str:
        return f"SandboxServer(url={self.url if self._server else None!r})"

    def start(self) -> SandboxServer:
        app = self.options.create_app(self._failures)
        self._state = app.state.sandbox
        # IPPROTO_TCP explicitly: with proto=0 asyncio skips TCP_NODELAY (40 ms per keep-alive request).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="plivo-sandbox"
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                self._shutdown()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        self._client = httpx.Client(base_url=self.url, auth=(self.auth_id, self.auth_token), timeout=30)
        return self

    def stop(self) -> None:
        self._shutdown()
        self._failures.raise_any()

    def _shutdown(self) -> None:
        server, thread, client = self._server, self._thread, self._client
        self._server = self._thread = self._client = None
        if client is not None:
            client.close()
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=START_SECONDS)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.stop()
            return
        self._shutdown()
        for failure in self._failures.take():
            exc.add_note(f"plivo_sandbox_server: the app under test also failed: {failure.describe()}")

    # -- what the controls need ---------------------------------------------------------------------

    def _running_state(self) -> SandboxState:
        if self._state is None or self._server is None:
            raise RuntimeError("the sandbox server is not running")
        return self._state

    def _control(self) -> httpx.Client:
        self._running_state()
        assert self._client is not None
        return self._client

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: give it to clients as Plivo's API URL."""
        return f"http://{self._host}:{self._port}"

    @property
    def auth_id(self) -> str:
        return self._running_state().main_auth_id

    @property
    def auth_token(self) -> str:
        return self._running_state().main_auth_token

    @property
    def state(self) -> SandboxState:
        return self._running_state()
