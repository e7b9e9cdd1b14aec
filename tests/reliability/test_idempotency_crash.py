"""The crash window: ``kill -9`` of a gateway (``plivo-blocks serve``) while a keyed request it had
sent is still waiting for Plivo's answer. The outcome was never recorded, and the request may
have acted on Plivo, so the key must never lead to a second send. After the restart the key is
answered IDEMPOTENCY_KEY_IN_USE while the dead request's lease could still be running, then
IDEMPOTENCY_OUTCOME_UNKNOWN for as long as the key lives. With SQLite (one host) and Redis.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from reliability_support import PATIENCE, gateway_body, start_cli

from support.redis_server import RedisServer
from support.upstream import RecordingUpstream, Reply

pytestmark = pytest.mark.wallclock  # a gateway killed mid-flight, leases in real seconds

#: The dead request's lease: its 0.5 s upstream timeout over connect, read, write and pool (2 s),
#: plus a 0.2 s pacing queue, with no retry.
LEASE = 2.2
ENV = {
    "PLIVO_BLOCKS_TIMEOUT": "0.5",
    "PLIVO_BLOCKS_MAX_RETRIES": "0",
    "PLIVO_BLOCKS_MAX_QUEUE_SECONDS": "0.2",
    "PLIVO_BLOCKS_IDEMPOTENCY_WAIT": "0.2",
}
BODY = gateway_body(src="14155551234", destination="14155550001", text="sent once")
KEY = {"Idempotency-Key": "crash-1"}


@pytest.fixture(params=["sqlite", "redis"])
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {"PLIVO_BLOCKS_STATE_DIR": str(tmp_path / "state")}
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        yield {"PLIVO_BLOCKS_REDIS_URL": server.url}


def _code(response: httpx.Response) -> str:
    written = response.json()["contextWrites"]["to"]
    return "success" if "message_uuid" in written else str(written["status_code"])


def test_a_key_whose_gateway_died_mid_flight_is_never_sent_again(
    store_env: dict[str, str], tmp_path: Path
) -> None:
    with RecordingUpstream() as upstream:
        upstream.respond_with(lambda request: Reply(status=202, json={"message_uuid": ["u"]}, delay=5))
        env = {**ENV, **store_env, "PLIVO_API_URL": upstream.url}
        first = start_cli(["serve", "--log-level", "warning"], log_path=tmp_path / "first.log", env=env)
        cut_off: list[Exception] = []

        def send_and_be_cut_off() -> None:
            try:
                httpx.post(first.url + "/api/Plivo/sendMessage", json=BODY, headers=KEY, timeout=PATIENCE)
            except httpx.TransportError as exc:  # the gateway dies under it
                cut_off.append(exc)

        in_flight = threading.Thread(target=send_and_be_cut_off, daemon=True)
        in_flight.start()
        deadline = time.monotonic() + PATIENCE
        while not upstream.requests:
            assert time.monotonic() < deadline, "the request never reached the upstream"
            time.sleep(0.005)
        first.kill()  # the request is at Plivo; its outcome is never recorded
        killed_at = time.monotonic()

        second = start_cli(["serve", "--log-level", "warning"], log_path=tmp_path / "second.log", env=env)
        try:
            answers: list[tuple[float, str]] = []
            while time.monotonic() - killed_at < LEASE + 1.5:
                response = httpx.post(
                    second.url + "/api/Plivo/sendMessage", json=BODY, headers=KEY, timeout=PATIENCE
                )
                answers.append((time.monotonic() - killed_at, _code(response)))
                time.sleep(0.2)
        finally:
            second.stop()
        in_flight.join(PATIENCE)
        assert cut_off  # its caller never got an answer: a retry with the key is what it would do
        assert len(upstream.requests) == 1  # never sent again
    codes = [c for _, c in answers]
    assert set(codes) <= {"IDEMPOTENCY_KEY_IN_USE", "IDEMPOTENCY_OUTCOME_UNKNOWN"}, answers
    assert codes[-1] == "IDEMPOTENCY_OUTCOME_UNKNOWN"
    # In use while the lease could run (it began before the kill), unknown once it has surely ended.
    assert all(c == "IDEMPOTENCY_OUTCOME_UNKNOWN" for t, c in answers if t > LEASE + 0.2)
    assert codes.index("IDEMPOTENCY_OUTCOME_UNKNOWN") == codes.count("IDEMPOTENCY_KEY_IN_USE")
