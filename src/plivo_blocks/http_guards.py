"""uvicorn's httptools protocol, hardened against hostile clients.

uvicorn bounds neither how long a client may take to send a request head (it only times out idle
keep-alive connections) nor, with httptools, how large that head may grow. This protocol adds both:

- **Head deadline:** a connection that sends nothing, or trickles its head (slow loris), is closed
  once ``header_timeout`` passes without a complete request head. Armed when the connection opens
  and after each response.
- **Head size:** a head larger than ``max_header_bytes`` (request line plus headers) is answered
  ``431`` and the connection closed, whether it arrives in one read or in many, complete or not.

It also writes each response's head and body in one system call (:class:`_CoalescingWriter`).

It subclasses uvicorn's ``HttpToolsProtocol``, which is not public API: pyproject pins uvicorn to
the minor version this was written against, and ``tests/reliability/test_http_hardening.py``
proves every guard against a real ``plivo-blocks serve`` process. httptools (llhttp, in C) parses
heads several times faster than h11, the pure-Python parser uvicorn otherwise uses: see README,
Performance.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_MAX_HEADER_BYTES = 16 * 1024

_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 31\r\n\r\nRequest header fields too large"
)
_END_OF_HEAD = b"\r\n\r\n"


class GuardedConfig(uvicorn.Config):
    """uvicorn's config plus the guards' limits (attributes, so that they travel to workers)."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES


class _CoalescingWriter:
    """The connection's transport as a response sees it: what is written in one turn of the event
    loop leaves in one ``send``. uvicorn writes a response's head and its body separately; on a
    connection with ``TCP_NODELAY`` (see ``serving.bind_socket``) that is two system calls and two
    packets for every small answer. Closing writes what is pending first, and so does the protocol
    before it writes or closes on its own (an error answer, a shutdown, a keep-alive timeout)."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self._pending is None:
            self._pending = [data]
            self._loop.call_soon(self.flush)
        else:
            self._pending.append(data)

    def flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(b"".join(pending))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _HeadTooLarge(Exception):
    """Raised from a parser callback: the head being parsed is over the limit."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a head deadline and a head-size limit (module docstring).

    Sizes are counted twice. While the connection waits for a head, every byte read counts
    towards it (so a head that never ends is refused as it grows, before the parser has buffered
    more than the limit). The parser's callbacks also add up the parts of each head they see,
    which catches a head that began inside a read that also ended the previous request.
    """

    _head_deadline: asyncio.TimerHandle | None = None
    _in_head = True  # no request head is complete yet on the current request
    _head_read = 0  # bytes read while waiting for the current head
    _head_tail = b""  # the last bytes of those reads: the blank line may straddle two reads
    _head_parsed = 0  # bytes of the current head the parser has reported
    _refused = False

    def _limit(self) -> int:
        return int(getattr(self.config, "max_header_bytes", DEFAULT_MAX_HEADER_BYTES))

    # -- the head deadline ------------------------------------------------------------------

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        timeout = float(getattr(self.config, "header_timeout", DEFAULT_HEADER_TIMEOUT))
        self._head_deadline = self.loop.call_later(timeout, self._head_deadline_passed)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_deadline_passed(self) -> None:
        self._head_deadline = None
        waiting_for_head = self._in_head and (self.cycle is None or self.cycle.response_complete)
        if waiting_for_head and not self.transport.is_closing():
            self.transport.close()

    # -- the head size ----------------------------------------------------------------------

    def _read_would_overflow(self, data: bytes) -> bool:
        """Whether ``data``, read while waiting for a head, takes that head over the limit."""
        limit = self._limit()
        before = self._head_read
        self._head_read += len(data)
        if self._head_read <= limit:
            self._head_tail = (self._head_tail + data)[-3:]
            return False
        window = self._head_tail + data
        end = window.find(_END_OF_HEAD)
        if end < 0:
            return True
        # The head ends in this read: what counts is its length, not the body read with it.
        return before - len(self._head_tail) + end + len(_END_OF_HEAD) > limit

    def _refuse_head(self) -> None:
        self._refused = True
        self._disarm_head_deadline()
        self._writer.flush()
        if not self.transport.is_closing():
            self.transport.write(_HEAD_TOO_LARGE)
            self.transport.close()

    def _count_parsed(self, size: int) -> None:
        self._head_parsed += size
        if self._head_parsed > self._limit():
            raise _HeadTooLarge

    # -- uvicorn's protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._writer = _CoalescingWriter(transport, self.loop)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head and self._read_would_overflow(data):
            self._refuse_head()
            return
        super().data_received(data)
        if not self._in_head:
            self._disarm_head_deadline()

    def send_400_response(self, msg: str) -> None:
        # A callback's _HeadTooLarge reaches uvicorn as a parser error (400): answer 431 instead.
        if self._refused or self._head_parsed > self._limit():
            self._refuse_head()
        else:
            self._writer.flush()
            super().send_400_response(msg)

    def shutdown(self) -> None:
        self._writer.flush()
        super().shutdown()

    def timeout_keep_alive_handler(self) -> None:
        self._writer.flush()
        super().timeout_keep_alive_handler()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_parsed = 0

    def on_url(self, url: bytes) -> None:
        self._count_parsed(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_parsed(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_read, self._head_tail = 0, b""
        # The request's cycle (which writes the response) gets the coalescing writer; the protocol
        # keeps the transport itself.
        transport = self.transport
        self.transport = self._writer  # type: ignore[assignment]
        try:
            super().on_headers_complete()
        finally:
            self.transport = transport

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self._in_head:
            self._arm_head_deadline()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # The next bytes on this connection start the next request's head.
        self._in_head = True
        self._head_read, self._head_tail = 0, b""

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)
