"""Benchmark 3: the gateway's throughput and latency, against calling the upstream directly.

Three servers answer the same two operations at concurrency 1, 16 and 64:

- **direct**: the fast upstream itself (``GET /v1/Account/<id>/``, ``POST .../Message/``), which
  is what the gateway calls: the floor any gateway request stands on;
- **gateway, 1 worker** and **gateway, 2 workers**: ``plivo-blocks serve --workers N`` pointed at
  that upstream (``POST /api/Plivo/getAccountDetails`` and ``/sendMessage``), with its default
  settings and log level (the access log is written, to /dev/null).

The load generator is its own process (``loadgen.py``: raw asyncio, keep-alive connections, one
request in flight on each), so on a 2-core machine it competes with the gateway and the upstream
for the same two cores; so does the upstream. Every answer is checked (status, and a
``"callback":"success"`` body for the gateway).

Targets: the gateway adds at most 1 ms at p50 at concurrency 1; with ``--workers 2`` it reaches at
least 1.6× its single-worker throughput.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from typing import Any

from common import (
    AUTH_ID,
    AUTH_TOKEN,
    BASIC_AUTH,
    SEND_ARGS,
    SEND_BODY,
    Summary,
    Target,
    cpu_seconds,
    emit,
    fast_upstream,
    gateway,
    markdown_table,
    ms,
    options,
    progress,
    ratio,
    run_loadgen,
    us,
)

CONCURRENCY = (1, 16, 64)
OPERATIONS = ("getAccountDetails", "sendMessage")


@dataclass(frozen=True)
class Measured:
    throughput: float
    p50: float
    p99: float
    requests: int
    errors: int
    cpu_per_request: float | None = None

    @classmethod
    def of(cls, result: dict[str, Any], cpu: float | None = None) -> Measured:
        summary = Summary.of([ns / 1e9 for ns in result["latencies_ns"]])
        return cls(
            result["requests"] / result["seconds"],
            summary.median,
            summary.p99,
            result["requests"],
            result["errors"],
            None if cpu is None else cpu / max(result["requests"], 1),
        )


def direct_load(upstream: str, operation: str, concurrency: int, duration: float) -> Measured:
    auth = [f"authorization: {BASIC_AUTH}", "accept: application/json"]
    if operation == "getAccountDetails":
        result = run_loadgen(
            f"{upstream}/v1/Account/{AUTH_ID}/", headers=auth, concurrency=concurrency, duration=duration
        )
    else:
        result = run_loadgen(
            f"{upstream}/v1/Account/{AUTH_ID}/Message/",
            method="POST",
            body=SEND_BODY,
            headers=auth,
            status=202,
            concurrency=concurrency,
            duration=duration,
        )
    return Measured.of(result)


def gateway_body(operation: str) -> str:
    args: dict[str, str] = {"authId": AUTH_ID, "authToken": AUTH_TOKEN}
    if operation == "sendMessage":
        args |= SEND_ARGS
    return json.dumps({"args": args})


def gateway_load(url: str, pid: int, operation: str, concurrency: int, duration: float) -> Measured:
    """The load, and the gateway's CPU time per request (its warm-up requests included, which
    the request count is not: a slight overestimate)."""
    cpu_before = cpu_seconds(pid)
    result = run_loadgen(
        f"{url}/api/Plivo/{operation}",
        method="POST",
        body=gateway_body(operation),
        concurrency=concurrency,
        duration=duration,
        expect='"callback":"success"',
    )
    return Measured.of(result, cpu_seconds(pid) - cpu_before)


def main() -> None:
    opts = options(__doc__.splitlines()[0])
    duration = 1.0 if opts.quick else 3.0
    rounds = 1 if opts.quick else 3
    results: dict[tuple[str, str, int], Measured] = {}
    ratios: dict[str, list[float]] = {operation: [] for operation in OPERATIONS}
    servers = ("direct", "gateway, 1 worker", "gateway, 2 workers")
    # Both gateways run side by side (the idle one costs nothing) and every measurement of one
    # server is followed by the same measurement of the others: a slow spell of a shared
    # machine then hits all contenders alike instead of one of them.
    with (
        fast_upstream() as upstream,
        gateway(upstream, workers=1) as (url_1, pid_1),
        gateway(upstream, workers=2) as (url_2, pid_2),
    ):
        for operation in OPERATIONS:
            for concurrency in CONCURRENCY:
                progress(f"gateway bench: {operation} c={concurrency}")
                results["direct", operation, concurrency] = direct_load(
                    upstream, operation, concurrency, duration
                )
                results[servers[1], operation, concurrency] = gateway_load(
                    url_1, pid_1, operation, concurrency, duration
                )
                results[servers[2], operation, concurrency] = gateway_load(
                    url_2, pid_2, operation, concurrency, duration
                )
        # The scaling target: 2 workers against 1 at concurrency 64, alternating, several rounds.
        for operation in OPERATIONS:
            for round_number in range(rounds):
                progress(f"gateway bench: scaling, {operation}, round {round_number + 1} of {rounds}")
                one = gateway_load(url_1, pid_1, operation, 64, duration).throughput
                two = gateway_load(url_2, pid_2, operation, 64, duration).throughput
                ratios[operation].append(two / one)

    rows: list[list[object]] = []
    for operation in OPERATIONS:
        for concurrency in CONCURRENCY:
            direct = results["direct", operation, concurrency]
            for server in servers:
                m = results[server, operation, concurrency]
                added = "" if server == "direct" else f"+{ms(m.p50 - direct.p50)}"
                cpu = "" if m.cpu_per_request is None else us(m.cpu_per_request)
                rows.append(
                    [
                        operation,
                        concurrency,
                        server,
                        f"{m.throughput:,.0f}",
                        ms(m.p50),
                        ms(m.p99),
                        added,
                        cpu,
                        m.errors,
                    ]
                )

    targets: list[Target] = []
    for operation in OPERATIONS:
        direct = results["direct", operation, 1]
        single = results["gateway, 1 worker", operation, 1]
        overhead = single.p50 - direct.p50
        targets.append(
            Target(
                f"gateway adds at p50, c=1, {operation}",
                "≤ 1 ms",
                f"+{ms(overhead)} ({ms(single.p50)} vs {ms(direct.p50)} direct)",
                overhead <= 0.001,
            )
        )
    scaling_rows: list[list[object]] = []
    for operation in OPERATIONS:
        for concurrency in CONCURRENCY[1:]:
            one = results["gateway, 1 worker", operation, concurrency].throughput
            two = results["gateway, 2 workers", operation, concurrency].throughput
            scaling_rows.append([operation, concurrency, f"{one:,.0f}", f"{two:,.0f}", ratio(two / one)])
        median_ratio = statistics.median(ratios[operation])
        rounds_text = ", ".join(ratio(r) for r in ratios[operation])
        scaling_rows.append([operation, "64, alternating rounds", "", "", f"median {ratio(median_ratio)}"])
        targets.append(
            Target(
                f"--workers 2 vs 1, c=64, {operation}",
                "≥ 1.60×",
                f"{median_ratio:.2f}× (median of rounds {rounds_text})",
                median_ratio >= 1.6,
                "load generator and upstream share the 2 cores",
            )
        )
    markdown = (
        "Requests per second and latency seen by the load generator (its own process, keep-alive "
        "connections, one request in flight per connection). *direct* is the fast upstream alone; "
        "*+p50* is what the gateway adds to it; *gateway CPU/req* is the gateway's CPU time (all its "
        "processes, user + system) per request. The load generator and the upstream run on the "
        "same 2 cores as the gateway.\n\n"
        + markdown_table(
            ["block", "concurrency", "server", "req/s", "p50", "p99", "+p50", "gateway CPU/req", "errors"],
            rows,
        )
        + "\n\nScaling out, same machine (the last row of each block: 1 and 2 workers measured "
        f"alternately, {rounds} rounds of {duration:g} s each):\n\n"
        + markdown_table(["block", "concurrency", "1 worker req/s", "2 workers req/s", "ratio"], scaling_rows)
    )
    emit("3. Gateway", markdown, targets, opts.json_out)


if __name__ == "__main__":
    main()
