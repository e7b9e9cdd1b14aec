"""``idempotency_key=`` on the clients: a key never leads to a second request to Plivo. Checked by
counting the requests a real upstream on loopback received, through Client and AsyncClient."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest

from plivo_blocks import AsyncClient, Client
from plivo_blocks.client.idempotency import Claim, KeyTicket, MemoryKeyStore, wait_schedule
from plivo_blocks.errors import (
    BadRequestError,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    IdempotencyOutcomeUnknownError,
    PlivoTimeoutError,
    TransportError,
    ValidationError,
)
from support.clients import FAKE_AUTH_ID, FAKE_AUTH_TOKEN, Twin
from support.upstream import RecordingUpstream, Reply, free_port

QUEUED = {"api_id": "first", "message": "message(s) queued", "message_uuid": ["uuid-1"]}


def send(client: Any, key: str | None = "key-1", **changes: Any) -> Any:
    args = {"src": "14155551234", "destination": "14155550001", "text": "hi", **changes}
    return client.send_message(**args, idempotency_key=key)


def both(twin: Twin, first: Any, second: Any, **overrides: Any) -> tuple[Any, Any]:
    """Run two actions on one client (awaiting them for AsyncClient); errors are answered, not raised."""

    def action(client: Any) -> Any:
        async def run_async() -> tuple[Any, Any]:
            return (await _catch_async(first(client)), await _catch_async(second(client)))

        if isinstance(client, AsyncClient):
            return run_async()
        return _catch(lambda: first(client)), _catch(lambda: second(client))

    result: tuple[Any, Any] = twin.run(action, **overrides)
    return result


def _catch(thunk: Any) -> Any:
    try:
        return thunk()
    except Exception as exc:
        return exc


async def _catch_async(awaitable: Any) -> Any:
    try:
        return await awaitable
    except Exception as exc:
        return exc


def test_a_repeat_gets_the_first_answer_without_a_second_request(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=202, json=QUEUED))

    first, again = both(twin, send, send)

    assert first == again == QUEUED
    assert len(twin.upstream.requests) == 1


def test_the_outcome_says_when_it_was_replayed(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=202, json=QUEUED))

    def outcome(client: Any) -> Any:
        return client.call_block_outcome(
            "sendMessage",
            {"src": "14155551234", "destination": "14155550001", "text": "hi"},
            idempotency_key="k",
        )

    first, again = both(twin, outcome, outcome)

    assert (first.replayed, again.replayed) == (False, True)
    assert first.unwrap() == again.unwrap() == QUEUED


def test_the_same_request_spelled_differently_is_a_repeat(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=202, json=QUEUED))

    first, again = both(twin, send, lambda c: send(c, destination="+14155550001"))

    assert first == again == QUEUED
    assert len(twin.upstream.requests) == 1


def test_other_arguments_with_the_same_key_are_refused(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=202, json=QUEUED))

    first, other = both(twin, send, lambda c: send(c, text="something else"))

    assert first == QUEUED
    assert isinstance(other, IdempotencyKeyReusedError)
    assert "different arguments" in str(other)
    assert len(twin.upstream.requests) == 1


def test_other_credentials_with_the_same_key_are_refused(twin: Twin) -> None:
    """A view with the same auth id and another token must not get the first caller's answer."""
    twin.upstream.enqueue(Reply(status=202, json=QUEUED))

    first, other = both(twin, send, lambda c: send(c.with_credentials(FAKE_AUTH_ID, "another-token")))

    assert first == QUEUED
    assert isinstance(other, IdempotencyKeyReusedError) and "other credentials" in str(other)
    assert "another-token" not in str(other) and FAKE_AUTH_TOKEN not in str(other)
    assert len(twin.upstream.requests) == 1


def test_a_key_is_scoped_by_block_and_account(twin: Twin) -> None:
    def other_block(client: Any) -> Any:
        return client.get_account_details(idempotency_key="key-1")

    def other_account(client: Any) -> Any:
        return send(client.with_credentials("MAOTHERACCOUNT000001", "t"))

    both(twin, send, other_block)
    assert len(twin.upstream.requests) == 2
    both(twin, send, other_account)
    assert len(twin.upstream.requests) == 4


def test_plivo_errors_are_stored_and_replayed(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=400, json={"api_id": "bad", "error": "invalid src"}))

    first, again = both(twin, send, send)

    assert isinstance(first, BadRequestError) and isinstance(again, BadRequestError)
    assert (again.status_code, again.error, again.api_id, str(again)) == (
        400,
        "invalid src",
        "bad",
        str(first),
    )
    assert len(twin.upstream.requests) == 1


def test_a_timeout_that_may_have_reached_plivo_is_replayed_never_resent(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=202, json=QUEUED, delay=1.0), Reply(status=202, json=QUEUED))

    first, again = both(twin, send, send, timeout=0.3)

    assert isinstance(first, PlivoTimeoutError) and isinstance(again, PlivoTimeoutError)
    assert str(first) == str(again)
    assert len(twin.upstream.requests) == 1


def test_a_request_that_never_left_releases_its_key(twin: Twin) -> None:
    """Connection refused: nothing reached Plivo, so the key is free and the retry is sent."""
    dead = f"http://127.0.0.1:{free_port()}"
    twin.upstream.enqueue(Reply(status=202, json=QUEUED))

    def via_dead(client: Any) -> Any:
        return send(client.with_credentials(FAKE_AUTH_ID, FAKE_AUTH_TOKEN))

    def run(client: Any) -> Any:
        dead_client = (AsyncClient if isinstance(client, AsyncClient) else Client)(
            FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=dead, max_retries=0, idempotency_store=client._keys
        )
        if isinstance(client, AsyncClient):

            async def go() -> tuple[Any, Any]:
                refused = await _catch_async(send(dead_client))
                await dead_client.aclose()
                return refused, await send(client)

            return go()
        refused = _catch(lambda: send(dead_client))
        dead_client.close()
        return refused, send(client)

    refused, sent = twin.run(run)

    assert isinstance(refused, TransportError) and not refused.may_have_reached_plivo
    assert sent == QUEUED
    assert len(twin.upstream.requests) == 1


def test_an_invalid_key_is_refused_before_anything_is_sent(twin: Twin) -> None:
    for key in ["", " ", "x" * 256, "naïve", "tab\there"]:
        with pytest.raises(ValidationError) as caught:
            twin.run(lambda c, key=key: send(c, key=key))
        assert caught.value.problems[0].argument == "idempotency_key"
    assert twin.run(lambda c: send(c, key="k" * 255)) is not None
    assert len(twin.upstream.requests) == 1


def test_concurrent_repeats_wait_for_the_first_and_share_its_answer(
    recording_upstream: RecordingUpstream,
) -> None:
    recording_upstream.enqueue(Reply(status=202, json=QUEUED, delay=0.4))
    results: list[Any] = []
    with Client(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as client:
        threads = [
            threading.Thread(target=lambda: results.append(_catch(lambda: send(client)))) for _ in range(5)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert results == [QUEUED] * 5
    assert len(recording_upstream.requests) == 1


@pytest.mark.anyio
async def test_concurrent_async_repeats_wait_for_the_first(recording_upstream: RecordingUpstream) -> None:
    recording_upstream.enqueue(Reply(status=202, json=QUEUED, delay=0.4))
    results: list[Any] = []
    async with AsyncClient(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as client:

        async def one() -> None:
            results.append(await _catch_async(send(client)))

        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(one)
    assert results == [QUEUED] * 5
    assert len(recording_upstream.requests) == 1


@pytest.mark.anyio
async def test_a_repeat_that_outwaits_its_bound_is_told_the_key_is_in_use(
    recording_upstream: RecordingUpstream,
) -> None:
    recording_upstream.enqueue(Reply(status=202, json=QUEUED, delay=1.0))
    async with AsyncClient(
        FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url, idempotency_wait=0.2
    ) as client:
        async with anyio.create_task_group() as group:
            group.start_soon(send, client)
            await anyio.sleep(0.1)
            with pytest.raises(IdempotencyKeyInUseError) as caught:
                await send(client)
        assert caught.value.retry_after > 0
        assert await send(client) == QUEUED  # once the first is done, its answer
    assert len(recording_upstream.requests) == 1


@pytest.mark.anyio
async def test_a_call_cancelled_in_flight_is_never_sent_again(recording_upstream: RecordingUpstream) -> None:
    """Cancelled after the request left: the outcome is unknown, and the key says so for good."""
    recording_upstream.enqueue(Reply(status=202, json=QUEUED, delay=1.0))
    async with AsyncClient(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as client:
        with anyio.move_on_after(0.3):
            await send(client)
        with pytest.raises(IdempotencyOutcomeUnknownError) as caught:
            await send(client)
    assert "may have reached Plivo" in str(caught.value)
    assert len(recording_upstream.requests) == 1


def test_a_key_is_forgotten_after_its_time_to_live() -> None:
    now = [1000.0]
    store = MemoryKeyStore(clock=lambda: now[0])
    claim = Claim(owner="a", request="r", credentials="c", lease=60, ttl=24 * 3600)
    assert store.claim("scope", claim) is None
    store.finish("scope", "a", '{"kind":"result","result":{}}')
    other = Claim(owner="b", request="r", credentials="c", lease=60, ttl=24 * 3600)
    record = store.claim("scope", other)
    assert record is not None and record.state == "done"
    now[0] += 24 * 3600 - 1
    assert store.claim("scope", other) is not None
    now[0] += 2
    assert store.claim("scope", other) is None  # 24 h on: a new first call
    assert len(store) == 1


def test_an_in_flight_key_whose_lease_ran_out_is_an_unknown_outcome() -> None:
    now = [0.0]
    store = MemoryKeyStore(clock=lambda: now[0])
    store.claim("scope", Claim(owner="dead", request="r", credentials="c", lease=30, ttl=3600))
    ticket = KeyTicket(scope="scope", claim=Claim("b", "r", "c", 30, 3600), key="k", block="sendMessage")
    record = store.claim("scope", ticket.claim)
    assert record is not None and ticket.judge(record) is None  # still in flight: wait
    now[0] = 31
    record = store.claim("scope", ticket.claim)
    assert record is not None
    with pytest.raises(IdempotencyOutcomeUnknownError):
        ticket.judge(record)


def test_waits_for_a_key_in_flight_add_up_to_the_bound() -> None:
    pauses = list(wait_schedule(2.0))
    assert abs(sum(pauses) - 2.0) < 1e-9 and max(pauses) <= 0.2 and pauses[0] == 0.01
    assert list(wait_schedule(0)) == []


def test_keys_in_a_client_are_shared_by_its_views_only(recording_upstream: RecordingUpstream) -> None:
    recording_upstream.enqueue(Reply(status=202, json=QUEUED), Reply(status=202, json=QUEUED))
    with Client(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as one:
        send(one)
        send(one.with_credentials(FAKE_AUTH_ID, FAKE_AUTH_TOKEN))
        assert len(recording_upstream.requests) == 1
        with Client(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as other:
            send(other)  # its own memory: another client knows nothing of the first's keys
    assert len(recording_upstream.requests) == 2
