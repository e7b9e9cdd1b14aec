"""The retry policy under injected faults: what is retried, how long it waits, and what is never sent twice."""

from __future__ import annotations

import email.utils
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from plivo_blocks import PlivoTimeoutError, RateLimitError, ServerError, TransportError
from plivo_blocks.client import RetryPolicy, parse_retry_after
from support.clients import Twin
from support.upstream import Fault, RecordingUpstream, Reply, free_port

pytestmark = pytest.mark.faults

OK = {"api_id": "ok-1", "message": "ok"}


def send(client: Any) -> Any:
    return client.send_message(src="14155551234", destination="14155550001", text="hi")


def get(client: Any) -> Any:
    return client.get_single_call_details(call_uuid="c-1")


def delete(client: Any) -> Any:
    return client.hangup_single_call(call_uuid="c-1")


# -- GET and DELETE ----------------------------------------------------------------------------------


def test_get_is_retried_on_503_and_succeeds(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=503, json={"error": "busy"}), Reply(json=OK))

    assert twin.run(get) == OK
    assert len(twin.upstream.requests) == 2
    assert len(twin.sleeps) == 1 and 0.375 <= twin.sleeps[0] <= 0.5  # 0.5s, less up to 25% jitter


def test_get_gives_up_after_max_retries_with_growing_waits(twin: Twin) -> None:
    twin.upstream.enqueue(*[Reply(status=500, json={"error": "boom"})] * 4)

    with pytest.raises(ServerError):
        twin.run(get, max_retries=2)

    assert len(twin.upstream.requests) == 3
    first, second = twin.sleeps
    assert 0.375 <= first <= 0.5 and 0.75 <= second <= 1.0


def test_max_retries_zero_means_one_attempt(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=503))

    with pytest.raises(ServerError):
        twin.run(get, max_retries=0)

    assert len(twin.upstream.requests) == 1 and twin.sleeps == []


@pytest.mark.parametrize("fault", ["drop", "reset", "truncate"])
def test_get_and_delete_are_retried_after_the_connection_failed(twin: Twin, fault: Fault) -> None:
    twin.upstream.enqueue(Reply(fault=fault), Reply(json=OK), Reply(fault=fault), Reply(status=204, body=b""))

    assert twin.run(get) == OK
    assert twin.run(delete) == {}
    assert [r.method for r in twin.upstream.requests] == ["GET", "GET", "DELETE", "DELETE"]


def test_get_is_retried_after_a_read_timeout(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(delay=2.0), Reply(json=OK))

    assert twin.run(get, timeout=0.2) == OK
    assert len(twin.upstream.requests) == 2


def test_a_client_error_is_never_retried(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=404, json={"error": "not found"}), Reply(json=OK))

    with pytest.raises(Exception, match="not found"):
        twin.run(get)

    assert len(twin.upstream.requests) == 1


# -- Retry-After ---------------------------------------------------------------------------------------


def test_retry_after_seconds_is_honoured(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=503, headers={"Retry-After": "3"}), Reply(json=OK))

    twin.run(get)

    assert twin.sleeps == [3.0]


def test_retry_after_as_an_http_date_is_honoured(twin: Twin) -> None:
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    twin.upstream.enqueue(Reply(status=429, headers={"Retry-After": when}), Reply(json=OK))

    twin.run(get)

    assert len(twin.sleeps) == 1 and 8.0 <= twin.sleeps[0] <= 10.0


def test_a_retry_after_beyond_the_cap_is_not_waited_for(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=429, headers={"Retry-After": "3600"}, json={"error": "slow down"}))

    with pytest.raises(RateLimitError):
        twin.run(get)

    assert twin.sleeps == [] and len(twin.upstream.requests) == 1


def test_a_garbled_retry_after_falls_back_to_backoff(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=503, headers={"Retry-After": "soon"}), Reply(json=OK))

    twin.run(get)

    assert 0.375 <= twin.sleeps[0] <= 0.5


@pytest.mark.parametrize(
    ("header", "expected"),
    [("0", 0.0), ("2.5", 2.5), ("-1", None), ("nan", None), ("tomorrow", None), (None, None)],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_with_a_date_in_the_past_is_zero() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_backoff_is_capped_and_jittered_downwards() -> None:
    policy = RetryPolicy(max_retries=10, initial_backoff=0.5, max_backoff=8.0, jitter=lambda: 1.0)

    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5, 6)] == [0.375, 0.75, 1.5, 3.0, 6.0, 6.0]
    assert RetryPolicy(jitter=lambda: 0.0).backoff(1) == 0.5
    assert policy.delay(11) is None


# -- POST: never sent twice ------------------------------------------------------------------------------


def test_post_is_not_retried_after_a_read_timeout(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(delay=2.0), Reply(json=OK))

    with pytest.raises(PlivoTimeoutError) as caught:
        twin.run(send, timeout=0.2, max_retries=3)

    assert len(twin.upstream.requests) == 1
    assert twin.sleeps == []
    assert "not retried" in str(caught.value)


@pytest.mark.parametrize("fault", ["drop", "reset", "truncate"])
def test_post_is_not_retried_once_the_request_reached_the_server(twin: Twin, fault: Fault) -> None:
    twin.upstream.enqueue(Reply(fault=fault), Reply(json=OK))

    with pytest.raises(TransportError):
        twin.run(send, max_retries=3)

    assert len(twin.upstream.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_is_not_retried_on_a_server_error(twin: Twin, status: int) -> None:
    twin.upstream.enqueue(Reply(status=status, headers={"Retry-After": "1"}), Reply(json=OK))

    with pytest.raises(ServerError):
        twin.run(send, max_retries=3)

    assert len(twin.upstream.requests) == 1


def test_post_is_retried_on_429(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=429, headers={"Retry-After": "2"}), Reply(status=202, json=OK))

    assert twin.run(send) == OK
    assert len(twin.upstream.requests) == 2 and twin.sleeps == [2.0]


def test_post_is_retried_after_connection_refused(twin: Twin) -> None:
    """Nothing listens on the port at first; the (injected) wait before the retry starts a server there."""
    port = free_port()
    started: list[RecordingUpstream] = []

    def start_server(delay: float) -> None:
        twin.sleeps.append(delay)
        started.append(RecordingUpstream(port=port).start())

    async def start_server_async(delay: float) -> None:
        start_server(delay)

    sleep = start_server if twin.kind == "sync" else start_server_async
    try:
        answer = twin.run(send, base_url=f"http://127.0.0.1:{port}", sleep=sleep)
        assert answer["message"] == "ok"
        assert len(twin.sleeps) == 1
        assert [(r.method, r.json["dst"]) for r in started[0].requests] == [("POST", "14155550001")]
    finally:
        for server in started:
            server.stop()


def test_post_gives_up_after_max_retries_of_connection_refused(twin: Twin) -> None:
    with pytest.raises(TransportError) as caught:
        twin.run(send, base_url=f"http://127.0.0.1:{free_port()}", max_retries=2)

    assert len(twin.sleeps) == 2
    assert "after 3 attempts" in str(caught.value)


# -- injected transport exceptions (respx) ------------------------------------------------------------------

MESSAGE_URL = "https://api.plivo.test/v1/Account/MAFAKEAUTHID00000001/Message/"


def _through_httpx(twin: Twin) -> dict[str, Any]:
    """respx mocks httpx: the async client is given an httpx.AsyncClient (its own sender is
    aiohttp's, whose failures are translated to these same exceptions: tests/client/test_transport.py)."""
    return {"http_client": httpx.AsyncClient()} if twin.kind == "async" else {}


@pytest.mark.parametrize(
    "exception", [httpx.ConnectError("refused"), httpx.ConnectTimeout("connect"), httpx.PoolTimeout("pool")]
)
def test_post_is_retried_when_the_request_never_left(twin: Twin, exception: Exception) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(MESSAGE_URL).mock(side_effect=[exception, httpx.Response(202, json=OK)])
        answer = twin.run(send, base_url="https://api.plivo.test", **_through_httpx(twin))

    assert answer == OK
    assert route.call_count == 2


@pytest.mark.parametrize(
    "exception",
    [
        httpx.ReadTimeout("read"),
        httpx.WriteTimeout("write"),
        httpx.ReadError("reset"),
        httpx.WriteError("broken pipe"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_post_is_not_retried_when_the_request_may_have_left(twin: Twin, exception: Exception) -> None:
    with respx.mock() as mock:
        route = mock.post(MESSAGE_URL).mock(side_effect=[exception, httpx.Response(202, json=OK)])
        with pytest.raises(TransportError) as caught:
            twin.run(send, base_url="https://api.plivo.test", max_retries=5, **_through_httpx(twin))

    assert route.call_count == 1
    assert isinstance(caught.value, PlivoTimeoutError) == isinstance(exception, httpx.TimeoutException)


# -- logging ------------------------------------------------------------------------------------------------


def test_one_log_line_per_attempt(twin: Twin, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="plivo_blocks.client")
    twin.upstream.enqueue(Reply(status=503), Reply(json=OK))

    twin.run(get)

    records = [r for r in caplog.records if r.name == "plivo_blocks.client"]
    assert [r.__dict__["attempt"] for r in records] == [1, 2]
    assert [r.__dict__["status"] for r in records] == ["503", "200"]
    first = records[0]
    assert (first.__dict__["block"], first.__dict__["http_method"], first.__dict__["path"]) == (
        "getSingleCallDetails",
        "GET",
        "Call/c-1/",
    )
    assert isinstance(first.__dict__["duration_ms"], float)
    assert first.getMessage().startswith("getSingleCallDetails GET Call/c-1/ -> 503 in ")
    assert "(attempt 1 of 3); retrying in" in first.getMessage()
    assert "Account" not in first.getMessage()
