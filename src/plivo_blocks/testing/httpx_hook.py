"""httpx's side of ``mock_plivo``: Plivo's hosts answered by the in-process sandbox.

:class:`SandboxTransport` and :class:`AsyncSandboxTransport` are ordinary httpx transports (the
sync and async twins) that hand each request to the :class:`~.runner.SandboxThread`; give one to
a client of your own with ``httpx.Client(transport=...)``.

:class:`HttpxHook` reaches clients that were built without one (``plivo_blocks.Client`` and
``AsyncClient``, ``httpx.get``, a client made at import time): while installed, the network
transports every httpx client uses by default (:class:`httpx.HTTPTransport` and
:class:`httpx.AsyncHTTPTransport`, which ``plivo_blocks``' sharded pool is made of) and
``AsyncClient``'s own aiohttp sender (:class:`~plivo_blocks.client.transport.AiohttpSender`) hand
requests for Plivo's hosts to the sandbox, refuse Plivo hosts the sandbox does not serve, and send
every other request on as before. Uninstalling puts the original methods back. Transports that
never reach the network (``MockTransport``, ``ASGITransport``, ...) are left alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from plivo_blocks.client._core import HTTPAnswer, WireRequest
from plivo_blocks.client.transport import AiohttpSender
from plivo_blocks.testing.hosts import check_served, is_plivo_host
from plivo_blocks.testing.runner import Answer, SandboxThread, read_timeout

__all__ = ["AsyncSandboxTransport", "HttpxHook", "SandboxTransport"]

SyncHandler = Callable[[httpx.HTTPTransport, httpx.Request], httpx.Response]
AsyncHandler = Callable[[httpx.AsyncHTTPTransport, httpx.Request], Awaitable[httpx.Response]]
SenderHandler = Callable[..., Awaitable[HTTPAnswer]]


def _response(answer: Answer) -> httpx.Response:
    status, headers, body = answer
    return httpx.Response(status, headers=headers, content=body)


class SandboxTransport(httpx.BaseTransport):
    """A sync httpx transport to the in-process sandbox (whatever the URL's host)."""

    def __init__(self, sandbox: SandboxThread) -> None:
        self._sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        timeout = read_timeout(request.extensions.get("timeout"))
        try:
            return _response(self._sandbox.exchange(request, body, timeout))
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from None


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`SandboxTransport`, usable from any event loop."""

    def __init__(self, sandbox: SandboxThread) -> None:
        self._sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        timeout = read_timeout(request.extensions.get("timeout"))
        try:
            return _response(await self._sandbox.aexchange(request, body, timeout))
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from None


class HttpxHook:
    """Installs and removes the interception on httpx's network transports (module docstring)."""

    def __init__(self, sandbox: SandboxThread) -> None:
        self._sync = SandboxTransport(sandbox)
        self._async = AsyncSandboxTransport(sandbox)
        self._originals: tuple[SyncHandler, AsyncHandler, SenderHandler] | None = None

    @property
    def installed(self) -> bool:
        return self._originals is not None

    def install(self) -> None:
        if self._originals is not None:
            return
        original_sync: SyncHandler = httpx.HTTPTransport.handle_request
        original_async: AsyncHandler = httpx.AsyncHTTPTransport.handle_async_request
        original_sender: SenderHandler = AiohttpSender.send
        to_sandbox, to_sandbox_async = self._sync, self._async

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            if is_plivo_host(request.url.host):
                check_served(request.method, str(request.url))
                return to_sandbox.handle_request(request)
            return original_sync(transport, request)

        async def handle_async_request(
            transport: httpx.AsyncHTTPTransport, request: httpx.Request
        ) -> httpx.Response:
            if is_plivo_host(request.url.host):
                check_served(request.method, str(request.url))
                return await to_sandbox_async.handle_async_request(request)
            return await original_async(transport, request)

        async def send(
            sender: AiohttpSender, request: WireRequest, *, not_after: float | None = None
        ) -> HTTPAnswer:
            if is_plivo_host(httpx.URL(request.url).host):
                check_served(request.method, request.url)
                return await to_sandbox_async.handle_async_request(request.to_httpx(sender.timeout))
            return await original_sender(sender, request, not_after=not_after)

        self._originals = (original_sync, original_async, original_sender)
        _set(httpx.HTTPTransport, "handle_request", handle_request)
        _set(httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request)
        _set(AiohttpSender, "send", send)

    def uninstall(self) -> None:
        if self._originals is None:
            return
        original_sync, original_async, original_sender = self._originals
        _set(httpx.HTTPTransport, "handle_request", original_sync)
        _set(httpx.AsyncHTTPTransport, "handle_async_request", original_async)
        _set(AiohttpSender, "send", original_sender)
        self._originals = None


def _set(cls: type, name: str, value: Any) -> None:
    setattr(cls, name, value)
