"""The gateway and the client against the sandbox's own fault control (``POST /_sandbox/faults``).

Here the upstream keeps state, so "never sent twice" is checked where it matters: in the
messages the sandbox holds. Requests are counted by the faults the sandbox consumed: each test
queues one fault *more* than the client may use, and the one left pending proves no extra
request arrived.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from reliability_support import AUTH_ID, AUTH_TOKEN, PATIENCE, bounded, gateway_body

from plivo_blocks import Client
from plivo_blocks.errors import APIError, PlivoTimeoutError, ServerError, TransportError
from plivo_blocks.gateway import GatewaySettings, create_app
from plivo_blocks.sandbox import create_app as create_sandbox
from support.live_server import LiveServer

pytestmark = pytest.mark.faults

UPSTREAM_TIMEOUT = 0.5
MAX_RETRIES = 2
# To the UK, where a number the account does not rent may be the sender (to the US it could not).
SEND = {"src": "14155550100", "destination": "447700900101", "text": "fault drill"}


@dataclass
class SandboxRig:
    sandbox_url: str
    gateway_url: str
    control: httpx.Client
    sleeps: list[float] = field(default_factory=list)

    def inject(self, kind: str, *, count: int, methods: list[str], path_prefix: str, **extra: Any) -> None:
        fault = {"kind": kind, "count": count, "methods": methods, "path_prefix": path_prefix, **extra}
        self.control.post("/_sandbox/faults", json=fault).raise_for_status()

    def pending_uses(self) -> int:
        """How many injected fault uses were not consumed by a request."""
        faults = self.control.get("/_sandbox/faults").json()["faults"]
        return sum(f["count"] for f in faults)

    def messages(self) -> list[dict[str, Any]]:
        page = self.control.get("/_sandbox/messages", params={"limit": 20}).json()
        assert page["meta"]["total_count"] == len(page["objects"])
        objects: list[dict[str, Any]] = page["objects"]
        return objects

    def call(self, block: str, **args: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.gateway_url}/api/Plivo/{block}", json=gateway_body(**args), timeout=PATIENCE
        )
        assert response.status_code == 200
        written: dict[str, Any] = response.json()["contextWrites"]["to"]
        return {"callback": response.json()["callback"], **written}


@pytest.fixture(scope="module")
def rig_server() -> Iterator[SandboxRig]:
    sandbox = create_sandbox(":memory:", auth_id=AUTH_ID, auth_token=AUTH_TOKEN)
    with LiveServer(sandbox) as sandbox_server:
        gateway = create_app(
            GatewaySettings(api_url=sandbox_server.url, timeout=UPSTREAM_TIMEOUT, max_retries=MAX_RETRIES)
        )
        with (
            LiveServer(gateway) as gateway_server,
            httpx.Client(
                base_url=sandbox_server.url, auth=(AUTH_ID, AUTH_TOKEN), timeout=PATIENCE
            ) as control,
        ):
            rig = SandboxRig(sandbox_server.url, gateway_server.url, control)

            async def record_sleep(delay: float) -> None:
                rig.sleeps.append(delay)

            # Retry waits are recorded, not slept (tests only): the suite stays fast and exact.
            gateway.state.gateway.client()._sleep = record_sleep
            yield rig


@pytest.fixture
def rig(rig_server: SandboxRig) -> Iterator[SandboxRig]:
    rig_server.control.post("/_sandbox/reset").raise_for_status()
    rig_server.sleeps.clear()
    yield rig_server
    rig_server.control.delete("/_sandbox/faults")


def test_post_answered_503_is_not_repeated_and_nothing_is_stored(rig: SandboxRig) -> None:
    rig.inject("status", status=503, count=2, methods=["POST"], path_prefix="Message/")

    answer = rig.call("sendMessage", **SEND)

    assert answer["callback"] == "error" and answer["status_code"] == "API_ERROR" and answer["status"] == 503
    assert rig.pending_uses() == 1  # one request reached the sandbox
    assert rig.messages() == []
    assert rig.sleeps == []


def test_post_timed_out_is_not_repeated_and_sent_at_most_once(rig: SandboxRig) -> None:
    # The sandbox holds the request past the gateway's timeout, then handles it: the message may
    # well exist, so a retry would send it twice.
    rig.inject("delay", delay_seconds=UPSTREAM_TIMEOUT * 3, count=2, methods=["POST"], path_prefix="Message/")

    answer = rig.call("sendMessage", **SEND)

    assert answer["status_code"] == "API_ERROR" and "timeout" in answer["status_msg"]
    assert rig.pending_uses() == 1
    assert rig.sleeps == []
    # Whatever the sandbox does with the late request once its delay is over, it does it once.
    time.sleep(UPSTREAM_TIMEOUT * 4)
    assert len(rig.messages()) <= 1


def test_post_whose_connection_dropped_is_not_repeated(rig: SandboxRig) -> None:
    rig.inject("drop", count=2, methods=["POST"], path_prefix="Message/")

    answer = rig.call("sendMessage", **SEND)

    assert answer["status_code"] == "API_ERROR" and "connection failed" in answer["status_msg"]
    assert rig.pending_uses() == 1
    assert rig.messages() == []


def test_post_refused_with_429_is_retried_and_sent_exactly_once(rig: SandboxRig) -> None:
    rig.inject(
        "status", status=429, count=1, methods=["POST"], path_prefix="Message/", error="too many requests"
    )

    answer = rig.call("sendMessage", **SEND)

    assert answer["callback"] == "success"
    (uuid,) = answer["message_uuid"]
    assert rig.pending_uses() == 0
    assert [m["message_uuid"] for m in rig.messages()] == [uuid]
    assert len(rig.sleeps) == 1


def test_get_is_retried_through_503s_until_it_succeeds(rig: SandboxRig) -> None:
    rig.call("sendMessage", **SEND)
    rig.inject("status", status=503, count=MAX_RETRIES, methods=["GET"], path_prefix="Message/")

    answer = rig.call("getMessages")

    assert answer["callback"] == "success" and answer["meta"]["total_count"] == 1
    assert rig.pending_uses() == 0
    assert len(rig.sleeps) == MAX_RETRIES


def test_get_gives_up_after_max_retries(rig: SandboxRig) -> None:
    rig.inject("status", status=500, count=MAX_RETRIES + 2, methods=["GET"], path_prefix="Message/")

    answer = rig.call("getMessages")

    assert answer["status_code"] == "API_ERROR" and answer["status"] == 500
    assert rig.pending_uses() == 1  # 1 + MAX_RETRIES requests consumed MAX_RETRIES + 1 uses
    assert len(rig.sleeps) == MAX_RETRIES


def test_delete_is_retried_after_a_dropped_connection_and_deletes(rig: SandboxRig) -> None:
    created = rig.call("createApplication", appName="drill", answerUrl="http://127.0.0.1:9/answer")
    app_id = created["app_id"]
    rig.inject("drop", count=1, methods=["DELETE"], path_prefix="Application/")

    answer = rig.call("deleteApplication", appId=app_id)

    assert answer == {"callback": "success", "status": "success"}
    assert rig.pending_uses() == 0
    gone = rig.call("getSingleApplication", appId=app_id)
    assert gone["status_code"] == "API_ERROR" and gone["status"] == 404


def test_client_against_sandbox_faults(rig: SandboxRig) -> None:
    """The same rules through the Python client (its real sleep: one short backoff)."""
    rig.inject("status", status=502, count=2, methods=["POST"], path_prefix="Message/")
    rig.inject("delay", delay_seconds=UPSTREAM_TIMEOUT * 3, count=1, methods=["GET"], path_prefix="Message/")
    with Client(
        AUTH_ID, AUTH_TOKEN, base_url=rig.sandbox_url, timeout=UPSTREAM_TIMEOUT, max_retries=1
    ) as client:
        with pytest.raises(ServerError) as refused:
            bounded(lambda: client.send_message(**SEND))
        assert refused.value.status_code == 502
        assert rig.pending_uses() == 2  # one 502 use left, and the GET delay
        # The GET times out once, is retried, and succeeds.
        page = bounded(lambda: client.get_messages())
    assert page["meta"]["total_count"] == 0
    assert rig.pending_uses() == 1
    assert rig.messages() == []


@pytest.mark.parametrize("kind", ["status", "delay", "drop"])
def test_client_errors_are_typed(rig: SandboxRig, kind: str) -> None:
    extra: dict[str, Any] = {"status": 500} if kind == "status" else {}
    if kind == "delay":
        extra["delay_seconds"] = UPSTREAM_TIMEOUT * 3
    rig.inject(kind, count=1, methods=["POST"], path_prefix="Message/", **extra)
    expected: type[Exception] = {"status": APIError, "delay": PlivoTimeoutError, "drop": TransportError}[kind]
    with (
        Client(
            AUTH_ID, AUTH_TOKEN, base_url=rig.sandbox_url, timeout=UPSTREAM_TIMEOUT, max_retries=2
        ) as client,
        pytest.raises(expected),
    ):
        bounded(lambda: client.send_message(**SEND))
    assert rig.pending_uses() == 0
    assert len(rig.messages()) <= 1
