"""A voice-agent WebSocket server on loopback for ``<Stream>`` tests, built on ``websockets`` (the
library the sandbox connects with), running its own event loop in a background thread.

Every connection is kept as an :class:`AgentConnection`: the handshake's path and headers, each
message received (parsed JSON) and how the socket closed. ``on_start`` messages are sent as soon as
the ``start`` message arrives (a voice agent greeting the caller); :meth:`AgentConnection.send` and
:meth:`AgentConnection.close` act from the test's thread. ``refuse`` answers every handshake with
HTTP 403 (an unreachable agent).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response


@dataclass
class AgentConnection:
    path: str
    headers: dict[str, str]
    socket: ServerConnection = field(repr=False)
    loop: asyncio.AbstractEventLoop = field(repr=False)
    messages: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    closed: threading.Event = field(default_factory=threading.Event)

    def of(self, event: str) -> list[dict[str, Any]]:
        return [m for m in list(self.messages) if m.get("event") == event]

    def send(self, message: dict[str, Any]) -> None:
        asyncio.run_coroutine_threadsafe(self.socket.send(json.dumps(message)), self.loop).result(5)

    def close(self, code: int = 1000) -> None:
        asyncio.run_coroutine_threadsafe(self.socket.close(code), self.loop).result(5)

    def drop(self) -> None:
        """Lose the connection without a closing handshake (the sandbox sees code 1006)."""
        self.loop.call_soon_threadsafe(self.socket.transport.abort)


class AgentServer:
    def __init__(self) -> None:
        self.connections: list[AgentConnection] = []
        self.on_start: list[dict[str, Any]] = []
        self.refuse = False
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]

    def url(self, path: str = "/agent") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    async def _start(self) -> Server:
        return await serve(self._handle, "127.0.0.1", 0, process_request=self._check, compression=None)

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.refuse:
            return connection.respond(403, "refused by the test\n")
        return None

    async def _handle(self, socket: ServerConnection) -> None:
        request = socket.request
        assert request is not None
        headers = _headers(request.headers)
        connection = AgentConnection(request.path, headers, socket, self._loop)
        with self._changed:
            self.connections.append(connection)
            self._changed.notify_all()
        try:
            async for raw in socket:
                message = json.loads(raw)
                with self._changed:
                    connection.messages.append(message)
                    self._changed.notify_all()
                if message.get("event") == "start":
                    for reply in self.on_start:
                        await socket.send(json.dumps(reply))
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                connection.close_code = socket.close_code
                connection.closed.set()
                self._changed.notify_all()

    def wait_until(self, condition: Callable[[], bool], timeout: float = 10, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what or condition}")
                self._changed.wait(min(remaining, 0.02))  # conditions may look outside the socket

    def connection(self, index: int = 0, timeout: float = 10) -> AgentConnection:
        self.wait_until(lambda: len(self.connections) > index, timeout, f"connection {index}")
        return self.connections[index]

    def wait_for(self, connection: AgentConnection, event: str, count: int = 1) -> list[dict[str, Any]]:
        self.wait_until(lambda: len(connection.of(event)) >= count, what=f"{count} {event} message(s)")
        return connection.of(event)

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def _headers(headers: Headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.raw_items()}


@pytest.fixture(name="agent")
def agent_fixture() -> Iterator[AgentServer]:
    """A voice-agent WebSocket server on loopback (import this fixture into a test module)."""
    server = AgentServer()
    yield server
    server.stop()
