"""A recording upstream: a real HTTP server on loopback that stands in for Plivo in tests.

It records every request it receives (method, path as sent, query, headers including
``Authorization``, body) and answers from a programmable queue of :class:`Reply` objects,
else from a ``responder`` function, else with a default ``200 {"api_id": ..., "message": "ok"}``.

Each reply can also inject a fault: a delay (to trip client timeouts), or closing the
connection after the request was read (``drop``: no answer at all; ``reset``: a TCP RST;
``truncate``: headers announcing more body than is sent).

It is a raw ASGI app served by uvicorn (h11) on 127.0.0.1 with an OS-chosen port, in a
background thread::

    with RecordingUpstream() as upstream:
        upstream.enqueue(Reply(status=503), Reply(json={"api_id": "x"}))
        ... point a client at upstream.url ...
        assert upstream.requests[0].method == "GET"

Tests normally use the ``recording_upstream`` fixture (``support.fixtures``), which shares
one server per session and resets it before each test.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, parse_qsl, unquote

import uvicorn

Fault = Literal["drop", "reset", "truncate"]

_UNSET: Any = object()


@dataclass(frozen=True)
class Reply:
    """One programmed answer.

    ``json`` is serialised as the body (default: ``{"api_id": <uuid>, "message": "ok"}``);
    ``body`` (bytes or str) is sent verbatim instead, e.g. ``b""`` for an empty body or an HTML
    page. ``delay`` waits that many seconds before answering (cut short if the client goes away).
    ``fault`` closes the connection instead of answering properly, after the request was read.
    """

    status: int = 200
    json: Any = _UNSET
    body: bytes | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay: float = 0.0
    fault: Fault | None = None

    def encode(self) -> tuple[bytes, str]:
        """The body bytes and their content type."""
        if self.body is not None:
            raw = self.body.encode() if isinstance(self.body, str) else self.body
            return raw, self.content_type or "text/plain; charset=utf-8"
        payload = self.json if self.json is not _UNSET else {"api_id": str(uuid.uuid4()), "message": "ok"}
        return json.dumps(payload).encode(), self.content_type or "application/json"


def empty_reply(status: int = 204) -> Reply:
    """Plivo's answer to a DELETE: no body at all."""
    return Reply(status=status, body=b"")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the upstream received it."""

    method: str
    path: str  # decoded path, as the server's router would see it
    raw_path: str  # the path exactly as sent on the wire (still percent-encoded)
    raw_query: str
    query_list: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    received_at: float

    @property
    def query(self) -> dict[str, str]:
        """The query string parsed, last value wins (see ``query_list`` for repeats)."""
        return dict(self.query_list)

    @property
    def query_multi(self) -> dict[str, list[str]]:
        return parse_qs(self.raw_query, keep_blank_values=True)

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when there is no body or it is not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """``(username, password)`` from a Basic ``Authorization`` header, if there is one."""
        header = self.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password


Responder = Callable[[RecordedRequest], Reply]


class RecordingUpstream:
    """The server. Thread-safe: the test thread programs and reads it while uvicorn's thread serves."""

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._queue: deque[Reply] = deque()
        self._responder: Responder | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- programming and inspection (test thread) ----------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last(self) -> RecordedRequest:
        with self._lock:
            if not self._requests:
                raise AssertionError("the upstream received no request")
            return self._requests[-1]

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order; afterwards the responder/default."""
        with self._lock:
            self._queue.extend(replies)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer requests the queue does not cover with ``responder(request)``."""
        with self._lock:
            self._responder = responder

    def reset(self) -> None:
        """Forget recorded requests, queued replies and the responder."""
        with self._lock:
            self._requests.clear()
            self._queue.clear()
            self._responder = None

    def pending(self) -> int:
        """How many queued replies were not used yet."""
        with self._lock:
            return len(self._queue)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> RecordingUpstream:
        config = uvicorn.Config(
            self._app,
            host="127.0.0.1",
            port=self._requested_port,
            http="h11",
            interface="asgi3",
            lifespan="off",
            proxy_headers=False,
            log_level="critical",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="recording-upstream", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the recording upstream did not start")
            time.sleep(0.005)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> RecordingUpstream:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- the ASGI app (uvicorn's thread) -----------------------------------------------------

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            if self._queue:
                return self._queue.popleft()
            responder = self._responder
        return responder(request) if responder is not None else Reply()

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        raw_path = scope.get("raw_path") or scope["path"].encode()
        raw_query = scope["query_string"].decode("latin-1")
        request = RecordedRequest(
            method=scope["method"],
            path=unquote(raw_path.decode("latin-1")),
            raw_path=raw_path.decode("latin-1"),
            raw_query=raw_query,
            query_list=parse_qsl(raw_query, keep_blank_values=True),
            headers=headers,
            body=b"".join(chunks),
            received_at=time.monotonic(),
        )
        reply = self._next_reply(request)
        if reply.delay and await _client_left_within(receive, reply.delay):
            return
        if reply.fault in ("drop", "reset"):
            await _close_connection(receive, abort=reply.fault == "reset")
            return
        body, content_type = reply.encode()
        response_headers = [(b"content-type", content_type.encode())]
        response_headers += [(k.lower().encode(), v.encode()) for k, v in reply.headers.items()]
        if reply.fault == "truncate":
            response_headers.append((b"content-length", str(len(body) + 100).encode()))
            await send({"type": "http.response.start", "status": reply.status, "headers": response_headers})
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            await _close_connection(receive, abort=False)
            return
        if reply.status not in (204, 304):
            response_headers.append((b"content-length", str(len(body)).encode()))
        else:
            body = b""
        await send({"type": "http.response.start", "status": reply.status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})


async def _client_left_within(receive: Any, delay: float) -> bool:
    """Wait ``delay`` seconds; answer True as soon as the client disconnects (then nobody is listening)."""
    waiter = asyncio.ensure_future(receive())
    try:
        done, _ = await asyncio.wait({waiter}, timeout=delay)
        return bool(done) and waiter.result().get("type") == "http.disconnect"
    finally:
        if not waiter.done():
            waiter.cancel()


async def _close_connection(receive: Any, *, abort: bool) -> None:
    """Close the TCP connection under uvicorn's feet (ASGI has no message for it).

    uvicorn's ``receive`` is a bound method of its request cycle, which holds the transport.
    With ``abort``, SO_LINGER=0 makes the close a TCP RST ("connection reset by peer").
    """
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("closing the connection needs uvicorn's h11 protocol")
    if abort:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    # Let uvicorn notice the connection is gone, so it does not complain about the missing response.
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0.001)


def free_port() -> int:
    """A loopback port with nothing listening on it (connections to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def plivo_page(
    objects: Iterable[Mapping[str, Any]], *, offset: int, limit: int, total_count: int, path: str = "/"
) -> dict[str, Any]:
    """One page of a Plivo list answer, ``meta`` included, shaped like the real API's."""
    items = list(objects)
    has_next = offset + len(items) < total_count
    return {
        "api_id": str(uuid.uuid4()),
        "meta": {
            "limit": limit,
            "offset": offset,
            "total_count": total_count,
            "next": f"{path}?limit={limit}&offset={offset + limit}" if has_next else None,
            "previous": f"{path}?limit={limit}&offset={max(offset - limit, 0)}" if offset else None,
        },
        "objects": items,
    }
