"""How the async client sends: a *sender* writes a :class:`WireRequest` and answers an
:class:`~plivo_blocks.client._core.HTTPAnswer`.

- :class:`AiohttpSender`, the default on asyncio: aiohttp's connection pool and its C HTTP parser.
  On this project's benchmarks it spends a sixth of the CPU per request of httpx's async stack
  (httpcore, anyio streams and h11 in pure Python), and it skips building ``httpx.Request`` and
  ``httpx.Response`` objects (~100 µs a call). See README, Performance.
- :class:`HttpxSender` over any ``httpx.AsyncClient``: an ``http_client`` you pass, other event
  loops than asyncio (trio), and a proxy named in the environment (``HTTP(S)_PROXY``, which httpx
  honours).

Both refuse to *start writing* a request after ``not_after`` (the pacing hook: a request late for
its turn takes a new one) by raising :class:`LateForTurn` before any byte leaves, and both report
failures as httpx's exception classes, so that the core tells "never sent" (connect errors and
timeouts, safe to retry) from "may have reached Plivo" exactly as for the sync client.

:class:`ShardedAsyncTransport` keeps httpx's own pool fast under concurrency, for the httpx sender.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol
from urllib.request import getproxies

import httpx

from plivo_blocks.client._core import HTTPAnswer, WireRequest

if TYPE_CHECKING:
    import aiohttp


class LateForTurn(Exception):
    """A sender's refusal to start writing a request after its ``not_after`` (nothing was sent)."""


class AsyncSender(Protocol):
    @property
    def is_closed(self) -> bool: ...

    async def send(self, request: WireRequest, *, not_after: float | None = None) -> HTTPAnswer:
        """Write ``request`` unless it is past ``not_after`` (``time.monotonic()``; then raise
        :class:`LateForTurn`); answer the whole answer, body read. Failures are httpx's exceptions."""
        ...

    async def aclose(self) -> None: ...


# -- httpx ------------------------------------------------------------------------------------


def _on_time_check(deadline: float) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    """An httpcore trace hook that refuses to start writing a request after ``deadline``."""

    async def trace(event: str, info: dict[str, Any]) -> None:
        if event == "http11.send_request_headers.started" and time.monotonic() > deadline:
            raise LateForTurn

    return trace


class HttpxSender:
    """Sends through an ``httpx.AsyncClient``, each request with ``timeout``."""

    def __init__(self, client: httpx.AsyncClient, timeout: httpx.Timeout) -> None:
        self.client = client
        self.timeout = timeout

    @property
    def is_closed(self) -> bool:
        return self.client.is_closed

    async def send(self, request: WireRequest, *, not_after: float | None = None) -> HTTPAnswer:
        outgoing = request.to_httpx(self.timeout)
        if not_after is not None:
            # Checked here for transports that never write a head (in process), and again by the
            # trace hook when httpcore starts writing, after any wait for a pooled connection.
            if time.monotonic() > not_after:
                raise LateForTurn
            outgoing.extensions["trace"] = _on_time_check(not_after)
        return await self.client.send(outgoing)

    async def aclose(self) -> None:
        await self.client.aclose()


class ShardedAsyncTransport(httpx.AsyncBaseTransport):
    """Several small httpx pools instead of one big one.

    httpcore's async pool does work proportional to its number of connections on every request
    (it re-checks each one, polling idle sockets, whenever a request starts or ends), so one pool
    of 100 connections under 64 concurrent requests spends most of its time on bookkeeping.
    Spreading requests round-robin over a few pools of at most ``connections_per_shard`` each
    keeps that work small, with the same total limits. Only public httpx API is used.
    """

    def __init__(
        self, limits: httpx.Limits, *, connections_per_shard: int = 8, **transport_options: Any
    ) -> None:
        total = limits.max_connections or connections_per_shard
        count = max(1, math.ceil(total / connections_per_shard))
        keepalive = limits.max_keepalive_connections
        shard_limits = httpx.Limits(
            max_connections=math.ceil(total / count),
            max_keepalive_connections=None if keepalive is None else math.ceil(keepalive / count),
            keepalive_expiry=limits.keepalive_expiry,
        )
        # One TLS context for all shards: building one costs tens of milliseconds.
        transport_options.setdefault("verify", httpx.create_ssl_context())
        self.shards = [
            httpx.AsyncHTTPTransport(limits=shard_limits, **transport_options) for _ in range(count)
        ]
        self._next = itertools.cycle(self.shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        for shard in self.shards:
            await shard.aclose()


#: Idle connections close after 4 s: below the 5 s after which common servers (uvicorn, Node,
#: Apache) close an idle one, so that the client never reuses a connection just as the server
#: closes it. Such a request fails mid-write, and a POST that may have reached Plivo is not resent.
KEEPALIVE_EXPIRY = 4.0
#: httpx's own defaults but for the idle expiry (httpx: 5 s).
DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY
)


def _proxy_in_environment() -> bool:
    return any(scheme in getproxies() for scheme in ("http", "https", "all"))


def new_async_pool(timeout: httpx.Timeout, limits: httpx.Limits = DEFAULT_LIMITS) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` over a :class:`ShardedAsyncTransport`; a plain one when the
    environment names a proxy (httpx applies ``HTTP(S)_PROXY`` only to its own transports)."""
    if _proxy_in_environment():
        return httpx.AsyncClient(timeout=timeout, limits=limits)
    return httpx.AsyncClient(transport=ShardedAsyncTransport(limits), timeout=timeout)


# -- aiohttp ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer read by :class:`AiohttpSender` (an :class:`HTTPAnswer`)."""

    status_code: int
    reason_phrase: str
    headers: Mapping[str, str]  # case-insensitive (aiohttp's CIMultiDictProxy)
    content: bytes


def _translated(exc: BaseException) -> httpx.HTTPError | None:
    """aiohttp's failure as the httpx exception that says the same about whether the request may
    have reached the server (``ConnectError``/``ConnectTimeout``: it cannot have)."""
    import aiohttp

    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # waiting for a connection, or connecting
        return httpx.ConnectTimeout(message)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS handshake
        return httpx.ConnectError(message)
    if isinstance(exc, aiohttp.ServerTimeoutError | asyncio.TimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(message)  # closed early, or not HTTP
    if isinstance(exc, aiohttp.ClientPayloadError):  # a body cut short
        return httpx.RemoteProtocolError(message)
    if isinstance(exc, aiohttp.ClientError | OSError):  # a reset, anything else once connected
        return httpx.ReadError(message)
    return None


#: The ``time.monotonic()`` after which the request being sent must not start (the pacing hook);
#: set around each send, read by :func:`_punctual_request_class` once a connection is in hand.
_NOT_AFTER: ContextVar[float | None] = ContextVar("plivo_blocks_not_after", default=None)


@cache
def _punctual_request_class() -> type[aiohttp.ClientRequest]:
    import aiohttp
    from aiohttp import hdrs

    class PunctualRequest(aiohttp.ClientRequest):
        """aiohttp's request that refuses to start writing after its deadline: ``send`` runs once
        the connection is in hand (after any wait for one, and after connecting), before the head
        is serialised. aiohttp then closes that connection; nothing was written to it.

        No ``Accept-Encoding`` by default, as httpx (the same request whichever sender): set here
        rather than with the session's ``skip_auto_headers``, which costs every request a copy of
        its headers."""

        DEFAULT_HEADERS = {hdrs.ACCEPT: "*/*"}  # noqa: RUF012  (aiohttp declares it so)

        async def send(self, conn: Any) -> aiohttp.ClientResponse:
            not_after = _NOT_AFTER.get()
            if not_after is not None and time.monotonic() > not_after:
                raise LateForTurn
            return await super().send(conn)

    return PunctualRequest


class AiohttpSender:
    """Sends with aiohttp on asyncio (and through :class:`HttpxSender` on any other event loop).

    The session is opened on first use, on the running loop (and again if a later call runs on
    another loop). ``limits.max_connections`` bounds the connections; idle ones close after
    ``limits.keepalive_expiry`` (aiohttp has no separate cap on idle connections). ``timeout``:
    ``connect`` bounds connecting, ``pool`` + ``connect`` waiting for a connection and connecting,
    ``read`` each wait for the answer's bytes; aiohttp has no write timeout (request bodies here
    are small, and the socket's buffer takes them).
    """

    def __init__(self, timeout: httpx.Timeout, limits: httpx.Limits = DEFAULT_LIMITS) -> None:
        # Imported here, not on the first request: a paced request's turn waits for nobody.
        import aiohttp
        import yarl

        self._url = yarl.URL
        self._client_error = aiohttp.ClientError
        self.timeout = timeout
        self.limits = limits
        # httpx's CA bundle (certifi), built once: tens of milliseconds.
        self._ssl = httpx.create_ssl_context()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._other_loops: HttpxSender | None = None
        self._closed = False

    @property
    def is_closed(self) -> bool:
        return self._closed

    def _open_session(self) -> aiohttp.ClientSession:
        import aiohttp

        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=self.limits.keepalive_expiry or 5.0,
            ssl=self._ssl,
        )
        pool, connect, read = self.timeout.pool, self.timeout.connect, self.timeout.read
        session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=None if pool is None or connect is None else pool + connect,
                sock_connect=connect,
                sock_read=read,
            ),
            cookie_jar=aiohttp.DummyCookieJar(),  # views with other credentials share the pool
            request_class=_punctual_request_class(),
        )
        # aiohttp silently repeats a GET or DELETE once when a kept-alive connection turns out to
        # be closed. The core's retry policy counts every attempt (and logs each): it decides.
        session._retry_connection = False
        return session

    def _session_here(self) -> aiohttp.ClientSession | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # trio, or another event loop than asyncio's
            return None
        if self._session is None or self._loop is not loop:
            self._session, self._loop = self._open_session(), loop
        return self._session

    async def send(self, request: WireRequest, *, not_after: float | None = None) -> HTTPAnswer:
        if self._closed:
            raise RuntimeError("this sender is closed")
        session = self._session_here()
        if session is None:
            if self._other_loops is None:
                self._other_loops = HttpxSender(new_async_pool(self.timeout, self.limits), self.timeout)
            return await self._other_loops.send(request, not_after=not_after)
        deadline = _NOT_AFTER.set(not_after)
        try:
            async with session.request(
                request.method,
                self._url(request.url, encoded=True),  # encoded by the core: sent as it is
                headers=request.headers,
                data=request.body,
                allow_redirects=False,
            ) as response:
                content = await response.read()
                return Answer(response.status, response.reason or "", response.headers, content)
        except LateForTurn:
            raise
        except (OSError, self._client_error) as exc:  # asyncio's TimeoutError is an OSError
            translated = _translated(exc)
            if translated is None:
                raise
            raise translated from None
        finally:
            _NOT_AFTER.reset(deadline)

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()
        if self._other_loops is not None:
            await self._other_loops.aclose()


def new_async_sender(timeout: httpx.Timeout, limits: httpx.Limits = DEFAULT_LIMITS) -> AsyncSender:
    """The async client's default sender: aiohttp's, or httpx's when the environment names a proxy."""
    if _proxy_in_environment():
        return HttpxSender(new_async_pool(timeout, limits), timeout)
    return AiohttpSender(timeout, limits)
