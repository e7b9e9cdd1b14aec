"""Requests to an ASGI app in the same process: no socket, no HTTP parsing.

``plivo-blocks serve --sandbox`` runs the gateway and the sandbox in one process; the gateway's
client reaches the sandbox through :class:`InProcessSender` instead of a loopback HTTP round trip
(which cost more CPU than the sandbox's own work: a connection pool, an HTTP parser on both sides,
socket calls). :class:`InProcessTransport` is the same for an ``httpx.AsyncClient``. Both build the
request's ASGI scope themselves and collect the answer; they add what the network would do, so
that the client sees what it saw over loopback:

- the request runs in a task of its own, like a server's: the client's read timeout ends the
  client's wait with :class:`httpx.ReadTimeout`, and the app finishes the request all the same,
  as a server does when its client has gone;
- an answer the app began but never finished (the sandbox's injected ``drop`` fault) is
  :class:`httpx.RemoteProtocolError`, as a server closing the connection mid-answer is;
- an exception in the app is a ``500`` (after Starlette's own error answer, when it sent one),
  and it is logged, as uvicorn does.

The app's middleware runs as for any request: the path into the app is the same, only the bytes on
a socket are skipped. :class:`InProcessSender` skips httpx's request and response models too (the
gateway's sender writes a plain :class:`~plivo_blocks.client._core.WireRequest`): through httpx,
the hop cost a quarter of ``serve --sandbox``'s CPU per request (README, Performance).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import httpx
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Scope

from plivo_blocks.client.transport import Answer, LateForTurn

if TYPE_CHECKING:
    from plivo_blocks.client._core import HTTPAnswer, WireRequest

__all__ = ["InProcessSender", "InProcessTransport"]

log = logging.getLogger("plivo_blocks.client.in_process")

#: The address the app sees requests come from, by default.
LOOPBACK: tuple[str, int] = ("127.0.0.1", 0)


class _Unfinished(Exception):
    """The app returned without finishing its answer (a server would have closed the connection)."""


@dataclass(slots=True)
class _Exchange:
    """One answer, as the app sent it."""

    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    started: bool = False
    finished: bool = False


def _scope(method: str, url: str, headers: Iterable[tuple[bytes, bytes]], client: tuple[str, int]) -> Scope:
    """The ASGI scope a server would build for ``method url`` with ``headers`` (lowercase names)."""
    parts = urlsplit(url)
    raw_path = parts.path or "/"
    https = parts.scheme == "https"
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": parts.scheme,
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("ascii"),
        "query_string": parts.query.encode("ascii"),
        "root_path": "",
        "headers": list(headers),
        "client": client,
        "server": (parts.hostname or "localhost", parts.port or (443 if https else 80)),
        "extensions": {},
    }


async def _run(app: ASGIApp, scope: Scope, body: bytes) -> _Exchange:
    """Call ``app`` as a server would and collect its answer: an exception before the answer began
    is a 500 (logged either way); an unfinished answer is :class:`_Unfinished`."""
    exchange = _Exchange()
    answered = asyncio.Event()
    body_sent = False

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()  # as a server does: the client "leaves" once it has its answer
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            exchange.started = True
            exchange.status = message["status"]
            exchange.headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            exchange.body += message.get("body", b"")
            if not message.get("more_body", False):
                exchange.finished = True
                answered.set()

    try:
        await app(scope, receive, send)
    except Exception:
        log.exception("Exception in ASGI application")
        if not exchange.started:
            return _internal_error()
        if not exchange.finished:
            raise _Unfinished() from None
        return exchange
    finally:
        answered.set()
    if not exchange.finished:
        raise _Unfinished()
    return exchange


def _internal_error() -> _Exchange:
    body = b"Internal Server Error"
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    return _Exchange(500, headers, bytearray(body), started=True, finished=True)


class _InProcess:
    """Runs requests against ``app``, each in a task of its own, and keeps those whose client
    stopped waiting until they end."""

    def __init__(self, app: ASGIApp, client: tuple[str, int]) -> None:
        self.app = app
        self.client = client
        self._running: set[asyncio.Task[_Exchange]] = set()

    async def call(
        self,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        read_timeout: float | None,
        request: httpx.Request | None = None,
    ) -> _Exchange:
        """The app's answer; after ``read_timeout`` seconds :class:`httpx.ReadTimeout`, and for an
        unfinished answer :class:`httpx.RemoteProtocolError` (about ``request``, when there is one)."""
        task = asyncio.ensure_future(_run(self.app, _scope(method, url, headers, self.client), body))
        self._running.add(task)
        task.add_done_callback(self._forget)
        try:
            # Shielded: the app finishes the request whatever happens to this wait.
            async with asyncio.timeout(read_timeout):
                return await asyncio.shield(task)
        except TimeoutError:
            raise httpx.ReadTimeout("the app did not answer in time", request=request) from None
        except _Unfinished:
            raise httpx.RemoteProtocolError(
                "the app closed the connection without finishing its answer", request=request
            ) from None

    def _forget(self, task: asyncio.Task[_Exchange]) -> None:
        self._running.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a request nobody waits for any more may fail quietly

    async def finish(self) -> None:
        """Wait for the requests the clients gave up on (their work is the app's to finish)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)


def _wire_headers(request: WireRequest) -> list[tuple[bytes, bytes]]:
    """What a server receives of ``request``'s headers: lowercase names, ``host`` and
    ``content-length`` as an HTTP client would add them."""
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in request.headers.items()
    ]
    names = {name for name, _ in headers}
    if b"host" not in names:
        headers.insert(0, (b"host", urlsplit(request.url).netloc.encode("ascii")))
    if request.body is not None and b"content-length" not in names:
        headers.append((b"content-length", str(len(request.body)).encode("ascii")))
    return headers


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class InProcessSender:
    """An :class:`~plivo_blocks.client.transport.AsyncSender` into ``app`` in this process, on this
    event loop (module docstring), each request with ``timeout.read``. ``client`` is the address
    the app sees the request from."""

    def __init__(self, app: ASGIApp, timeout: httpx.Timeout, *, client: tuple[str, int] = LOOPBACK) -> None:
        self._in_process = _InProcess(app, client)
        self._read_timeout = timeout.read
        self._closed = False

    @property
    def is_closed(self) -> bool:
        return self._closed

    async def send(self, request: WireRequest, *, not_after: float | None = None) -> HTTPAnswer:
        if not_after is not None and time.monotonic() > not_after:
            raise LateForTurn
        exchange = await self._in_process.call(
            request.method, request.url, _wire_headers(request), request.body or b"", self._read_timeout
        )
        return Answer(
            exchange.status, _reason(exchange.status), Headers(raw=exchange.headers), bytes(exchange.body)
        )

    async def aclose(self) -> None:
        self._closed = True
        await self._in_process.finish()


def _read_timeout(request: httpx.Request) -> float | None:
    timeout: Any = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


class InProcessTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=InProcessTransport(app))`` calls ``app`` in this process, on
    this event loop (module docstring). ``client`` is the address the app sees the request from."""

    def __init__(self, app: ASGIApp, *, client: tuple[str, int] = LOOPBACK) -> None:
        self._in_process = _InProcess(app, client)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        headers = [(name.lower(), value) for name, value in request.headers.raw]
        exchange = await self._in_process.call(
            request.method, str(request.url), headers, body, _read_timeout(request), request
        )
        return httpx.Response(
            exchange.status, headers=exchange.headers, content=bytes(exchange.body), request=request
        )

    async def aclose(self) -> None:
        """Wait for the requests the clients gave up on (their work is the app's to finish)."""
        await self._in_process.finish()
