"""Hostile HTTP clients against the servers as shipped: ``plivo-blocks serve`` (and ``serve
--sandbox``, ``sandbox``) started as real processes, spoken to over raw sockets.

- A body above the limit gets 413 without being read whole: a huge ``Content-Length`` with a few
  bytes behind it, and a chunked stream that passes the limit and never ends, are both answered
  while the client is still "sending". Nothing reaches Plivo.
- A body that trickles in gets 408.
- Slow-loris clients (request heads sent byte by byte, or nothing at all) are cut off after the
  head deadline, and while dozens of them hold connections the server keeps answering others.
- An oversized request head is refused.

The limits come from the environment, as an operator would set them (small here, so the tests
are quick): ``PLIVO_BLOCKS_HEADER_TIMEOUT``, ``PLIVO_BLOCKS_MAX_BODY_BYTES``,
``PLIVO_BLOCKS_BODY_TIMEOUT``, ``PLIVO_BLOCKS_MAX_HEADER_BYTES``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from reliability_support import AUTH_ID, AUTH_TOKEN, PATIENCE, ServedProcess, start_cli

from support.upstream import RecordingUpstream

pytestmark = pytest.mark.wallclock  # slow clients cut off after real seconds

HEADER_TIMEOUT = 0.5
MAX_BODY = 64 * 1024
BODY_TIMEOUT = 0.5
MAX_HEADER_BYTES = 8 * 1024
LIMITS = {
    "PLIVO_BLOCKS_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
    "PLIVO_BLOCKS_MAX_BODY_BYTES": str(MAX_BODY),
    "PLIVO_BLOCKS_BODY_TIMEOUT": str(BODY_TIMEOUT),
    "PLIVO_BLOCKS_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
    "PLIVO_SANDBOX_AUTH_ID": AUTH_ID,
    "PLIVO_SANDBOX_AUTH_TOKEN": AUTH_TOKEN,
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with RecordingUpstream() as server:
        yield server


@pytest.fixture(scope="module")
def gateway(upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    log = tmp_path_factory.mktemp("gateway") / "serve.log"
    served = start_cli(
        ["serve", "--log-level", "warning"], log_path=log, env={**LIMITS, "PLIVO_API_URL": upstream.url}
    )
    yield served
    served.stop()


def _connect(served: ServedProcess) -> socket.socket:
    host, port = served.url.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=PATIENCE)
    return conn


def _read_until_closed(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (bounded by PATIENCE)."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        try:
            chunk = conn.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    else:
        raise AssertionError("the server kept the connection open")
    return b"".join(chunks)


def _head(method: str, path: str, extra: str = "") -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n{extra}\r\n".encode()
    )


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer[9:12])


def _body_of(answer: bytes) -> dict[str, object]:
    _, _, body = answer.partition(b"\r\n\r\n")
    parsed: dict[str, object] = json.loads(body)
    return parsed


# -- bodies ----------------------------------------------------------------------------------------


def test_a_huge_declared_body_is_refused_before_it_is_read(
    gateway: ServedProcess, upstream: RecordingUpstream
) -> None:
    upstream.reset()
    with _connect(gateway) as conn:
        conn.sendall(
            _head("POST", "/api/Plivo/sendMessage", "Content-Length: 10000000000\r\n") + b'{"args": {'
        )
        answer = _read_until_closed(conn)  # arrives although 10 GB are still "to come"
    assert _status(answer) == 413
    assert _body_of(answer)["status_code"] == "PAYLOAD_TOO_LARGE"
    assert upstream.requests == []


def test_an_endless_chunked_body_is_cut_off_at_the_limit(
    gateway: ServedProcess, upstream: RecordingUpstream
) -> None:
    upstream.reset()
    chunk = b"x" * 16384
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    with _connect(gateway) as conn:
        conn.sendall(_head("POST", "/api/Plivo/sendMessage", "Transfer-Encoding: chunked\r\n"))
        sent = 0
        try:
            while sent <= MAX_BODY + len(chunk):  # a little past the limit; the stream never ends
                conn.sendall(framed)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may hang up while we are still sending: that is the point
        answer = _read_until_closed(conn)
    assert _status(answer) == 413
    assert upstream.requests == []


def test_a_trickling_body_gets_408(gateway: ServedProcess, upstream: RecordingUpstream) -> None:
    upstream.reset()
    with _connect(gateway) as conn:
        conn.sendall(_head("POST", "/api/Plivo/sendMessage", "Content-Length: 1000\r\n") + b"{")
        answer = _read_until_closed(conn)  # we never send the other 999 bytes
    assert _status(answer) == 408
    assert upstream.requests == []


def test_a_body_at_the_limit_is_still_served(gateway: ServedProcess, upstream: RecordingUpstream) -> None:
    upstream.reset()
    padding = "x" * (MAX_BODY - 200)
    body = {
        "args": {
            "authId": AUTH_ID,
            "authToken": AUTH_TOKEN,
            "src": "14155550100",
            "destination": "14155550101",
            "text": "hi",
        },
        "padding": padding,
    }
    raw = json.dumps(body).encode()
    assert len(raw) <= MAX_BODY
    response = httpx.post(gateway.url + "/api/Plivo/sendMessage", content=raw, timeout=PATIENCE)
    assert response.status_code == 200 and response.json()["callback"] == "success"
    assert len(upstream.requests) == 1


# -- request heads ---------------------------------------------------------------------------------


def _slow_loris(served: ServedProcess, outcome: dict[str, object]) -> None:
    """Send a request head one byte at a time, 10 per second, for up to PATIENCE seconds."""
    head = _head("POST", "/api/Plivo/sendMessage", "X-Padding: " + "a" * 400 + "\r\n")
    sent = 0
    try:
        with _connect(served) as conn:
            conn.settimeout(0.1)
            deadline = time.monotonic() + PATIENCE
            while sent < len(head) and time.monotonic() < deadline:
                conn.sendall(head[sent : sent + 1])
                sent += 1
                try:
                    if conn.recv(1024) == b"":
                        outcome["closed"] = True
                        break
                except TimeoutError:
                    continue
    except (BrokenPipeError, ConnectionResetError):
        outcome["closed"] = True
    outcome["sent"] = sent
    outcome["of"] = len(head)


def test_a_slow_loris_is_cut_off(gateway: ServedProcess) -> None:
    outcome: dict[str, object] = {}
    _slow_loris(gateway, outcome)
    assert outcome.get("closed") is True, outcome
    assert isinstance(outcome["sent"], int) and outcome["sent"] < len(b"X-Padding: ") + 400  # never finished


def test_an_idle_connection_is_closed(gateway: ServedProcess) -> None:
    with _connect(gateway) as conn:
        assert _read_until_closed(conn) == b""  # we sent nothing; the server hangs up


def test_many_slow_lorises_do_not_pin_the_server(gateway: ServedProcess) -> None:
    outcomes: list[dict[str, object]] = [{} for _ in range(60)]
    attackers = [threading.Thread(target=_slow_loris, args=(gateway, o), daemon=True) for o in outcomes]
    for thread in attackers:
        thread.start()
    time.sleep(0.3)  # let them all connect and start trickling
    # While they hold their connections, ordinary requests are answered.
    with httpx.Client(base_url=gateway.url, timeout=PATIENCE) as client:
        for _ in range(20):
            assert client.get("/healthz").status_code == 200
        assert client.get("/api/Plivo").status_code == 200
    for thread in attackers:
        thread.join(PATIENCE + 5)
    assert all(o.get("closed") is True for o in outcomes), [o for o in outcomes if not o.get("closed")]


def test_an_oversized_request_head_is_refused(gateway: ServedProcess, upstream: RecordingUpstream) -> None:
    upstream.reset()
    with _connect(gateway) as conn:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(
                _head("POST", "/api/Plivo/sendMessage", "X-Big: " + "b" * (MAX_HEADER_BYTES * 2) + "\r\n")
            )
        answer = _read_until_closed(conn)
    # The whole head arrives in one read here, so it is refused by the server's own check (h11 only
    # bounds a head that is still incomplete).
    assert _status(answer) == 431
    assert upstream.requests == []


def _head_of_size(size: int) -> bytes:
    """A request head of exactly ``size`` bytes, blank line included."""
    bare = _head("POST", "/api/Plivo/sendMessage", "X-Big: \r\n")
    return bare.replace(b"X-Big: ", b"X-Big: " + b"b" * (size - len(bare)))


@pytest.mark.parametrize(
    ("size", "cut"),
    [(15 * 1024, 7 * 1024), (MAX_HEADER_BYTES + 2, -2), (MAX_HEADER_BYTES + 3, -3)],
    ids=["15 KB in two reads under the limit each", "blank line split 2+2", "blank line split 1+3"],
)
def test_an_oversized_head_split_over_several_reads_is_refused(
    gateway: ServedProcess, upstream: RecordingUpstream, size: int, cut: int
) -> None:
    """A head over the 8 KB limit sent in two reads, neither of them over the limit on its own
    (or with the blank line that ends the head split between them)."""
    upstream.reset()
    head = _head_of_size(size)
    assert len(head) == size and len(head[:cut]) <= MAX_HEADER_BYTES
    with _connect(gateway) as conn:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(head[:cut])
            time.sleep(0.2)  # the server reads the first part on its own
            conn.sendall(head[cut:] + b'{"args": {}}')
        answer = _read_until_closed(conn)
    assert _status(answer) == 431
    assert upstream.requests == []


def test_a_head_under_the_limit_split_over_reads_is_served(gateway: ServedProcess) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Pad: " + b"p" * 3000 + b"\r\n\r\n"
    with _connect(gateway) as conn:
        for at in range(0, len(head), 1000):
            conn.sendall(head[at : at + 1000])
            time.sleep(0.05)
        answer = conn.recv(65536)
    assert _status(answer) == 200


@pytest.mark.parametrize("command", [["serve", "--sandbox"], ["sandbox"]], ids=["serve --sandbox", "sandbox"])
def test_the_other_servers_cut_off_slow_lorises_too(command: list[str], tmp_path: Path) -> None:
    ready = "/_sandbox/health" if command == ["sandbox"] else "/healthz"
    served = start_cli(
        [*command, "--db", str(tmp_path / "s.db"), "--log-level", "warning"],
        log_path=tmp_path / "server.log",
        env=LIMITS,
        ready_path=ready,
    )
    try:
        outcome: dict[str, object] = {}
        _slow_loris(served, outcome)
        assert outcome.get("closed") is True, outcome
        with _connect(served) as conn:
            assert _read_until_closed(conn) == b""
        assert httpx.get(served.url + ready, timeout=PATIENCE).status_code == 200
    finally:
        served.stop()
