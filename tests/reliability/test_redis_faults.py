"""The gateway when its Redis fails: killed in the middle of a burst, restarted, or stopped
(SIGSTOP: it accepts connections and never answers, as a Redis stuck in a slow command does).

Under all of them: nothing is sent twice (the recording upstream sees each message text at most
once), a keyed request is refused with IDEMPOTENCY_STORE_UNAVAILABLE rather than sent unguarded,
requests without a key are still served (paced in the process's memory meanwhile), and no request
waits past the store timeout by more than the upstream's own time.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from reliability_support import gateway_body

from plivo_blocks.gateway import GatewaySettings, create_app
from plivo_blocks.gateway.state import redis_store
from support.redis_server import RedisServer
from support.upstream import RecordingUpstream, Reply

pytestmark = [pytest.mark.anyio, pytest.mark.wallclock]  # Redis killed and restarted under a timed burst

STORE_TIMEOUT = 0.3
QUEUED = {"api_id": "q", "message": "message(s) queued", "message_uuid": ["u"]}


@pytest.fixture(autouse=True)
def short_cooldown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_store, "COOLDOWN", 0.2)


@asynccontextmanager
async def gateway(
    upstream: RecordingUpstream, redis: RedisServer, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(
        api_url=upstream.url,
        max_retries=0,
        timeout=5,
        redis_url=redis.url,
        store_timeout=STORE_TIMEOUT,
        max_queue_seconds=STORE_TIMEOUT,  # pacing waits for Redis as long as for a turn
        idempotency_wait=0.3,
        **overrides,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=30) as client:
            yield client


def send_body(text: str) -> dict[str, Any]:
    return gateway_body(src="14155551234", destination="14155550001", text=text)


def sent_texts(upstream: RecordingUpstream) -> Counter[str]:
    return Counter(r.json["text"] for r in upstream.requests if r.json)


def code(response: httpx.Response) -> str:
    written = response.json()["contextWrites"]["to"]
    return "success" if "message_uuid" in written or "message" in written else str(written["status_code"])


async def test_redis_killed_mid_burst_sends_nothing_twice(
    recording_upstream: RecordingUpstream, redis_server: RedisServer
) -> None:
    recording_upstream.respond_with(lambda request: Reply(status=202, json=QUEUED, delay=0.3))
    keyed: dict[str, httpx.Response] = {}
    unkeyed: list[httpx.Response] = []
    timings: list[float] = []
    async with gateway(recording_upstream, redis_server) as client:

        async def one_keyed(n: int) -> None:
            started = time.monotonic()
            keyed[f"m{n}"] = await client.post(
                "/api/Plivo/sendMessage", json=send_body(f"m{n}"), headers={"Idempotency-Key": f"k{n}"}
            )
            timings.append(time.monotonic() - started)

        async def one_unkeyed(n: int) -> None:
            unkeyed.append(await client.post("/api/Plivo/sendMessage", json=send_body(f"free{n}")))

        async with anyio.create_task_group() as group:
            for n in range(40):
                group.start_soon(one_keyed, n)
                if n == 20:
                    await anyio.sleep(0.05)
                    redis_server.kill()
                await anyio.sleep(0.005)
            for n in range(10):
                group.start_soon(one_unkeyed, n)
        outcomes = Counter(code(r) for r in keyed.values())
        assert set(outcomes) <= {"success", "IDEMPOTENCY_STORE_UNAVAILABLE"}, outcomes
        assert outcomes["success"] >= 1 and outcomes["IDEMPOTENCY_STORE_UNAVAILABLE"] >= 1
        assert [code(r) for r in unkeyed] == ["success"] * 10  # served while Redis is down
        refused = {text for text, r in keyed.items() if code(r) == "IDEMPOTENCY_STORE_UNAVAILABLE"}
        assert not refused & set(sent_texts(recording_upstream))  # never sent unguarded
        assert max(timings) < 0.3 + 2 * STORE_TIMEOUT + 1.0  # the upstream's 0.3 s, the store's bound, slack
        assert (
            "nothing was sent"
            in next(iter(keyed[t] for t in refused)).json()["contextWrites"]["to"]["status_msg"]
        )

        # Redis comes back with what it had written, and every key is retried. The outcomes this
        # process could not write while Redis was down are written first.
        redis_server.start()
        await anyio.sleep(0.25)  # past the cooldown
        retried: dict[str, httpx.Response] = {}

        async def retry(text: str) -> None:
            # As a caller would: again while the store is refused (nothing was sent then).
            for _ in range(5):
                retried[text] = await client.post(
                    "/api/Plivo/sendMessage",
                    json=send_body(text),
                    headers={"Idempotency-Key": "k" + text[1:]},
                )
                if code(retried[text]) != "IDEMPOTENCY_STORE_UNAVAILABLE":
                    return
                await anyio.sleep(0.25)

        async with anyio.create_task_group() as group:
            for text in keyed:
                group.start_soon(retry, text)
    sent = sent_texts(recording_upstream)
    assert max(sent.values()) == 1  # nothing twice, across the outage and the retries
    assert [code(r) for r in retried.values()] == ["success"] * 40
    for text, response in retried.items():
        assert sent[text] == 1
        # Refused before: sent now. Sent before: replayed, its outcome written once Redis was back.
        assert response.headers.get("Idempotent-Replayed") == (None if text in refused else "true")


async def test_a_restarted_redis_still_replays_its_keys(
    recording_upstream: RecordingUpstream, redis_server: RedisServer
) -> None:
    recording_upstream.enqueue(Reply(status=202, json=QUEUED))
    async with gateway(recording_upstream, redis_server) as client:
        first = await client.post(
            "/api/Plivo/sendMessage", json=send_body("once"), headers={"Idempotency-Key": "r"}
        )
        redis_server.restart()
        await anyio.sleep(0.25)  # past the cooldown, should the first command after the restart fail
        again = await client.post(
            "/api/Plivo/sendMessage", json=send_body("once"), headers={"Idempotency-Key": "r"}
        )
    assert code(first) == code(again) == "success"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(recording_upstream.requests) == 1


async def test_a_stopped_redis_costs_at_most_the_store_timeout(
    recording_upstream: RecordingUpstream, redis_server: RedisServer
) -> None:
    async with gateway(recording_upstream, redis_server) as client:
        await client.post("/api/Plivo/getAccountDetails", json=gateway_body())  # connections made
        redis_server.pause()
        try:
            started = time.monotonic()
            keyed = await client.post(
                "/api/Plivo/sendMessage", json=send_body("stopped"), headers={"Idempotency-Key": "s"}
            )
            keyed_took = time.monotonic() - started
            started = time.monotonic()
            unkeyed = [
                await client.post("/api/Plivo/getAccountDetails", json=gateway_body()) for _ in range(5)
            ]
            unkeyed_took = time.monotonic() - started
        finally:
            redis_server.resume()
        await anyio.sleep(0.25)  # the cooldown passes; Redis answers again
        after = await client.post(
            "/api/Plivo/sendMessage", json=send_body("stopped"), headers={"Idempotency-Key": "s"}
        )
    assert code(keyed) == "IDEMPOTENCY_STORE_UNAVAILABLE"
    assert STORE_TIMEOUT * 0.9 <= keyed_took < STORE_TIMEOUT + 1.0
    assert [code(r) for r in unkeyed] == ["success"] * 5
    assert unkeyed_took < STORE_TIMEOUT + 1.0  # the first waits out the timeout, the rest skip Redis
    assert code(after) == "success"
    assert sent_texts(recording_upstream) == Counter({"stopped": 1})
