"""Pacing each account to Plivo's limits: the sliding-log rule, and the gateway in front of a
recording upstream that notes when each request arrived. Limits are settings, so these tests use
small ones (a few requests per half second); ``tests/reliability/test_pacing_burst.py`` runs the
realistic 300 per 5 s against real processes."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from gateway_support import GatewayFactory, args, detail
from hypothesis import given
from hypothesis import strategies as st

from plivo_blocks.gateway.pacing import MemoryPacing, reserve
from support.redis_server import RedisServer
from support.upstream import RecordingUpstream

pytestmark = pytest.mark.wallclock  # turns are timed on the real clock

LIMIT, WINDOW, MARGIN = 5, 0.5, 0.1
PACED = {"rate_requests": LIMIT, "rate_window": WINDOW, "pacing_margin": MARGIN}


def most_in_any_window(times: list[float], window: float) -> int:
    """The most of ``times`` that fall in any half-open window ``[t, t + window)`` (a nanosecond
    of slack for float rounding at the boundary: ``t + window - window`` may not be ``t``)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - window + 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


# -- the rule -----------------------------------------------------------------------------------


@given(
    gaps=st.lists(st.floats(min_value=0, max_value=0.3), min_size=1, max_size=60),
    limit=st.integers(min_value=1, max_value=8),
    max_wait=st.floats(min_value=0, max_value=2),
)
def test_grants_never_exceed_the_limit_in_any_window(gaps: list[float], limit: int, max_wait: float) -> None:
    grants: deque[float] = deque()
    admitted: list[float] = []
    now = 0.0
    for gap in gaps:
        now += gap
        turn = reserve(grants, now, limit, 1.0, max_wait)
        if turn.admitted:
            assert 0 <= turn.seconds <= max_wait
            assert not admitted or now + turn.seconds >= admitted[-1]  # first come, first served
            admitted.append(now + turn.seconds)
        else:
            assert turn.seconds > 0
    assert most_in_any_window(admitted, 1.0) <= limit
    assert len(grants) <= limit


def test_a_burst_is_served_at_once_up_to_the_limit_then_queued_then_refused() -> None:
    grants: deque[float] = deque()
    turns = [reserve(grants, 100.0, 3, 1.0, 1.5) for _ in range(10)]
    assert [t.admitted for t in turns] == [True] * 6 + [False] * 4
    assert [t.seconds for t in turns[:6]] == [0, 0, 0, 1.0, 1.0, 1.0]
    assert turns[6].seconds == pytest.approx(0.5)  # its turn was 2 s away: 0.5 s past the queue


# -- the gateway ----------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    if request.param == "memory":
        return {"state_dir": None}
    if request.param == "sqlite":
        return {"state_dir": str(tmp_path)}
    server: RedisServer = request.getfixturevalue("redis_server")
    return {"redis_url": server.url}


async def _burst(
    gateway: httpx.AsyncClient, count: int, block: str = "getAccountDetails"
) -> list[httpx.Response]:
    answers: list[httpx.Response] = []

    async def one() -> None:
        answers.append(await gateway.post(f"/api/Plivo/{block}", json=args()))

    async with anyio.create_task_group() as group:
        for _ in range(count):
            group.start_soon(one)
    return answers


@pytest.mark.anyio
async def test_a_burst_is_paced_and_the_overflow_refused_with_a_hint(
    make_gateway: GatewayFactory, recording_upstream: RecordingUpstream, store: dict[str, Any]
) -> None:
    """5 per 0.5 s (windows widened to 0.6 s), a 0.8 s queue: turns at 0 and 0.6 s for the first
    ten; 30 at once, so some are always past the queue however slowly the machine takes them in."""
    async with make_gateway(**PACED, **store, max_queue_seconds=0.8) as gateway:
        answers = await _burst(gateway, 30)
    outcomes = [detail(a).get("status_code", "success") for a in answers]
    assert set(outcomes) == {"success", "RATE_LIMITED"}
    assert outcomes.count("success") >= 10
    arrivals = [r.received_at for r in recording_upstream.requests]
    assert len(arrivals) == outcomes.count("success")
    assert most_in_any_window(arrivals, WINDOW) <= LIMIT
    refused = [a for a in answers if detail(a).get("status_code") == "RATE_LIMITED"]
    for answer in refused:
        assert answer.headers["Retry-After"] == str(detail(answer)["retry_after"])
        assert "nothing was sent" in detail(answer)["status_msg"]


@pytest.mark.anyio
async def test_accounts_are_paced_apart(
    make_gateway: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    other = {"args": {"authId": "MAOTHERACCOUNTXXXXXX", "authToken": "t"}}
    async with make_gateway(**PACED, max_queue_seconds=0) as gateway:
        mine = await _burst(gateway, LIMIT)
        theirs = [await gateway.post("/api/Plivo/getAccountDetails", json=other) for _ in range(LIMIT)]
        over = await gateway.post("/api/Plivo/getAccountDetails", json=args())
    assert all(detail(a)["message"] == "ok" for a in mine + theirs)
    assert detail(over)["status_code"] == "RATE_LIMITED"


@pytest.mark.anyio
async def test_make_call_is_paced_on_its_own_without_holding_up_other_blocks(
    make_gateway: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    call = {"callFrom": "14155551234", "callTo": "14155550001", "answerUrl": "https://example.com/a"}
    async with make_gateway(calls_per_second=2, pacing_margin=MARGIN) as gateway:
        started = time.monotonic()
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(lambda: gateway.post("/api/Plivo/makeCall", json=args(**call)))
            await anyio.sleep(0.1)
            quick = await gateway.post("/api/Plivo/getAccountDetails", json=args())
            quick_took = time.monotonic() - started
    assert detail(quick)["message"] == "ok" and quick_took < 0.9  # not behind the queued calls
    calls = [r.received_at for r in recording_upstream.requests if r.path.endswith("/Call/")]
    assert len(calls) == 5
    assert most_in_any_window(calls, 1.0) <= 2
    assert max(calls) - min(calls) >= 2 * (1 + MARGIN) - 0.05  # 2, 2, 1: two full windows


@pytest.mark.anyio
async def test_gateways_sharing_a_store_pace_an_account_together(
    make_gateway: GatewayFactory, recording_upstream: RecordingUpstream, redis_server: RedisServer
) -> None:
    async with (
        make_gateway(**PACED, redis_url=redis_server.url, max_queue_seconds=0) as one,
        make_gateway(**PACED, redis_url=redis_server.url, max_queue_seconds=0) as two,
    ):
        answers = await _burst(one, 4) + await _burst(two, 4)
    assert [detail(a).get("status_code", "ok") for a in answers].count("ok") == LIMIT
    assert len(recording_upstream.requests) == LIMIT


@pytest.mark.anyio
async def test_pacing_off_when_the_limit_is_zero(
    make_gateway: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    async with make_gateway(rate_requests=0, max_queue_seconds=0) as gateway:
        answers = await _burst(gateway, 40)
    assert all(detail(a)["message"] == "ok" for a in answers)


@pytest.mark.anyio
async def test_a_keyed_request_refused_by_pacing_keeps_its_key_free(
    make_gateway: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    async with make_gateway(
        rate_requests=1, rate_window=0.3, pacing_margin=0.1, max_queue_seconds=0
    ) as gateway:
        await gateway.post("/api/Plivo/getAccountDetails", json=args())
        refused = await gateway.post(
            "/api/Plivo/getAccountDetails", json=args(), headers={"Idempotency-Key": "k"}
        )
        await anyio.sleep(0.45)
        sent = await gateway.post(
            "/api/Plivo/getAccountDetails", json=args(), headers={"Idempotency-Key": "k"}
        )
    assert detail(refused)["status_code"] == "RATE_LIMITED"
    assert detail(sent)["message"] == "ok" and "idempotent-replayed" not in sent.headers
    assert len(recording_upstream.requests) == 2


@pytest.mark.anyio
async def test_memory_pacing_is_what_a_failed_store_falls_back_to() -> None:
    pacing = MemoryPacing()
    turns = [await pacing.reserve("MA:api", 2, 1.0, 0.0) for _ in range(3)]
    assert [t.admitted for t in turns] == [True, True, False]


@pytest.mark.anyio
async def test_a_request_late_for_its_turn_takes_a_new_one_instead_of_being_sent_late(
    recording_upstream: RecordingUpstream,
) -> None:
    """Between its turn and the first byte on the wire a request may wait (for a connection, behind
    a busy event loop). Later than the tolerance, it is not written: it takes a new turn."""
    from plivo_blocks import AsyncClient

    turns: list[float] = []

    class LatePacer:
        max_wait, tolerance = 1.0, 0.1

        async def __call__(self, auth_id: str, block: str) -> float:
            # The first turn was half a second ago (as if the request had queued since); then on time.
            turns.append(time.monotonic() - (0.5 if not turns else 0.0))
            return turns[-1]

    async with AsyncClient("MAX", "token", base_url=recording_upstream.url, pacer=LatePacer()) as client:
        answer = await client.get_account_details()
    assert answer["message"] == "ok"
    assert len(turns) == 2
    assert len(recording_upstream.requests) == 1
    assert recording_upstream.requests[0].received_at >= turns[1]
