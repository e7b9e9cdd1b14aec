"""A stand-in for Plivo that enforces Plivo's API rate limit, as its own process.

Raw asyncio HTTP/1.1 with keep-alive (in the style of ``benchmarks/fast_upstream.py``), so that it
is never the bottleneck. For each auth id (from the Basic ``Authorization`` header) it admits at
most ``--requests`` requests in any sliding window of ``--window`` seconds, counted on arrival,
and answers the others ``429 Too Many Requests`` with a ``Retry-After``, as Plivo does. Admitted
requests get ``202`` with Plivo's "message(s) queued" answer for ``POST .../Message/`` and
``200 {"api_id", "message": "ok"}`` otherwise.

``GET /_stats`` answers ``{"admitted": N, "too_many": N, "max_in_window": N}`` (``max_in_window``:
the most requests of one auth id ever seen in one window). Start it with
``python tests/support/limited_upstream.py --port 0 --requests 300 --window 5``; it prints
``READY <port>``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import sys
import time
from collections import deque

QUEUED = {
    "api_id": "limited-1",
    "message": "message(s) queued",
    "message_uuid": ["0b4f8a7e-2c1d-4e5f-9a8b-7c6d5e4f3a2b"],
}
OK = {"api_id": "limited-2", "message": "ok"}


def _response(status: int, reason: str, payload: object, extra: str = "") -> bytes:
    body = json.dumps(payload, separators=(",", ":")).encode()
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


class Limits:
    def __init__(self, requests: int, window: float) -> None:
        self.requests = requests
        self.window = window
        self.arrivals: dict[str, deque[float]] = {}
        self.admitted = 0
        self.too_many = 0
        self.max_in_window = 0

    def admit(self, auth_id: str) -> float | None:
        """None when admitted, else the seconds until it would be."""
        now = time.monotonic()
        seen = self.arrivals.setdefault(auth_id, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.requests:
            self.too_many += 1
            return seen[0] + self.window - now
        seen.append(now)
        self.admitted += 1
        self.max_in_window = max(self.max_in_window, len(seen))
        return None


def _auth_id(head: bytes) -> str:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"authorization":
            scheme, _, encoded = value.strip().partition(b" ")
            if scheme.lower() == b"basic":
                with contextlib.suppress(ValueError):
                    return base64.b64decode(encoded).decode().partition(":")[0]
    return ""


class Protocol(asyncio.Protocol):
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end]
            lower = head.lower()
            length = 0
            at = lower.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = lower.find(b"\r\n", at + 2)
                length = int(lower[at + 17 : stop if stop >= 0 else len(lower)].strip())
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            method, path, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
            assert self.transport is not None
            self.transport.write(self.answer(method, path, head))

    def answer(self, method: bytes, path: bytes, head: bytes) -> bytes:
        if path == b"/_stats":
            stats = {
                "admitted": self.limits.admitted,
                "too_many": self.limits.too_many,
                "max_in_window": self.limits.max_in_window,
            }
            return _response(200, "OK", stats)
        wait = self.limits.admit(_auth_id(head))
        if wait is not None:
            error = {"api_id": "limited-429", "error": "too many requests"}
            return _response(429, "Too Many Requests", error, f"retry-after: {max(1, round(wait + 0.5))}\r\n")
        if method == b"POST" and path.rstrip(b"/").endswith(b"/Message"):
            return _response(202, "Accepted", QUEUED)
        return _response(200, "OK", OK)


async def serve(port: int, limits: Limits) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Protocol(limits), "127.0.0.1", port, backlog=4096)
    sys.stdout.write(f"READY {server.sockets[0].getsockname()[1]}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--window", type=float, default=5.0)
    options = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(options.port, Limits(options.requests, options.window)))


if __name__ == "__main__":
    main()
