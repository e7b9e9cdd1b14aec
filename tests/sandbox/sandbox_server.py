"""A sandbox app served by uvicorn on loopback in a background thread (for tests)."""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass
from functools import cache

import httpx
import uvicorn
from starlette.applications import Starlette

from plivo_blocks.sandbox import ClockSpec, SandboxSettings, SandboxState
from plivo_blocks.sandbox.clock import ClockMode

#: The clock the sandbox's tests run on: time moves only when a test advances it.
MANUAL = ClockSpec(ClockMode.MANUAL)


def no_ring() -> SandboxSettings:
    """Settings where unscripted phones answer at once: most tests are about what happens after
    the answer, and a test about ringing scripts the phone (or sets ``call_ring_seconds``) itself.
    A fresh object each time: the control API changes the settings object an app was given."""
    return SandboxSettings(call_ring_seconds=0)


@cache
def _tls_context() -> ssl.SSLContext:
    # Loopback is plain HTTP, but every httpx client builds a TLS context unless given one;
    # building it costs ~80 ms, so all test clients share this one.
    return ssl.create_default_context()


@dataclass
class Server:
    app: Starlette
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def state(self) -> SandboxState:
        state: SandboxState = self.app.state.sandbox
        return state

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def client(self, auth: tuple[str, str] | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=auth, timeout=10, verify=_tls_context())

    def main_client(self) -> httpx.Client:
        return self.client((self.state.main_auth_id, self.state.main_auth_token))


def start_server(app: Starlette) -> Server:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return Server(app, f"http://127.0.0.1:{port}", server, thread)
