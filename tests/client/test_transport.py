"""The async client's senders: aiohttp's by default (limits, the translation of its failures, the
pacing deadline, no silent resend), and httpx's sharded connection pool (same total limits as one
pool, requests spread over the shards)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import anyio
import httpx
import pytest
from aiohttp.client_reqrep import ConnectionKey

from plivo_blocks import AsyncClient
from plivo_blocks.client.transport import (
    KEEPALIVE_EXPIRY,
    AiohttpSender,
    HttpxSender,
    ShardedAsyncTransport,
    _translated,
    new_async_sender,
)
from plivo_blocks.errors import TransportError
from plivo_blocks.serving import ServerSettings
from support.live_server import LiveServer
from support.upstream import RecordingUpstream, Reply


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
async def test_async_client_sends_through_aiohttp_by_default_within_its_limits() -> None:
    app = CountingApp()
    with LiveServer(app, lifespan="off") as server:
        async with (
            AsyncClient("MAXXXXXXXXXXXXXXXXXX", "token", base_url=server.url) as client,
            anyio.create_task_group() as group,
        ):
            assert isinstance(client._http, AiohttpSender)
            for _ in range(30):
                group.start_soon(client.call, "getAccountDetails")
        assert len(app.ports) == 30
        assert app.most_in_flight == 30  # 100 connections: nothing waits at 30


@pytest.mark.anyio
async def test_the_aiohttp_sender_keeps_within_max_connections_and_reuses_them() -> None:
    app = CountingApp()
    with LiveServer(app, lifespan="off") as server:
        sender = AiohttpSender(httpx.Timeout(5), httpx.Limits(max_connections=3))
        async with (
            AsyncClient("MAXXXXXXXXXXXXXXXXXX", "token", base_url=server.url, sender=sender) as client,
            anyio.create_task_group() as group,
        ):
            for _ in range(9):
                group.start_soon(client.call, "getAccountDetails")
        assert not sender.is_closed  # given, so not the client's to close
        await sender.aclose()
        assert sender.is_closed
    assert len(app.ports) == 9
    assert app.most_in_flight == 3
    assert len(set(app.ports)) == 3  # kept alive and reused


@pytest.mark.anyio
async def test_idle_connections_expire_before_the_servers_own_idle_timeout() -> None:
    """A pooled connection reused just as the server closes it for idleness fails mid-request (and
    a POST is then not resent): the gateway paced to the next 5 s window met exactly that against
    uvicorn's 5 s keep-alive. Our senders drop idle connections sooner than our servers close them."""
    sender = AiohttpSender(httpx.Timeout(5))
    assert sender.limits.keepalive_expiry == KEEPALIVE_EXPIRY
    assert ServerSettings().timeout_keep_alive > KEEPALIVE_EXPIRY
    session = sender._open_session()
    try:
        assert session.connector is not None and session.connector._keepalive_timeout == KEEPALIVE_EXPIRY
    finally:
        await session.close()


def _timed_out(kind: str) -> BaseException:
    exc: BaseException
    if kind == "connect":
        exc = aiohttp.ConnectionTimeoutError("Connection timeout to host")
    else:
        exc = aiohttp.SocketTimeoutError("Timeout on reading data from socket")
    return exc


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (_timed_out("connect"), httpx.ConnectTimeout),  # waiting for a connection, or connecting
        (
            aiohttp.ClientConnectorError(
                ConnectionKey("h", 1, False, True, None, None, None), OSError(111, "refused")
            ),
            httpx.ConnectError,
        ),
        (_timed_out("read"), httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("Response payload is not completed"), httpx.RemoteProtocolError),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), httpx.ReadError),
        (ConnectionResetError(104, "reset"), httpx.ReadError),
    ],
    ids=["connect timeout", "refused", "read timeout", "disconnected", "truncated", "reset", "raw reset"],
)
def test_aiohttp_failures_say_what_httpx_would_about_whether_the_request_left(
    failure: BaseException, expected: type[httpx.HTTPError]
) -> None:
    """The core retries a POST only after ConnectError/ConnectTimeout/PoolTimeout (never sent)."""
    translated = _translated(failure)
    assert type(translated) is expected
    assert translated is not None and str(translated)


@pytest.mark.anyio
async def test_a_get_on_a_connection_the_server_closed_is_not_resent_behind_the_retry_policy(
    recording_upstream: RecordingUpstream,
) -> None:
    """aiohttp would silently repeat an idempotent request once on a kept-alive connection that
    turned out closed; every attempt must be the core's (counted, logged, within max_retries)."""
    recording_upstream.enqueue(Reply(json={"api_id": "a"}), Reply(fault="drop"), Reply(fault="drop"))
    async with AsyncClient("MAX", "token", base_url=recording_upstream.url, max_retries=0) as client:
        await client.get_account_details()
        with pytest.raises(TransportError):
            await client.get_account_details()
    assert len(recording_upstream.requests) == 2


@pytest.mark.anyio
async def test_off_asyncio_the_aiohttp_sender_hands_over_to_httpx(
    recording_upstream: RecordingUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp runs on asyncio only; on another event loop (trio, where there is no running asyncio
    loop) the sender sends through httpx instead, with the same timeout and limits."""
    sender = AiohttpSender(httpx.Timeout(5), httpx.Limits(max_connections=2))
    monkeypatch.setattr(sender, "_session_here", lambda: None)  # as on trio
    async with AsyncClient("MAX", "token", base_url=recording_upstream.url, sender=sender) as client:
        assert (await client.get_account_details())["message"] == "ok"
    assert isinstance(sender._other_loops, HttpxSender)
    assert len(recording_upstream.requests) == 1
    await sender.aclose()
    assert sender._other_loops.is_closed


def test_a_proxy_in_the_environment_sends_through_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(new_async_sender(httpx.Timeout(5)), AiohttpSender)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    sender = new_async_sender(httpx.Timeout(5))
    assert isinstance(sender, HttpxSender)  # httpx honours HTTPS_PROXY; aiohttp's session would not here


def test_a_proxy_in_the_environment_keeps_httpx_default_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    from plivo_blocks.client.transport import new_async_pool

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(new_async_pool(httpx.Timeout(5))._transport, ShardedAsyncTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    pool = new_async_pool(httpx.Timeout(5))
    assert not isinstance(pool._transport, ShardedAsyncTransport)
    assert any(key.pattern.startswith("https") for key in pool._mounts)  # httpx mounted the proxy
