"""A lean HTTP/1.1 load generator: N keep-alive connections, one request in flight on each.

Raw asyncio with a pre-encoded request, so that it spends as little of the machine's CPU as
possible (on a 2-core machine it shares the cores with what it measures). Each connection sends
its request, reads the status line, headers and ``Content-Length`` body, records the latency and
sends again, until ``--duration`` seconds have passed (after ``--warmup`` seconds that are not
recorded) or ``--requests`` answers arrived.

An answer counts as an error when its status is not the expected one, or when ``--expect`` is
given and the body does not contain it. ``--unique-header NAME`` adds that header with a value
unique to each request (e.g. ``Idempotency-Key``), at the cost of encoding each request's head.

Run it as its own process; it prints one JSON object::

    python benchmarks/loadgen.py --url http://127.0.0.1:8000/api/Plivo/getAccountDetails \
        --method POST --body '{"args": {...}}' --concurrency 16 --duration 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Tally:
    latencies_ns: list[int] = field(default_factory=list)
    errors: int = 0
    recording: bool = False
    stop: bool = False
    remaining: int | None = None


def build_request(method: str, host: str, target: str, body: bytes, headers: list[str]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"host: {host}", *headers]
    if body or method in ("POST", "PUT", "PATCH"):
        if not any(h.lower().startswith("content-type:") for h in headers):
            lines.append("content-type: application/json")
        lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body, and whether the server closes the connection after this answer."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    closes = b"\r\nconnection: close" in lower or head.startswith(b"HTTP/1.0")
    at = lower.find(b"\r\ncontent-length:")
    if at < 0:
        raise RuntimeError("answer without content-length (chunked answers are not supported)")
    stop = lower.find(b"\r\n", at + 2)
    length = int(lower[at + 17 : stop].strip())
    body = await reader.readexactly(length) if length else b""
    return status, body, closes


_counter = iter(range(1 << 62))
_RUN = uuid.uuid4().hex[:12]  # unique values stay unique across runs against the same server


def _with_unique(request: bytes, header: str | None) -> bytes:
    if header is None:
        return request
    end = request.index(b"\r\n") + 2  # after the request line
    return request[:end] + f"{header}: lg-{_RUN}-{next(_counter)}\r\n".encode() + request[end:]


async def _connection(
    host: str,
    port: int,
    request: bytes,
    status: int,
    expect: bytes | None,
    tally: Tally,
    unique: str | None = None,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    clock = time.perf_counter_ns
    try:
        while not tally.stop:
            started = clock()
            writer.write(_with_unique(request, unique))
            got, body, closes = await _read_answer(reader)
            if closes:
                # A server without keep-alive (moto's werkzeug) closes after each answer: the
                # reconnect is part of what its requests cost, so it is inside the latency.
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            elapsed = clock() - started
            if not tally.recording:
                continue
            if got != status or (expect is not None and expect not in body):
                tally.errors += 1
            tally.latencies_ns.append(elapsed)
            if tally.remaining is not None:
                tally.remaining -= 1
                if tally.remaining <= 0:
                    tally.stop = True
    finally:
        writer.close()


async def run_load(
    url: str,
    *,
    method: str = "GET",
    body: bytes = b"",
    headers: list[str] | None = None,
    concurrency: int = 1,
    duration: float | None = 3.0,
    requests: int | None = None,
    warmup: float = 0.5,
    status: int = 200,
    expect: bytes | None = None,
    unique_header: str | None = None,
) -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request = build_request(method, f"{host}:{port}", target, body, headers or [])
    tally = Tally(remaining=requests)
    tasks = [
        asyncio.create_task(_connection(host, port, request, status, expect, tally, unique_header))
        for _ in range(concurrency)
    ]
    await asyncio.sleep(warmup)
    tally.recording = True
    started = time.perf_counter()
    if requests is None:
        assert duration is not None
        await asyncio.wait(tasks, timeout=duration)
        tally.stop = True
    else:
        await asyncio.wait(tasks, timeout=600)
    elapsed = time.perf_counter() - started
    tally.recording = False
    done, _ = await asyncio.wait(tasks, timeout=10)
    for task in done:
        if task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return {
        "requests": len(tally.latencies_ns),
        "errors": tally.errors,
        "seconds": elapsed,
        "latencies_ns": tally.latencies_ns,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default="")
    parser.add_argument("--header", action="append", default=[], help="'name: value', repeatable")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--requests", type=int, default=None, help="stop after this many answers")
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--expect", default=None, help="a string every answer's body must contain")
    parser.add_argument("--unique-header", default=None, help="a header given a unique value per request")
    options = parser.parse_args()
    result = asyncio.run(
        run_load(
            options.url,
            method=options.method.upper(),
            body=options.body.encode(),
            headers=options.header,
            concurrency=options.concurrency,
            duration=options.duration,
            requests=options.requests,
            warmup=options.warmup,
            status=options.status,
            expect=options.expect.encode() if options.expect else None,
            unique_header=options.unique_header,
        )
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
