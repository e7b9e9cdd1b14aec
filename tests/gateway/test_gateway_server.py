"""The gateway served by the hardened uvicorn of ``plivo_blocks.serving``, over real sockets:
oversized and slow bodies, slow-loris request heads, oversized headers, keep-alive still working."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest
import uvicorn
from gateway_support import args

from plivo_blocks.errors import ConfigurationError
from plivo_blocks.gateway import GatewaySettings, create_app
from plivo_blocks.serving import ServerSettings, bind_socket, log_config, uvicorn_config
from support.upstream import RecordingUpstream

pytestmark = pytest.mark.wallclock  # server timeouts in real seconds

#: Generous bound on any single wait in these tests; reaching it means the server failed to act.
PATIENCE = 10.0


@contextmanager
def hardened_gateway(
    upstream_url: str, server: ServerSettings, **gateway_overrides: object
) -> Iterator[tuple[str, int]]:
    settings = replace(GatewaySettings(api_url=upstream_url, max_retries=0), **gateway_overrides)  # type: ignore[arg-type]
    config = uvicorn_config(
        create_app(settings), settings=server, log_level="critical", configure_logging=False
    )
    sock = bind_socket("127.0.0.1", 0)
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not instance.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.005)
    try:
        yield sock.getsockname()
    finally:
        instance.should_exit = True
        thread.join(PATIENCE)
        sock.close()


@pytest.fixture
def server_address(recording_upstream: RecordingUpstream) -> Iterator[tuple[str, int]]:
    limits = ServerSettings(header_timeout=0.3, max_header_bytes=4096, timeout_keep_alive=5)
    with hardened_gateway(recording_upstream.url, limits, body_timeout=0.3, max_body_bytes=1024) as address:
        yield address


def _read_all(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    conn.settimeout(PATIENCE)
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_declared_oversized_body_is_refused_before_it_is_sent(
    server_address: tuple[str, int], recording_upstream: RecordingUpstream
) -> None:
    with socket.create_connection(server_address) as conn:
        conn.sendall(
            b"POST /api/Plivo/getAccountDetails HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\n\r\n{"
        )
        answer = _read_all(conn)  # the 100 MB never follow, yet the server answers and closes
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"PAYLOAD_TOO_LARGE" in answer
    assert recording_upstream.requests == []


def test_body_that_does_not_arrive_in_time_gets_408(server_address: tuple[str, int]) -> None:
    with socket.create_connection(server_address) as conn:
        conn.sendall(
            b'POST /api/Plivo/getAccountDetails HTTP/1.1\r\nHost: t\r\nContent-Length: 200\r\n\r\n{"args": {'
        )
        answer = _read_all(conn)
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"REQUEST_TIMEOUT" in answer


def test_trickled_request_head_is_cut_off(server_address: tuple[str, int]) -> None:
    """Slow loris: a head that never completes is closed after header_timeout, even though
    bytes keep arriving (each byte would reset uvicorn's own keep-alive timer)."""
    with socket.create_connection(server_address) as conn:
        conn.settimeout(PATIENCE)
        conn.sendall(b"GET /healthz HTTP/1.1\r\n")
        closed = False
        for _ in range(200):
            try:
                conn.sendall(b"X")
            except OSError:  # reset by the server: it is gone
                closed = True
                break
            time.sleep(0.05)
            conn.setblocking(False)
            try:
                if conn.recv(1024) == b"":
                    closed = True
                    break
            except BlockingIOError:
                pass
            except OSError:
                closed = True
                break
            finally:
                conn.setblocking(True)
                conn.settimeout(PATIENCE)
        assert closed, "the server kept a trickling connection open"


def test_silent_connection_is_closed(server_address: tuple[str, int]) -> None:
    with socket.create_connection(server_address) as conn:
        assert _read_all(conn) == b""


def test_oversized_request_head_is_refused(server_address: tuple[str, int]) -> None:
    """A head still growing past max_header_bytes is refused without waiting for its end."""
    with socket.create_connection(server_address) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 8000)
        answer = _read_all(conn)
    assert answer.startswith(b"HTTP/1.1 431")


def test_an_oversized_head_behind_a_pipelined_request_is_refused(server_address: tuple[str, int]) -> None:
    """A head that starts in the read that carries the previous request is counted too (by the
    parser's callbacks): the oversized head gets 431 and the connection is closed."""
    small = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
    big = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n"
    with socket.create_connection(server_address) as conn:
        conn.sendall(small + big)
        answer = _read_all(conn)
    assert b"HTTP/1.1 431" in answer
    assert b"HTTP/1.1 400" not in answer


def test_pipelined_requests_under_the_limit_are_all_answered(server_address: tuple[str, int]) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"p" * 1000 + b"\r\n\r\n"
    with socket.create_connection(server_address) as conn:
        conn.sendall(request * 3 + b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        answer = _read_all(conn)
    assert answer.count(b"HTTP/1.1 200") == 4


def test_keep_alive_and_normal_calls_still_work(
    server_address: tuple[str, int], recording_upstream: RecordingUpstream
) -> None:
    host, port = server_address
    with httpx.Client(base_url=f"http://{host}:{port}", timeout=PATIENCE) as client:
        first = client.post("/api/Plivo/getAccountDetails", json=args())
        time.sleep(0.1)
        second = client.get("/healthz")
        assert client.post("/api/Plivo/getAccountDetails", json=args()).json()["callback"] == "success"
    assert first.json()["callback"] == "success"
    assert second.json() == {"status": "ok"}
    assert len(recording_upstream.requests) == 2


def test_server_settings_come_from_the_environment() -> None:
    settings = ServerSettings.from_env(
        {
            "PLIVO_BLOCKS_HEADER_TIMEOUT": "2.5",
            "PLIVO_BLOCKS_KEEP_ALIVE": "3",
            "PLIVO_BLOCKS_LIMIT_CONCURRENCY": "64",
            "PLIVO_BLOCKS_MAX_HEADER_BYTES": "8192",
            "PLIVO_BLOCKS_BACKLOG": "128",
            "PLIVO_BLOCKS_GRACEFUL_SHUTDOWN": "4",
        }
    )
    assert settings == ServerSettings(2.5, 3, 64, 8192, 128, 4)
    assert ServerSettings.from_env({"PLIVO_BLOCKS_LIMIT_CONCURRENCY": "none"}).limit_concurrency is None
    assert ServerSettings.from_env({}) == ServerSettings()
    with pytest.raises(ConfigurationError):
        ServerSettings.from_env({"PLIVO_BLOCKS_KEEP_ALIVE": "forever"})


def test_uvicorn_config_carries_the_limits() -> None:
    limits = ServerSettings(
        header_timeout=1.5, timeout_keep_alive=2, limit_concurrency=9, max_header_bytes=2048
    )
    config = uvicorn_config(create_app(GatewaySettings()), settings=limits, configure_logging=False)
    assert config.header_timeout == 1.5
    assert config.timeout_keep_alive == 2
    assert config.limit_concurrency == 9
    assert config.max_header_bytes == 2048
    assert config.access_log is False  # ours replaces uvicorn's, which would log query strings


def test_log_config_routes_our_loggers_through_uvicorns_handler() -> None:
    config = log_config("debug")
    assert config["loggers"]["plivo_blocks"]["level"] == "DEBUG"
    assert config["loggers"]["plivo_blocks"]["handlers"] == ["default"]
    assert "uvicorn.access" in config["loggers"]  # uvicorn's own config is kept


def test_the_listening_socket_is_tcp_so_asyncio_sets_nodelay() -> None:
    # With proto 0 asyncio skips TCP_NODELAY and every keep-alive answer waits ~40 ms for a delayed ACK.
    import socket

    from plivo_blocks.serving import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
