"""An httpx transport into a sandbox app in the same process: no socket, no HTTP parsing.

``plivo-blocks serve --sandbox`` runs the gateway and the sandbox in one process; the gateway's
client reaches the sandbox through :class:`InProcessTransport` instead of a loopback HTTP round
trip (which cost more CPU than the sandbox's own work: a connection pool, h11 on both sides,
socket calls). httpx's :class:`httpx.ASGITransport` builds the request's ASGI scope and collects
the answer; this transport adds what the network would do, so that the client sees what it saw
over loopback:

- the request runs in a task of its own, like a server's: the client's read timeout (httpx's
  ``timeout`` extension) ends the client's wait with :class:`httpx.ReadTimeout`, and the sandbox
  finishes the request all the same, as a server does when its client has gone;
- an answer the app began but never finished (the sandbox's injected ``drop`` fault) is
  :class:`httpx.RemoteProtocolError`, as a server closing the connection mid-answer is;
- an exception in the app is a ``500`` (after Starlette's own error answer, when it sent one),
  and it is logged, as uvicorn does.

The sandbox's middleware (path normalisation, request events, faults) and its authentication run
as for any request: the path into the app is the same, only the bytes on a socket are skipped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["InProcessTransport"]

log = logging.getLogger("plivo_blocks.sandbox.transport")


class _Unfinished(Exception):
    """The app returned without finishing its answer (a server would have closed the connection)."""


class _AsServer:
    """Wraps the app as a server runs it: an exception becomes a 500 when nothing was sent yet
    (logged either way), an unfinished answer becomes :class:`_Unfinished`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = finished = False

        async def watching(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        try:
            await self.app(scope, receive, watching)
        except Exception:
            log.exception("Exception in ASGI application")
            if not started:
                await _internal_error(send)
                return
            if not finished:
                raise _Unfinished() from None
            return
        if not finished:
            raise _Unfinished()


async def _internal_error(send: Send) -> None:
    body = b"Internal Server Error"
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _read_timeout(request: httpx.Request) -> float | None:
    timeout: Any = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


class InProcessTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=InProcessTransport(app))`` calls ``app`` in this process, on
    this event loop (module docstring). ``client`` is the address the app sees the request from."""

    def __init__(self, app: ASGIApp, *, client: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        self._asgi = httpx.ASGITransport(app=_AsServer(app), client=client)
        #: Requests still running after their client stopped waiting (kept until they end).
        self._running: set[asyncio.Task[httpx.Response]] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        exchange = asyncio.ensure_future(self._asgi.handle_async_request(request))
        self._running.add(exchange)
        exchange.add_done_callback(self._forget)
        try:
            # Shielded: the app finishes the request whatever happens to this wait.
            return await asyncio.wait_for(asyncio.shield(exchange), _read_timeout(request))
        except TimeoutError:
            raise httpx.ReadTimeout("the sandbox did not answer in time", request=request) from None
        except _Unfinished:
            raise httpx.RemoteProtocolError(
                "the sandbox closed the connection without finishing its answer", request=request
            ) from None

    def _forget(self, exchange: asyncio.Task[httpx.Response]) -> None:
        self._running.discard(exchange)
        if not exchange.cancelled():
            exchange.exception()  # retrieved: a request nobody waits for any more may fail quietly

    async def aclose(self) -> None:
        """Wait for the requests the clients gave up on (their work is the sandbox's to finish)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
