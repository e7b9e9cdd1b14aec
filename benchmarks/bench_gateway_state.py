"""Benchmark 7: what idempotency keys and pacing add to a gateway request.

One gateway process per contender (``plivo-blocks serve``, 1 worker, against the fast upstream),
all started side by side and measured in turns (rounds), ``POST /api/Plivo/sendMessage`` at
concurrency 16 (and 1 for latency):

- **baseline**: pacing off, no key (what ``bench_gateway.py`` measures; metrics are always on);
- **paced, SQLite** / **paced, Redis**: pacing on, 300 grants per 1 ms (one reservation over a full log
  per request, never a wait), grants in the host's SQLite file / in Redis;
- **keyed, SQLite** / **keyed, Redis**: pacing on and a fresh ``Idempotency-Key`` on every request
  (claim, then finish: the full first-request path);
- **replayed, Redis**: the same key on every request (each answered from the store).

Reported: req/s, p50, and the gateway's CPU per request, with the difference from the baseline.
Metrics are always on; what they cost per request is timed in-process (the two calls a request
makes: ``request_answered`` and the client's ``attempt`` hook). Needs ``redis-server`` (``make
test`` installs it).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from common import (
    AUTH_ID,
    AUTH_TOKEN,
    SEND_ARGS,
    Summary,
    Target,
    cpu_seconds,
    emit,
    fast_upstream,
    free_port,
    gateway,
    markdown_table,
    ms,
    options,
    progress,
    run_loadgen,
    us,
)

#: Pacing on, with a full log of 300 grants per account (Plivo's limit), over a 1 ms window: the
#: reservation does all its work and never makes a request wait.
HIGH = {
    "PLIVO_BLOCKS_RATE_REQUESTS": "300",
    "PLIVO_BLOCKS_RATE_WINDOW": "0.001",
    "PLIVO_BLOCKS_PACING_MARGIN": "0",
}


@contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is needed: apt-get install -y redis-server")
    folder = tempfile.mkdtemp(prefix="plivo-blocks-bench-redis-")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--dir",
            folder,
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    opts = options(__doc__.splitlines()[0])
    duration = 1.0 if opts.quick else 3.0
    rounds = 1 if opts.quick else 3
    body = json.dumps({"args": {"authId": AUTH_ID, "authToken": AUTH_TOKEN, **SEND_ARGS}})
    with ExitStack() as stack:
        upstream = stack.enter_context(fast_upstream())
        redis = stack.enter_context(redis_server())
        redis_env = {**HIGH, "PLIVO_BLOCKS_REDIS_URL": redis}
        contenders: dict[str, tuple[tuple[str, int], str | None]] = {
            "baseline (unpaced, no key)": (stack.enter_context(gateway(upstream)), None),
            "paced, SQLite": (stack.enter_context(gateway(upstream, env=HIGH)), None),
            "paced, Redis": (stack.enter_context(gateway(upstream, env=redis_env)), None),
            "keyed, SQLite": (stack.enter_context(gateway(upstream, env=HIGH)), "Idempotency-Key"),
            "keyed, Redis": (stack.enter_context(gateway(upstream, env=redis_env)), "Idempotency-Key"),
            "replayed, Redis": (stack.enter_context(gateway(upstream, env=redis_env)), "replay"),
        }
        results: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
        for round_number in range(rounds):
            for concurrency in (1, 16):
                for name, ((url, pid), key) in contenders.items():
                    progress(f"gateway state bench: round {round_number + 1}, c={concurrency}, {name}")
                    headers = ["idempotency-key: the-same-key"] if key == "replay" else []
                    before = cpu_seconds(pid)
                    result = run_loadgen(
                        f"{url}/api/Plivo/sendMessage",
                        method="POST",
                        body=body,
                        headers=headers,
                        concurrency=concurrency,
                        duration=duration,
                        expect='"callback":"success"',
                        unique_header="idempotency-key" if key == "Idempotency-Key" else None,
                    )
                    cpu = (cpu_seconds(pid) - before) / max(result["requests"], 1)
                    p50 = Summary.of([ns / 1e9 for ns in result["latencies_ns"]]).median
                    if result["errors"]:
                        raise RuntimeError(f"{name}: {result['errors']} answers were not successes")
                    results.setdefault((name, concurrency), []).append(
                        (result["requests"] / result["seconds"], p50, cpu)
                    )

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    rows: list[list[object]] = []
    base_cpu = median([r[2] for r in results["baseline (unpaced, no key)", 16]])
    base_p50 = median([r[1] for r in results["baseline (unpaced, no key)", 1]])
    targets: list[Target] = []
    for name in contenders:
        rate = median([r[0] for r in results[name, 16]])
        cpu = median([r[2] for r in results[name, 16]])
        p50 = median([r[1] for r in results[name, 1]])
        rows.append(
            [
                name,
                f"{rate:,.0f}",
                ms(p50),
                f"+{ms(p50 - base_p50)}",
                us(cpu),
                f"{(cpu - base_cpu) * 1e6:+,.0f} µs",
            ]
        )
        if name.startswith("paced"):
            targets.append(
                Target(
                    f"pacing adds per request, {name}",
                    "small",
                    f"{(cpu - base_cpu) * 1e6:+,.0f} µs CPU",
                    True,
                )
            )
    metrics_cost = _metrics_cost()
    targets.append(
        Target("metrics per request (in-process)", "small", f"{us(metrics_cost)} CPU", True, "always on")
    )
    markdown = (
        f"`POST /api/Plivo/sendMessage`, 1 worker each, medians of {rounds} alternating rounds of {duration:g} s; "
        "req/s and CPU at concurrency 16, p50 at concurrency 1. *+CPU* is the gateway's CPU per request "
        "beyond the baseline's.\n\n"
        + markdown_table(["gateway", "req/s (c=16)", "p50 (c=1)", "+p50", "CPU/request", "+CPU"], rows)
    )
    emit("7. Gateway state: idempotency keys and pacing", markdown, targets, opts.json_out)


def _metrics_cost(calls: int = 20_000) -> float:
    """Seconds of CPU the metrics take per request: one answered request and one attempt."""
    from plivo_blocks.gateway.metrics import GatewayMetrics

    metrics = GatewayMetrics()
    started = time.process_time()
    for _ in range(calls):
        metrics.request_answered("sendMessage", "success", False)
        metrics.attempt("sendMessage", "202", 0.0012, False)
    return (time.process_time() - started) / calls


if __name__ == "__main__":
    main()
