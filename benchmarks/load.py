"""Load: N concurrent clients through the gateway into the sandbox, then an audit of what was kept.

Starts ``plivo-blocks serve --sandbox`` (gateway and sandbox in one process, SQLite file database
in a temporary directory; Plivo's request limits lifted in both, the gateway's pacing and the
sandbox's 429s, since the run makes far more requests than they allow) on a free loopback port,
then runs ``--clients`` concurrent clients, each on its own keep-alive connection, for
``--seconds`` seconds. Each client loops (bounded in time and in count): three ``sendMessage``
calls with a text no other call uses, then a ``getSingleMessage`` of the last message it was
acknowledged, which must read back.

The clients speak raw asyncio HTTP/1.1 by default (``--client raw``, as ``loadgen.py`` does): on a
2-core machine they share the CPU with the server, and an ``httpx.AsyncClient`` per client
(``--client httpx``) spends as much CPU per request as the server and adds its own queueing to the
latencies measured.

Afterwards it audits the sandbox's database once the server stopped (read with the sandbox's own
store): every acknowledged ``message_uuid`` must be stored (nothing lost), no uuid and no text may
be stored twice (nothing sent twice), and nothing may be stored that nobody was acknowledged.
The server's resident memory is sampled all along; it must level off (the last third of the run
may not exceed the first third's peak by more than ``--rss-slack`` MB).

Prints the figures; ``--json-out PATH`` also writes them as JSON. Exit status 0 when there were
no failed requests, nothing lost or duplicated, and memory stayed bounded; 1 otherwise.

    python benchmarks/load.py                       # 200 clients, 30 s
    python benchmarks/load.py --clients 20 --seconds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

import httpx

CLI = str(Path(sys.executable).parent / "plivo-blocks")
AUTH_ID = "MALOADTESTXXXXXXXXXX"
AUTH_TOKEN = "load-test-token-not-a-secret"
SRC = "14155550100"  # not rented: it may send to the UK as a sender ID (to the US it could not)
#: One TLS context for every client: httpx builds one per client otherwise (~40 ms of CPU each),
#: which would charge the load generator's start-up to the run. The traffic is plain HTTP anyway.
TLS_CONTEXT = ssl.create_default_context()
#: How the clients speak HTTP (``--client``): lean raw asyncio (the default), or httpx.
CLIENTS = ("raw", "httpx")
#: Upper bound on calls per client, whatever the duration: the loop always ends.
MAX_CALLS_PER_CLIENT = 100_000


@dataclass
class Tally:
    """What the clients saw."""

    requests: int = 0
    failed: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    acknowledged: set[str] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)  # message_uuid -> the text sent
    read_backs: int = 0
    latencies: list[float] = field(default_factory=list)

    def fail(self, why: str) -> None:
        self.failed += 1
        self.failures[why[:120]] += 1


@dataclass
class Figures:
    clients: int
    seconds: float
    requests: int
    requests_per_second: float
    failed: int
    failures: dict[str, int]
    sent_acknowledged: int
    read_backs: int
    stored: int
    lost: int
    duplicated_uuids: int
    duplicated_texts: int
    unacknowledged_stored: int
    latency_p50_ms: float
    latency_p99_ms: float
    rss_mb_start: float
    rss_mb_first_third_peak: float
    rss_mb_last_third_peak: float
    rss_mb_end: float
    rss_mb_peak: float
    rss_samples: int
    memory_bounded: bool
    server_log_tail: str = ""

    @property
    def ok(self) -> bool:
        return (
            self.failed == 0
            and self.lost == 0
            and self.duplicated_uuids == 0
            and self.duplicated_texts == 0
            and self.unacknowledged_stored == 0
            and self.sent_acknowledged > 0
            and self.memory_bounded
        )


# -- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


#: A load run makes far more requests than Plivo's limits allow: the gateway's pacing is off, as
#: the sandbox's own request limit is (``lift_request_limit``). The point is the stack's speed.
UNPACED = {"PLIVO_BLOCKS_RATE_REQUESTS": "0", "PLIVO_BLOCKS_CALLS_PER_SECOND": "0"}


def start_server(database: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PLIVO_SANDBOX_AUTH_ID": AUTH_ID,
        "PLIVO_SANDBOX_AUTH_TOKEN": AUTH_TOKEN,
        "PLIVO_BLOCKS_STATE_DIR": str(database.parent / "gateway-state"),
        **UNPACED,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                CLI,
                "serve",
                "--sandbox",
                "--db",
                str(database),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the server did not come up:\n{log.read_text(errors='replace')}")


def lift_request_limit(url: str) -> None:
    """A load run makes far more than Plivo's 300 requests per 5 s: lift the sandbox's limit."""
    response = httpx.patch(
        url + "/_sandbox/settings", json={"api_requests_per_5s": 0}, auth=(AUTH_ID, AUTH_TOKEN), timeout=10
    )
    response.raise_for_status()


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(20)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class MemorySampler(threading.Thread):
    """The server's RSS every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples: list[float] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                self.samples.append(rss_mb(self.pid))
            except (OSError, RuntimeError):
                return
            self.halt.wait(self.interval)


# -- the clients --------------------------------------------------------------------------------


def _body(**args: Any) -> bytes:
    return json.dumps({"args": {"authId": AUTH_ID, "authToken": AUTH_TOKEN, **args}}).encode()


class RawConnection:
    """One keep-alive HTTP/1.1 connection, raw asyncio (as ``loadgen.py``): a lean client, so that
    on a 2-core machine the clients' own CPU and queueing stay out of the server's figures."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        try:
            answer = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            self.streams = None
            raise ConnectionError("the server closed the connection") from None
        lower = answer.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            raise ConnectionError("an answer without content-length")
        length = int(lower[at + 17 : lower.find(b"\r\n", at + 2)].strip())
        content = await reader.readexactly(length)
        if b"\r\nconnection: close" in lower:
            writer.close()
            self.streams = None
        return int(answer[9:12]), content

    async def aclose(self) -> None:
        if self.streams is not None:
            self.streams[1].close()


Post = Callable[[str, bytes], Awaitable[tuple[int, bytes]]]


def httpx_post(client: httpx.AsyncClient) -> Post:
    async def post(path: str, body: bytes) -> tuple[int, bytes]:
        response = await client.post(path, content=body)
        return response.status_code, response.content

    return post


async def _call(post: Post, tally: Tally, block: str, **args: Any) -> dict[str, Any] | None:
    started = time.perf_counter()
    tally.requests += 1
    try:
        status, content = await post(f"/api/Plivo/{block}", _body(**args))
    except (httpx.HTTPError, OSError) as exc:
        tally.fail(f"{block}: {type(exc).__name__}")
        return None
    tally.latencies.append(time.perf_counter() - started)
    if status != 200:
        tally.fail(f"{block}: HTTP {status}")
        return None
    answer = json.loads(content)
    if answer.get("callback") != "success":
        tally.fail(f"{block}: {json.dumps(answer)}")
        return None
    written: dict[str, Any] = answer["contextWrites"]["to"]
    return written


async def run_client(url: str, number: int, deadline: float, tally: Tally, client: str = "raw") -> None:
    if client == "raw":
        connection = RawConnection(url)
        try:
            await client_loop(connection.post, number, deadline, tally)
        finally:
            await connection.aclose()
        return
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(
        base_url=url, limits=limits, headers=headers, timeout=60, verify=TLS_CONTEXT
    ) as http:
        await client_loop(httpx_post(http), number, deadline, tally)


async def client_loop(post: Post, number: int, deadline: float, tally: Tally) -> None:
    last: str | None = None
    for sequence in range(MAX_CALLS_PER_CLIENT):
        if time.monotonic() >= deadline:
            return
        if sequence % 4 == 3 and last is not None:
            found = await _call(post, tally, "getSingleMessage", messageUuid=last)
            if found is not None:
                if found.get("message_uuid") == last:
                    tally.read_backs += 1
                else:
                    tally.fail("getSingleMessage: another message came back")
            continue
        text = f"load c{number} #{sequence}"
        sent = await _call(post, tally, "sendMessage", src=SRC, destination=f"4477009{number:05d}", text=text)
        if sent is None:
            continue
        uuids = sent.get("message_uuid")
        if not isinstance(uuids, list) or len(uuids) != 1:
            tally.fail(f"sendMessage: unexpected answer {sent!r}")
            continue
        last = uuids[0]
        tally.acknowledged.add(last)
        tally.texts[last] = text


async def run_clients(url: str, clients: int, seconds: float, tally: Tally, client: str = "raw") -> float:
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(run_client(url, n, deadline, tally, client) for n in range(clients)))
    return time.monotonic() - started


# -- the audit ----------------------------------------------------------------------------------


def stored_messages(database: Path) -> list[dict[str, Any]]:
    """Every message in the sandbox's database, read after its server stopped, with the sandbox's
    own store (its control API pages 20 at a time, which takes minutes for 50,000 messages)."""
    from plivo_blocks.sandbox.store import ANY_OWNER, Store

    store = Store(str(database))
    try:
        documents = store.run_sync(lambda tx: tx.list("message", ANY_OWNER))
    finally:
        store.close()
    return [{"message_uuid": doc.id, "text": doc.data.get("_text")} for doc in documents]


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class Audit(TypedDict):
    stored: int
    lost: int
    duplicated_uuids: int
    duplicated_texts: int
    unacknowledged_stored: int


def audit(tally: Tally, stored: list[dict[str, Any]]) -> Audit:
    uuids = Counter(m["message_uuid"] for m in stored)
    texts = Counter(m["text"] for m in stored)
    return {
        "stored": len(stored),
        "lost": len(tally.acknowledged - set(uuids)),
        "duplicated_uuids": sum(n - 1 for n in uuids.values() if n > 1),
        "duplicated_texts": sum(n - 1 for n in texts.values() if n > 1),
        "unacknowledged_stored": len(set(uuids) - tally.acknowledged),
    }


def memory_figures(samples: list[float], slack_mb: float) -> dict[str, Any]:
    if len(samples) < 3:
        raise RuntimeError("too few memory samples; run longer")
    third = max(1, len(samples) // 3)
    first, last = samples[:third], samples[-third:]
    return {
        "rss_mb_start": round(samples[0], 1),
        "rss_mb_first_third_peak": round(max(first), 1),
        "rss_mb_last_third_peak": round(max(last), 1),
        "rss_mb_end": round(samples[-1], 1),
        "rss_mb_peak": round(max(samples), 1),
        "rss_samples": len(samples),
        "memory_bounded": max(last) <= max(first) + slack_mb,
    }


def run(
    clients: int, seconds: float, rss_slack_mb: float, sample_every: float, client: str = "raw"
) -> Figures:
    with tempfile.TemporaryDirectory(prefix="plivo-load-") as scratch:
        process, url = start_server(Path(scratch) / "load.db", Path(scratch) / "server.log")
        try:
            lift_request_limit(url)
            sampler = MemorySampler(process.pid, sample_every)
            sampler.start()
            tally = Tally()
            elapsed = asyncio.run(run_clients(url, clients, seconds, tally, client))
            sampler.halt.set()
            sampler.join()
            if process.poll() is not None:
                raise RuntimeError(f"the server died during the run:\n{_tail(Path(scratch) / 'server.log')}")
        finally:
            stop_server(process)
            log_tail = _tail(Path(scratch) / "server.log")
        stored = stored_messages(Path(scratch) / "load.db")
    ordered = sorted(tally.latencies)
    return Figures(
        clients=clients,
        seconds=round(elapsed, 2),
        requests=tally.requests,
        requests_per_second=round(tally.requests / elapsed, 1),
        failed=tally.failed,
        failures=dict(tally.failures),
        sent_acknowledged=len(tally.acknowledged),
        read_backs=tally.read_backs,
        latency_p50_ms=round(statistics.median(ordered) * 1000, 1) if ordered else float("nan"),
        latency_p99_ms=round(_percentile(ordered, 99) * 1000, 1),
        **audit(tally, stored),
        **memory_figures(sampler.samples, rss_slack_mb),
        server_log_tail=log_tail,
    )


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def report(figures: Figures) -> str:
    lines = [
        f"load: {figures.clients} clients for {figures.seconds} s through `serve --sandbox` (loopback)",
        f"  requests            {figures.requests} ({figures.requests_per_second}/s), failed {figures.failed}",
        f"  latency             p50 {figures.latency_p50_ms} ms, p99 {figures.latency_p99_ms} ms",
        f"  messages            acknowledged {figures.sent_acknowledged}, stored {figures.stored}, "
        f"lost {figures.lost}, duplicated {figures.duplicated_uuids} (uuid) / {figures.duplicated_texts} (text), "
        f"stored but never acknowledged {figures.unacknowledged_stored}",
        f"  read back           {figures.read_backs} getSingleMessage calls found their message",
        f"  server RSS (MB)     start {figures.rss_mb_start}, first-third peak {figures.rss_mb_first_third_peak}, "
        f"last-third peak {figures.rss_mb_last_third_peak}, end {figures.rss_mb_end}, "
        f"peak {figures.rss_mb_peak} ({figures.rss_samples} samples): "
        + ("levels off" if figures.memory_bounded else "KEEPS GROWING"),
    ]
    if figures.failures:
        lines.append("  failures: " + json.dumps(figures.failures))
    lines.append("  verdict             " + ("OK" if figures.ok else "FAILED"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    parser.add_argument("--seconds", type=float, default=30.0, help="duration of the run (default 30)")
    parser.add_argument(
        "--rss-slack", type=float, default=32.0, help="allowed MB of late growth (default 32)"
    )
    parser.add_argument("--sample-every", type=float, default=0.25, help="seconds between RSS samples")
    parser.add_argument("--json-out", type=Path, help="also write the figures here as JSON")
    parser.add_argument(
        "--client",
        choices=CLIENTS,
        default="raw",
        help="raw: lean asyncio HTTP/1.1 (default); httpx: an httpx.AsyncClient per client",
    )
    options = parser.parse_args(argv)
    if not 1 <= options.clients <= 2000 or not 0 < options.seconds <= 3600:
        parser.error("--clients must be 1..2000 and --seconds 0..3600")
    figures = run(options.clients, options.seconds, options.rss_slack, options.sample_every, options.client)
    print(report(figures))
    if not figures.ok and figures.server_log_tail:
        print("server log (last lines):\n" + figures.server_log_tail, file=sys.stderr)
    if options.json_out:
        options.json_out.write_text(json.dumps({**asdict(figures), "ok": figures.ok}, indent=2))
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
