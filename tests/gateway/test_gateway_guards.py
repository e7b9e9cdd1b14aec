"""What the gateway refuses and what it never says: the proxy secret, body limits, the access log."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from gateway_support import AUTH_ID, AUTH_TOKEN, GatewayFactory, args, detail

from plivo_blocks.errors import ConfigurationError
from plivo_blocks.gateway import GatewaySettings
from support.upstream import RecordingUpstream, Reply

pytestmark = pytest.mark.anyio

SECRET = "proxy-secret-0b9d2e"


async def test_proxy_secret_is_required_when_configured(
    make_gateway: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    async with make_gateway(proxy_secret=SECRET) as gateway:
        for headers in ({}, {"X-RapidAPI-Proxy-Secret": "wrong"}, {"X-RapidAPI-Proxy-Secret": SECRET + "x"}):
            for method, path in (
                ("POST", "/api/Plivo/getAccountDetails"),
                ("GET", "/api/Plivo"),
                ("GET", "/docs"),
            ):
                response = await gateway.request(method, path, json=args(), headers=headers)
                assert response.status_code == 401, (path, headers)
                assert response.json()["status_code"] == "UNAUTHORISED"
                assert SECRET not in response.text
        assert recording_upstream.requests == []

        response = await gateway.post(
            "/api/Plivo/getAccountDetails", json=args(), headers={"X-RapidAPI-Proxy-Secret": SECRET}
        )
        assert response.json()["callback"] == "success"
        assert len(recording_upstream.requests) == 1


async def test_healthz_is_exempt_from_the_proxy_secret(make_gateway: GatewayFactory) -> None:
    async with make_gateway(proxy_secret=SECRET) as gateway:
        response = await gateway.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_no_secret_configured_means_open(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/api/Plivo")).status_code == 200


async def test_body_over_the_declared_limit_is_refused(
    make_gateway: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    async with make_gateway(max_body_bytes=1024) as gateway:
        padding = "x" * 2000
        response = await gateway.post("/api/Plivo/sendMessage", json=args(text=padding))
        assert response.status_code == 413
        assert response.json()["status_code"] == "PAYLOAD_TOO_LARGE"
        assert response.headers["connection"] == "close"
        # Just under the limit is fine.
        recording_upstream.enqueue(Reply(json={"api_id": "ok"}))
        response = await gateway.post("/api/Plivo/getAccountDetails", json=args())
        assert response.json()["callback"] == "success"
    assert len(recording_upstream.requests) == 1


async def test_streamed_body_is_cut_off_once_over_the_limit(make_gateway: GatewayFactory) -> None:
    """No Content-Length (chunked): the gateway counts while reading and stops early."""
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(1000):
            pulled += 1
            yield b" " * 1024

    async with make_gateway(max_body_bytes=4096) as gateway:
        response = await gateway.post("/api/Plivo/getAccountDetails", content=endless())
    assert response.status_code == 413
    assert pulled < 10  # read about 4 KiB of the 1 MB offered, not all of it


async def test_access_log_has_block_status_and_duration_never_credentials(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    recording_upstream.enqueue(
        Reply(json={"api_id": "a"}), Reply(status=401, json={"api_id": "b", "error": "auth"})
    )
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="plivo_blocks"):
        await gateway.post("/api/Plivo/getAccountDetails", json=args())
        await gateway.post("/api/Plivo/getAccountDetails?authToken=" + AUTH_TOKEN, json=args())
        await gateway.post(
            "/api/Plivo/sendMessage", json=args(src="1415", destination="bad", text=AUTH_TOKEN)
        )
        await gateway.post("/api/Plivo/nope", json=args())
    access = [r for r in caplog.records if r.name == "plivo_blocks.gateway.access"]
    assert [(r.block, r.status, r.outcome) for r in access] == [  # type: ignore[attr-defined]
        ("getAccountDetails", 200, "success"),
        ("getAccountDetails", 200, "API_ERROR"),
        ("sendMessage", 200, "INVALID_FIELDS"),
        (None, 404, "UNKNOWN_BLOCK"),
    ]
    assert all(isinstance(r.duration_ms, float) for r in access)  # type: ignore[attr-defined]
    # Nowhere in any log record of any logger (but the test's own client, which logs its URL):
    # not the token, nor the Basic header built from it.
    for record in caplog.records:
        if "http://gateway/" in record.getMessage():
            continue
        text = record.getMessage() + json.dumps(record.__dict__, default=str)
        assert AUTH_TOKEN not in text, record.name
        assert "Basic " not in text, record.name


async def test_an_attempt_that_succeeds_is_logged_at_debug_and_a_failed_one_at_info(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    """The access log line reports a success, so the client's line for it is DEBUG (one record
    fewer per request); attempts that failed stay at INFO beside it."""
    recording_upstream.enqueue(Reply(json={"api_id": "a"}), Reply(status=401, json={"api_id": "b"}))
    with caplog.at_level(logging.DEBUG, logger="plivo_blocks"):
        await gateway.post("/api/Plivo/getAccountDetails", json=args())
        await gateway.post("/api/Plivo/getAccountDetails", json=args())
    attempts = [r for r in caplog.records if r.name == "plivo_blocks.client"]
    assert [(r.status, r.levelno) for r in attempts] == [  # type: ignore[attr-defined]
        ("200", logging.DEBUG),
        ("401", logging.INFO),
    ]


async def test_error_bodies_never_carry_the_token(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(status=401, json={"api_id": "x", "error": "Authentication failed"}))
    responses = [
        await gateway.post("/api/Plivo/getAccountDetails", json=args()),
        await gateway.post("/api/Plivo/getMessages", json=args(limit="99")),
        await gateway.post("/api/Plivo/getMessages", json={"args": {"authToken": AUTH_TOKEN}}),
    ]
    for response in responses:
        assert response.json()["callback"] == "error"
        assert AUTH_TOKEN not in response.text


def test_settings_come_from_the_environment() -> None:
    settings = GatewaySettings.from_env(
        {
            "PLIVO_API_URL": "http://127.0.0.1:9999/",
            "PLIVO_BLOCKS_PROXY_SECRET": SECRET,
            "PLIVO_BLOCKS_TIMEOUT": "2.5",
            "PLIVO_BLOCKS_MAX_RETRIES": "0",
            "PLIVO_BLOCKS_MAX_CONNECTIONS": "7",
            "PLIVO_BLOCKS_MAX_KEEPALIVE": "3",
            "PLIVO_BLOCKS_MAX_BODY_BYTES": "2048",
            "PLIVO_BLOCKS_BODY_TIMEOUT": "1",
            "PLIVO_BLOCKS_STATE_DIR": "/srv/plivo-blocks",
        }
    )
    assert settings == GatewaySettings(
        api_url="http://127.0.0.1:9999",
        proxy_secret=SECRET,
        timeout=2.5,
        max_retries=0,
        max_connections=7,
        max_keepalive_connections=3,
        max_body_bytes=2048,
        body_timeout=1.0,
        state_dir="/srv/plivo-blocks",
    )
    assert SECRET not in repr(settings)
    defaults = GatewaySettings.from_env({})
    assert (defaults.api_url, defaults.proxy_secret, defaults.max_body_bytes) == (
        "https://api.plivo.com",
        None,
        1024 * 1024,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"PLIVO_BLOCKS_TIMEOUT": "soon"},
        {"PLIVO_BLOCKS_TIMEOUT": "0"},
        {"PLIVO_BLOCKS_MAX_BODY_BYTES": "-1"},
        {"PLIVO_API_URL": "ftp://example.com"},
    ],
)
def test_bad_settings_are_refused_clearly(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        GatewaySettings.from_env(env)
    assert str(caught.value)


async def test_one_pool_serves_every_caller(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    """Two callers with different credentials through one gateway: each request carries its own."""
    other = {"args": {"authId": "MAOTHERACCOUNTXXXXXX", "authToken": "other-token"}}
    await gateway.post("/api/Plivo/getAccountDetails", json=args())
    await gateway.post("/api/Plivo/getAccountDetails", json=other)
    first, second = recording_upstream.requests
    assert first.basic_auth == (AUTH_ID, AUTH_TOKEN)
    assert second.basic_auth == ("MAOTHERACCOUNTXXXXXX", "other-token")
    assert detail(await gateway.post("/api/Plivo/getAccountDetails", json=args()))["message"] == "ok"
