"""The sharded connection pool: same total limits as one pool, requests spread over the shards."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest

from plivo_blocks import AsyncClient
from plivo_blocks.client.transport import ShardedAsyncTransport
from support.live_server import LiveServer


class CountingApp:
    """Answers after a short wait, remembering each client port and the most requests at once."""

    def __init__(self) -> None:
        self.ports: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.ports.append(scope["client"][1])
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await anyio.sleep(0.05)
        finally:
            self.in_flight -= 1
        body = json.dumps({"api_id": "x"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


def test_limits_are_split_across_shards() -> None:
    transport = ShardedAsyncTransport(httpx.Limits(max_connections=100, max_keepalive_connections=20))
    assert len(transport.shards) == 13
    one = ShardedAsyncTransport(httpx.Limits(max_connections=5, max_keepalive_connections=5))
    assert len(one.shards) == 1


@pytest.mark.anyio
async def test_concurrency_stays_within_the_total_limit_and_uses_every_shard() -> None:
    app = CountingApp()
    with LiveServer(app, lifespan="off") as server:
        transport = ShardedAsyncTransport(
            httpx.Limits(max_connections=4, max_keepalive_connections=4), connections_per_shard=2
        )
        assert len(transport.shards) == 2
        async with (
            httpx.AsyncClient(transport=transport, base_url=server.url) as http,
            anyio.create_task_group() as group,
        ):
            for _ in range(12):
                group.start_soon(http.get, "/")
        assert len(app.ports) == 12
        assert app.most_in_flight == 4  # 2 shards x 2 connections: never more, and both were used
        assert len(set(app.ports)) == 4  # connections were kept alive and reused


@pytest.mark.anyio
async def test_async_client_uses_the_sharded_pool_by_default() -> None:
    app = CountingApp()
    with LiveServer(app, lifespan="off") as server:
        async with (
            AsyncClient("MAXXXXXXXXXXXXXXXXXX", "token", base_url=server.url) as client,
            anyio.create_task_group() as group,
        ):
            for _ in range(30):
                group.start_soon(client.call, "getAccountDetails")
        assert len(app.ports) == 30
        assert app.most_in_flight == 30  # 100 connections in 13 shards: nothing waits at 30


def test_a_proxy_in_the_environment_keeps_httpx_default_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    from plivo_blocks.client.transport import new_async_pool

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(new_async_pool(httpx.Timeout(5))._transport, ShardedAsyncTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    pool = new_async_pool(httpx.Timeout(5))
    assert not isinstance(pool._transport, ShardedAsyncTransport)
    assert any(key.pattern.startswith("https") for key in pool._mounts)  # httpx mounted the proxy
