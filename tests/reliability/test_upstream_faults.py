"""The gateway, ``Client`` and ``AsyncClient`` against a misbehaving Plivo.

One table of faults, each run through the three doors against the recording upstream (a real
HTTP server on loopback that resets, truncates, drops, stalls or answers garbage on demand).
For each fault the test asserts the answer (a clear API_ERROR, or success after a permitted
retry), counts the requests that reached the upstream (a POST that may have reached Plivo is
never repeated; GET and DELETE are retried at most ``max_retries`` times), checks the waits the
retry policy asked for, and proves the gateway is still serving afterwards. Every call has an
outer bound (``PATIENCE``), far above the 0.5 s upstream timeout: a hang fails the test.

The retry waits are recorded instead of slept (the clients take a ``sleep`` function; in the
gateway the pooled client's one is swapped), so the suite is fast and the waits are exact.
"""

from __future__ import annotations

import email.utils
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import anyio
import httpx
import pytest
from reliability_support import AUTH_ID, AUTH_TOKEN, PATIENCE, bounded, gateway_body, plivo_queued

from plivo_blocks import AsyncClient, Client
from plivo_blocks.errors import APIError, PlivoTimeoutError, TransportError
from plivo_blocks.gateway import GatewaySettings, create_app
from support.live_server import LiveServer
from support.upstream import RecordingUpstream, Reply, free_port

pytestmark = [pytest.mark.faults, pytest.mark.wallclock]  # real timeouts

UPSTREAM_TIMEOUT = 0.5
MAX_RETRIES = 2
ATTEMPTS = MAX_RETRIES + 1

# The three kinds of call: a POST that sends a message (must never be sent twice), a GET and a
# DELETE (repeating them changes nothing, so they are retried).
CALLS: dict[str, tuple[str, dict[str, str], str, str]] = {
    "POST": (
        "sendMessage",
        {"src": "14155550100", "destination": "14155550101", "text": "hi"},
        "POST",
        "Message/",
    ),
    "GET": ("getSingleCallDetails", {"callUuid": "c-1"}, "GET", "Call/c-1/"),
    "DELETE": (
        "deleteApplication",
        {"appId": "29986316244302815"},
        "DELETE",
        "Application/29986316244302815/",
    ),
}
OK_ANSWERS: dict[str, Reply] = {
    "POST": Reply(status=202, json=plivo_queued()),
    "GET": Reply(status=200, json={"api_id": "rel", "call_uuid": "c-1"}),
    "DELETE": Reply(status=204, body=b""),
}
HTML_502 = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>"
)

Outcome = Literal["success", "api_error", "transport", "timeout"]


@dataclass(frozen=True)
class Fault:
    """One scenario: what the upstream does, and what must come of it."""

    id: str
    call: str  # a key of CALLS
    replies: tuple[Reply, ...]
    outcome: Outcome
    requests: int  # how many requests must reach the upstream
    status: int | None = None  # Plivo's HTTP status carried by the API_ERROR
    says: str = ""  # a fragment the error must contain
    sleeps: tuple[float, ...] | None = None  # exact waits asked for, when they are exact

    def expected_success(self) -> Any:
        reply = OK_ANSWERS[self.call]
        return {} if reply.status == 204 else reply.json


def _ok(call: str) -> Reply:
    return OK_ANSWERS[call]


def _stall(call: str) -> Reply:
    return Reply(delay=UPSTREAM_TIMEOUT * 6, json={"api_id": "late"})


in_two_hours = email.utils.format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)

FAULTS: list[Fault] = [
    # -- the connection breaks after the request was sent --------------------------------------
    Fault("reset/POST", "POST", (Reply(fault="reset"),), "transport", 1, says="not retried"),
    Fault("reset/GET then ok", "GET", (Reply(fault="reset"), _ok("GET")), "success", 2),
    Fault("reset/GET always", "GET", (Reply(fault="reset"),) * ATTEMPTS, "transport", ATTEMPTS),
    Fault("reset/DELETE then ok", "DELETE", (Reply(fault="reset"), _ok("DELETE")), "success", 2),
    Fault("drop/POST", "POST", (Reply(fault="drop"),), "transport", 1, says="not retried"),
    Fault("drop/DELETE then ok", "DELETE", (Reply(fault="drop"), _ok("DELETE")), "success", 2),
    Fault(
        "truncated/POST", "POST", (Reply(status=202, json=plivo_queued(), fault="truncate"),), "transport", 1
    ),
    Fault("truncated/GET then ok", "GET", (Reply(fault="truncate"), _ok("GET")), "success", 2),
    # -- no answer within the timeout -------------------------------------------------------------
    Fault("slow/POST", "POST", (_stall("POST"),), "timeout", 1, says="not retried"),
    Fault("slow/GET then ok", "GET", (_stall("GET"), _ok("GET")), "success", 2),
    Fault("slow/GET always", "GET", (_stall("GET"),) * ATTEMPTS, "timeout", ATTEMPTS),
    # -- 429: Plivo refused before acting, so even a POST may be repeated -------------------------
    Fault(
        "429/POST no Retry-After then ok",
        "POST",
        (Reply(status=429, json={"error": "slow down"}), _ok("POST")),
        "success",
        2,
    ),
    Fault(
        "429/POST Retry-After 2 then ok",
        "POST",
        (Reply(status=429, json={"error": "slow down"}, headers={"Retry-After": "2"}), _ok("POST")),
        "success",
        2,
        sleeps=(2.0,),
    ),
    Fault(
        "429/POST always",
        "POST",
        (Reply(status=429, json={"api_id": "rl", "error": "too many"}),) * ATTEMPTS,
        "api_error",
        ATTEMPTS,
        status=429,
        says="too many",
    ),
    Fault(
        "429/POST Retry-After 1 hour",
        "POST",
        (Reply(status=429, json={"error": "come back later"}, headers={"Retry-After": "3600"}),),
        "api_error",
        1,
        status=429,
        sleeps=(),
    ),
    Fault(
        "429/GET Retry-After HTTP date in 2 h",
        "GET",
        (Reply(status=429, json={"error": "later"}, headers={"Retry-After": in_two_hours}),),
        "api_error",
        1,
        status=429,
        sleeps=(),
    ),
    # -- 5xx: a POST may have been acted on, so it is never repeated; GET and DELETE are ----------
    *[
        Fault(
            f"{status}/POST",
            "POST",
            (Reply(status=status, json={"api_id": "e", "error": "internal"}),),
            "api_error",
            1,
            status=status,
            says="internal",
            sleeps=(),
        )
        for status in (500, 502, 503)
    ],
    Fault("503/GET then ok", "GET", (Reply(status=503, json={"error": "busy"}), _ok("GET")), "success", 2),
    Fault(
        "500/GET always",
        "GET",
        (Reply(status=500, json={"error": "boom"}),) * ATTEMPTS,
        "api_error",
        ATTEMPTS,
        status=500,
        says="boom",
    ),
    Fault(
        "503/DELETE then ok",
        "DELETE",
        (Reply(status=503, json={"error": "busy"}), _ok("DELETE")),
        "success",
        2,
    ),
    # -- bodies that are not Plivo's JSON ------------------------------------------------------
    Fault(
        "502 HTML page/POST",
        "POST",
        (Reply(status=502, body=HTML_502, content_type="text/html"),),
        "api_error",
        1,
        status=502,
        says="502 Bad Gateway",
    ),
    Fault(
        "500 empty body/POST",
        "POST",
        (Reply(status=500, body=b""),),
        "api_error",
        1,
        status=500,
        says="empty",
    ),
    Fault(
        "200 non-JSON/POST",
        "POST",
        (Reply(status=202, body="queued, thanks"),),
        "api_error",
        1,
        status=202,
        says="not valid JSON",
    ),
    Fault(
        "200 HTML/GET",
        "GET",
        (Reply(status=200, body=HTML_502, content_type="text/html"),),
        "api_error",
        1,
        status=200,
        says="HTML page",
    ),
    Fault(
        "200 truncated JSON/POST",
        "POST",
        (Reply(status=202, body='{"api_id": "x", "message_uuid": ["0b4f'),),
        "api_error",
        1,
        status=202,
        says="not valid JSON",
    ),
    Fault(
        "200 JSON list/GET",
        "GET",
        (Reply(status=200, json=["not", "an", "object"]),),
        "api_error",
        1,
        status=200,
        says="list",
    ),
    Fault(
        "200 empty body/POST",
        "POST",
        (Reply(status=200, body=b""),),
        "api_error",
        1,
        status=200,
        says="empty",
    ),
]


# -- the doors -------------------------------------------------------------------------------------


@dataclass
class GatewayRig:
    """The gateway over real HTTP in front of a recording upstream; retry waits are recorded."""

    upstream: RecordingUpstream
    url: str
    sleeps: list[float] = field(default_factory=list)
    on_sleep: Callable[[float], None] | None = None

    def post(self, block: str, args: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.url}/api/Plivo/{block}", json=gateway_body(**args), timeout=PATIENCE)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture(scope="module")
def gateway_server() -> Iterator[GatewayRig]:
    with RecordingUpstream() as upstream:
        app = create_app(
            GatewaySettings(api_url=upstream.url, timeout=UPSTREAM_TIMEOUT, max_retries=MAX_RETRIES)
        )
        rig = GatewayRig(upstream, "")

        async def record_sleep(delay: float) -> None:
            rig.sleeps.append(delay)
            if rig.on_sleep is not None:
                rig.on_sleep(delay)

        # The gateway's pooled client is built before serving, so its sleep can be swapped (tests only).
        app.state.gateway.client()._sleep = record_sleep
        with LiveServer(app) as server:
            rig.url = server.url
            yield rig


@pytest.fixture
def gateway(gateway_server: GatewayRig) -> Iterator[GatewayRig]:
    gateway_server.upstream.reset()
    gateway_server.sleeps.clear()
    gateway_server.on_sleep = None
    yield gateway_server
    # Never crashed: still healthy, and the next ordinary call goes through.
    gateway_server.upstream.reset()
    assert httpx.get(gateway_server.url + "/healthz", timeout=PATIENCE).status_code == 200
    block, args, _, _ = CALLS["GET"]
    gateway_server.upstream.enqueue(_ok("GET"))
    assert gateway_server.post(block, args)["callback"] == "success"
    gateway_server.upstream.reset()


def _assert_requests(upstream: RecordingUpstream, fault: Fault) -> None:
    _, _, method, path = CALLS[fault.call]
    seen = upstream.requests
    assert len(seen) == fault.requests, (
        f"{fault.id}: {len(seen)} upstream requests, expected {fault.requests}"
    )
    assert all(r.method == method and r.raw_path == f"/v1/Account/{AUTH_ID}/{path}" for r in seen)
    assert upstream.pending() == len(fault.replies) - fault.requests


def _assert_sleeps(sleeps: list[float], fault: Fault) -> None:
    retries = fault.requests - 1
    assert len(sleeps) == retries
    if fault.sleeps is not None:
        assert tuple(sleeps) == fault.sleeps
    else:
        # Jittered exponential backoff: 0.5 s then 1 s, each less up to 25 %.
        for attempt, delay in enumerate(sleeps, start=1):
            step = 0.5 * 2 ** (attempt - 1)
            assert 0.75 * step <= delay <= step


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_gateway_under_upstream_fault(gateway: GatewayRig, fault: Fault) -> None:
    gateway.upstream.enqueue(*fault.replies)
    block, args, _, _ = CALLS[fault.call]

    answer = gateway.post(block, args)

    (written,) = answer["contextWrites"].values()
    if fault.outcome == "success":
        assert answer["callback"] == "success", answer
        expected = fault.expected_success()
        assert written == (expected or {"status": "success"})
    else:
        assert answer["callback"] == "error", answer
        assert written["status_code"] == "API_ERROR"
        if fault.outcome == "api_error":
            assert written["status"] == fault.status
            assert fault.says in written["status_msg"] + str(written.get("error"))
        elif fault.outcome == "timeout":
            assert "timeout" in written["status_msg"]
        else:
            assert "connection failed" in written["status_msg"]
    _assert_requests(gateway.upstream, fault)
    _assert_sleeps(gateway.sleeps, fault)


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_client_under_upstream_fault(recording_upstream: RecordingUpstream, fault: Fault, kind: str) -> None:
    recording_upstream.enqueue(*fault.replies)
    block, args, _, _ = CALLS[fault.call]
    sleeps: list[float] = []

    def run() -> Any:
        return call_through(kind, recording_upstream.url, block, args, sleeps)

    if fault.outcome == "success":
        assert bounded(run) == fault.expected_success()
    else:
        expected: type[Exception] = {
            "api_error": APIError,
            "transport": TransportError,
            "timeout": PlivoTimeoutError,
        }[fault.outcome]
        with pytest.raises(expected) as caught:
            bounded(run)
        error = caught.value
        if isinstance(error, APIError):
            assert fault.outcome == "api_error"
            assert error.status_code == fault.status
            assert fault.says in f"{error} {error.error}"
        else:
            assert not isinstance(error, APIError)
            assert fault.says in str(error)
        assert AUTH_TOKEN not in repr(error) and AUTH_TOKEN not in str(error)
    _assert_requests(recording_upstream, fault)
    _assert_sleeps(sleeps, fault)


def call_through(
    kind: str,
    base_url: str,
    block: str,
    args: dict[str, Any],
    sleeps: list[float],
    on_sleep: Callable[[float], None] | None = None,
) -> Any:
    settings: dict[str, Any] = {
        "base_url": base_url,
        "timeout": UPSTREAM_TIMEOUT,
        "max_retries": MAX_RETRIES,
    }

    def record(delay: float) -> None:
        sleeps.append(delay)
        if on_sleep is not None:
            on_sleep(delay)

    if kind == "sync":
        with Client(AUTH_ID, AUTH_TOKEN, sleep=record, **settings) as client:
            return client.call_block(block, args)

    async def record_async(delay: float) -> None:
        record(delay)

    async def main() -> Any:
        async with AsyncClient(AUTH_ID, AUTH_TOKEN, sleep=record_async, **settings) as client:
            result = client.call_block(block, args)
            return await result if inspect.isawaitable(result) else result

    return anyio.run(main)


# -- connection refused ----------------------------------------------------------------------------


def test_gateway_answers_api_error_when_plivo_refuses_connections() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    app = create_app(GatewaySettings(api_url=dead, timeout=UPSTREAM_TIMEOUT, max_retries=MAX_RETRIES))
    sleeps: list[float] = []

    async def record_sleep(delay: float) -> None:
        sleeps.append(delay)

    app.state.gateway.client()._sleep = record_sleep
    with LiveServer(app) as server:
        block, args, _, _ = CALLS["POST"]
        response = httpx.post(f"{server.url}/api/Plivo/{block}", json=gateway_body(**args), timeout=PATIENCE)
        assert httpx.get(server.url + "/healthz", timeout=PATIENCE).status_code == 200
    written = response.json()["contextWrites"]["to"]
    assert response.status_code == 200
    assert written["status_code"] == "API_ERROR"
    assert "Could not reach Plivo" in written["status_msg"]
    # A refused connection provably sent nothing, so even the POST was tried 1 + max_retries times.
    assert len(sleeps) == MAX_RETRIES


def test_gateway_post_refused_then_accepted_is_sent_exactly_once() -> None:
    """Plivo is down at the first attempt and back by the retry: the POST is retried (it never
    left) and the message reaches Plivo exactly once."""
    port = free_port()
    late = RecordingUpstream(port=port)
    app = create_app(
        GatewaySettings(api_url=f"http://127.0.0.1:{port}", timeout=UPSTREAM_TIMEOUT, max_retries=2)
    )
    sleeps: list[float] = []

    async def come_back_up(delay: float) -> None:
        sleeps.append(delay)
        if late.port == 0:
            late.start()
            late.enqueue(_ok("POST"))

    app.state.gateway.client()._sleep = come_back_up
    try:
        with LiveServer(app) as server:
            block, args, _, _ = CALLS["POST"]
            response = httpx.post(
                f"{server.url}/api/Plivo/{block}", json=gateway_body(**args), timeout=PATIENCE
            )
        assert response.json() == {"callback": "success", "contextWrites": {"to": plivo_queued()}}
        assert len(sleeps) == 1
        assert [r.method for r in late.requests] == ["POST"]
    finally:
        late.stop()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_client_post_refused_then_accepted_is_sent_exactly_once(kind: str) -> None:
    port = free_port()
    late = RecordingUpstream(port=port)
    sleeps: list[float] = []

    def come_back_up(delay: float) -> None:
        if late.port == 0:
            late.start()
            late.enqueue(_ok("POST"))

    block, args, _, _ = CALLS["POST"]
    try:
        answer = bounded(
            lambda: call_through(kind, f"http://127.0.0.1:{port}", block, args, sleeps, come_back_up)
        )
        assert answer == plivo_queued()
        assert len(sleeps) == 1
        assert [r.method for r in late.requests] == ["POST"]
    finally:
        late.stop()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_client_raises_transport_error_when_plivo_refuses_connections(kind: str) -> None:
    sleeps: list[float] = []
    block, args, _, _ = CALLS["POST"]
    with pytest.raises(TransportError) as caught:
        bounded(lambda: call_through(kind, f"http://127.0.0.1:{free_port()}", block, args, sleeps))
    assert not isinstance(caught.value, PlivoTimeoutError)
    assert "could not connect" in str(caught.value)
    assert len(sleeps) == MAX_RETRIES
