"""A connection pool that stays fast under concurrency: several small pools instead of one big one.

httpcore's async pool does work proportional to its number of connections on every request
(it re-checks each one, polling idle sockets, whenever a request starts or ends), so one pool
of 100 connections under 64 concurrent requests spends most of its time on bookkeeping.
Spreading requests round-robin over a few pools of at most ``connections_per_shard`` each
keeps that work small, with the same total limits. Only public httpx API is used.
"""

from __future__ import annotations

import itertools
import math
from typing import Any
from urllib.request import getproxies

import httpx


class ShardedAsyncTransport(httpx.AsyncBaseTransport):
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


DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's own defaults


def new_async_pool(timeout: httpx.Timeout, limits: httpx.Limits = DEFAULT_LIMITS) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` over a :class:`ShardedAsyncTransport`; a plain one when the
    environment names a proxy (httpx applies ``HTTP(S)_PROXY`` only to its own transports)."""
    if any(scheme in getproxies() for scheme in ("http", "https", "all")):
        return httpx.AsyncClient(timeout=timeout, limits=limits)
    return httpx.AsyncClient(transport=ShardedAsyncTransport(limits), timeout=timeout)
