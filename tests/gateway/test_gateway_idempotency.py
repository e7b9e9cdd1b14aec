"""``Idempotency-Key`` on ``POST /api/Plivo/<block>``, with each of the gateway's key stores: its
memory (built in code), SQLite (one host) and a real Redis. Every test counts the requests the
recording upstream received: a key never leads to a second one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from gateway_support import AUTH_ID, GatewayFactory, args, detail

from plivo_blocks.gateway import GatewaySettings, create_app
from support.redis_server import RedisServer
from support.upstream import RecordingUpstream, Reply

pytestmark = pytest.mark.anyio

QUEUED = {"api_id": "first", "message": "message(s) queued", "message_uuid": ["uuid-1"]}
SEND = {"src": "14155551234", "destination": "14155550001", "text": "hi"}


def _store_settings(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    if kind == "memory":
        return {"state_dir": None}
    if kind == "sqlite":
        return {"state_dir": str(tmp_path / "state")}
    server: RedisServer = request.getfixturevalue("redis_server")
    return {"redis_url": server.url}


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Settings selecting one key store."""
    return _store_settings(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", "redis"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Settings selecting a store that several gateways can share."""
    return _store_settings(request.param, request, tmp_path)


@pytest.fixture
def keyed(make_gateway: GatewayFactory, store: dict[str, Any]) -> GatewayFactory:
    def factory(**overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return make_gateway(**{**store, **overrides})

    return factory


def key(value: str = "key-1") -> dict[str, str]:
    return {"Idempotency-Key": value}


async def test_a_repeat_is_answered_from_the_store_and_says_so(
    keyed: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(status=202, json=QUEUED))
    async with keyed() as gateway:
        first = await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key())
        again = await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key())
    assert detail(first) == detail(again) == QUEUED
    assert "idempotent-replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(recording_upstream.requests) == 1


async def test_other_arguments_under_the_same_key_are_refused(
    keyed: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(status=202, json=QUEUED))
    async with keyed() as gateway:
        await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key())
        other = await gateway.post(
            "/api/Plivo/sendMessage", json=args(**{**SEND, "text": "other"}), headers=key()
        )
        token = {"args": {**SEND, "authId": AUTH_ID, "authToken": "another-token"}}
        stolen = await gateway.post("/api/Plivo/sendMessage", json=token, headers=key())
    assert detail(other)["status_code"] == "IDEMPOTENCY_KEY_REUSED"
    assert "different arguments" in detail(other)["status_msg"]
    assert detail(stolen)["status_code"] == "IDEMPOTENCY_KEY_REUSED"
    assert "QUEUED" not in stolen.text.upper() and "another-token" not in stolen.text
    assert len(recording_upstream.requests) == 1


async def test_the_answer_key_may_change_on_a_repeat(
    keyed: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    """``to`` only names where the answer goes; it is no part of the request to Plivo."""
    recording_upstream.enqueue(Reply(status=202, json=QUEUED))
    async with keyed() as gateway:
        await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key())
        again = await gateway.post("/api/Plivo/sendMessage", json=args(**SEND, to="sent"), headers=key())
    assert detail(again, "sent") == QUEUED
    assert len(recording_upstream.requests) == 1


async def test_plivo_errors_and_timeouts_are_replayed_not_resent(
    keyed: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(
        Reply(status=400, json={"api_id": "e", "error": "invalid src"}),
        Reply(status=202, json=QUEUED, delay=2),
    )
    async with keyed(timeout=0.3) as gateway:
        refused = [
            await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key("a")) for _ in "12"
        ]
        timed_out = [
            await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key("b")) for _ in "12"
        ]
    assert detail(refused[0]) == detail(refused[1])
    assert detail(refused[1])["status_code"] == "API_ERROR" and detail(refused[1])["status"] == 400
    assert detail(timed_out[0]) == detail(timed_out[1])
    assert "did not answer" in detail(timed_out[1])["status_msg"]
    assert [r.headers.get("Idempotent-Replayed") for r in refused + timed_out] == [None, "true", None, "true"]
    assert len(recording_upstream.requests) == 2


async def test_concurrent_repeats_wait_for_the_first(
    keyed: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(status=202, json=QUEUED, delay=0.5))
    answers: list[httpx.Response] = []
    async with keyed() as gateway:

        async def one() -> None:
            answers.append(await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key()))

        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(one)
    assert [detail(a) for a in answers] == [QUEUED] * 5
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == [
        "",
        "true",
        "true",
        "true",
        "true",
    ]
    assert len(recording_upstream.requests) == 1


async def test_a_repeat_that_outwaits_the_bound_is_told_the_key_is_in_use(
    keyed: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(status=202, json=QUEUED, delay=1.0))
    async with keyed(idempotency_wait=0.2) as gateway, anyio.create_task_group() as group:
        group.start_soon(lambda: gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key()))
        await anyio.sleep(0.2)
        busy = await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key())
    assert detail(busy)["status_code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert detail(busy)["retry_after"] >= 1 and busy.headers["Retry-After"] == str(
        detail(busy)["retry_after"]
    )
    assert len(recording_upstream.requests) == 1


async def test_a_refused_call_does_not_use_up_its_key(
    keyed: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    """Stripe's rule: nothing is stored when the request never began, e.g. invalid arguments."""
    recording_upstream.enqueue(Reply(status=202, json=QUEUED))
    async with keyed() as gateway:
        invalid = await gateway.post("/api/Plivo/sendMessage", json=args(src="14155551234"), headers=key())
        sent = await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key())
    assert detail(invalid)["status_code"] == "REQUIRED_FIELDS"
    assert detail(sent) == QUEUED and "idempotent-replayed" not in sent.headers
    assert len(recording_upstream.requests) == 1


@pytest.mark.parametrize(
    "headers",
    [
        [("Idempotency-Key", "x" * 256)],
        [("Idempotency-Key", "")],
        [("Idempotency-Key", "a"), ("Idempotency-Key", "b")],
    ],
    ids=["too long", "empty", "twice"],
)
async def test_an_unusable_key_is_refused_and_nothing_is_sent(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream, headers: list[tuple[str, str]]
) -> None:
    response = await gateway.post("/api/Plivo/sendMessage", json=args(**SEND), headers=headers)
    assert detail(response)["status_code"] == "IDEMPOTENCY_KEY_INVALID"
    assert recording_upstream.requests == []


async def test_keys_are_shared_by_gateways_sharing_a_store(
    shared_store: dict[str, Any], recording_upstream: RecordingUpstream
) -> None:
    """Two apps (as two workers, or two replicas) on one store: the second replays the first's."""
    settings = GatewaySettings(api_url=recording_upstream.url, max_retries=0, timeout=5, **shared_store)
    recording_upstream.enqueue(Reply(status=202, json=QUEUED))
    async with _served(settings) as one, _served(replace(settings)) as two:
        first = await one.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key())
        again = await two.post("/api/Plivo/sendMessage", json=args(**SEND), headers=key())
    assert detail(first) == detail(again) == QUEUED and again.headers["Idempotent-Replayed"] == "true"
    assert len(recording_upstream.requests) == 1


async def test_requests_without_a_key_never_touch_the_key_store(
    make_gateway: GatewayFactory,
    recording_upstream: RecordingUpstream,
    tmp_path: Path,
    redis_server: RedisServer,
) -> None:
    state = tmp_path / "state"
    async with make_gateway(state_dir=str(state)) as gateway:
        for _ in range(3):
            assert detail(await gateway.post("/api/Plivo/getAccountDetails", json=args()))["message"] == "ok"
    assert not (state / "idempotency.sqlite3").exists()
    async with make_gateway(redis_url=redis_server.url) as gateway:
        for _ in range(3):
            await gateway.post("/api/Plivo/getAccountDetails", json=args())
    assert b"plivo-blocks:key" not in redis_server.command("KEYS", "*")
    assert b"plivo-blocks:pace" in redis_server.command("KEYS", "*")  # pacing is not the key store


@asynccontextmanager
async def _served(settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client
