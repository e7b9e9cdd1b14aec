"""A minimal, fast stand-in for Plivo: raw asyncio HTTP/1.1 with keep-alive, canned answers.

It exists so that the upstream is never the bottleneck of a benchmark: no framework, no routing
table, pre-encoded responses, one ``find`` to split a request. It answers

- ``GET  /v1/Account/<id>/``          -> Plivo's account object (200)
- ``POST /v1/Account/<id>/Message/``  -> Plivo's "message(s) queued" answer (202)
- ``GET  /v1/Account/<id>/Message/``  -> a page of messages (200)
- anything else                       -> ``{"api_id": ..., "message": "ok"}`` (200)

without looking at credentials. ``--delay-ms`` holds every answer back that long (a stand-in for
the network distance to the real Plivo) without blocking other connections.

Run it as its own process: ``python benchmarks/fast_upstream.py --port 0`` prints
``READY <port>`` on stdout once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from pathlib import Path

FIXTURES = Path("/work/shared/plivo-fixtures")
AUTH_ID = "MAXXXXXXXXXXXXXXXXXX"

_ACCOUNT: dict[str, object] = {
    "account_type": "standard",
    "address": "",
    "api_id": "95e1df78-3f08-11e7-8bc8-065f6a74a84a",
    "auth_id": AUTH_ID,
    "auto_recharge": False,
    "billing_mode": "prepaid",
    "cash_credits": "4.88860",
    "city": "",
    "name": "Sherlock Holmes",
    "resource_uri": f"/v1/Account/{AUTH_ID}/",
    "state": "",
    "timezone": "Asia/Kolkata",
}
_QUEUED: dict[str, object] = {
    "api_id": "948b53a2-3f08-11e7-b6f4-061564b78b75",
    "message": "message(s) queued",
    "message_uuid": ["5b40a428-bfc7-4daf-9d06-726c558bf3b8"],
}
_OK: dict[str, object] = {"api_id": "9506d2c0-3f08-11e7-b886-067c5485c240", "message": "ok"}


def _fixture(name: str, fallback: dict[str, object]) -> dict[str, object]:
    # The real Plivo bodies when this checkout has them, else the same shapes inline.
    try:
        loaded = json.loads((FIXTURES / name).read_text())
    except (OSError, ValueError):
        return fallback
    return loaded if isinstance(loaded, dict) else fallback


def _response(status: int, reason: str, payload: dict[str, object]) -> bytes:
    body = json.dumps(payload, separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


ACCOUNT = _response(200, "OK", _fixture("accountGetResponse.json", _ACCOUNT))
QUEUED = _response(202, "Accepted", _fixture("messageSendResponse.json", _QUEUED))
MESSAGES = _response(200, "OK", _fixture("messageListResponse.json", {"objects": [], "meta": {}}))
OK = _response(200, "OK", _OK)


def answer_for(method: bytes, path: bytes) -> bytes:
    path = path.split(b"?", 1)[0]
    if path.endswith(b"/Message/") or path.endswith(b"/Message"):
        return QUEUED if method == b"POST" else MESSAGES
    # /v1/Account/<id>/ has exactly four slashes.
    if method == b"GET" and path.startswith(b"/v1/Account/") and path.rstrip(b"/").count(b"/") == 3:
        return ACCOUNT
    return OK


class UpstreamProtocol(asyncio.Protocol):
    """One connection: split the byte stream into requests, answer each in order."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()
        # With a delay, answers leave in order at their due time.
        self.pending = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            lower = head.lower()
            at = lower.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = lower.find(b"\r\n", at + 2)
                length = int(lower[at + 17 : stop if stop >= 0 else len(lower)].strip())
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            request_line = head.split(b"\r\n", 1)[0]
            method, path, _ = request_line.split(b" ", 2)
            closing = b"\r\nconnection: close" in lower
            self._send(answer_for(method, path), closing)

    def _send(self, response: bytes, closing: bool) -> None:
        if self.delay <= 0:
            self._write(response, closing)
        else:
            self.loop.call_later(self.delay, self._write, response, closing)

    def _write(self, response: bytes, closing: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(response)
        if closing:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(host: str, port: int, delay: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: UpstreamProtocol(delay), host, port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"READY {bound}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="hold every answer back this long")
    options = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(options.host, options.port, options.delay_ms / 1000))


if __name__ == "__main__":
    main()
