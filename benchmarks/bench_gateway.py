"""Benchmark 3: the gateway's throughput, latency and CPU, against calling the upstream directly,
against the gateway as it was before issue 12, and against the floors of its server stack.

Servers, all answering the same two operations (``getAccountDetails``, ``sendMessage``):

- **direct**: the fast upstream itself (``GET /v1/Account/<id>/``, ``POST .../Message/``), which
  is what the gateway calls;
- **today**: the gateway at ``common.BASELINE_COMMIT`` (main before issue 12: uvicorn's h11
  protocol, asyncio's loop, httpx/httpcore towards the upstream), one worker, run from that
  commit's sources (``git archive``) with this environment;
- **gateway, 1 worker** and **gateway, 2 workers**: ``plivo-blocks serve --workers N``, with its
  default settings and log level (the access log is written, to /dev/null), pacing off
  (``common.UNPACED``: the load is one account far past Plivo's limit);
- **floor: hello-world** and **floor: minimal proxy** (``floor_servers.py``): the same server
  stack answering a canned envelope, and forwarding to the upstream with the gateway's own sender
  but nothing else. What the gateway spends beyond the proxy is its own code.

The load generator is its own process (``loadgen.py``: raw asyncio, keep-alive connections, one
request in flight on each); on a 2-core machine it and the upstream share the cores with the
server measured. Every answer is checked (status, and ``"callback":"success"``).

The targets are measured again in alternating rounds (direct, today and the gateway taking turns,
the median of each), so that a slow spell of a shared machine hits all contenders alike:

- the gateway's CPU per request at concurrency 16: at most 0.5 ms;
- its p50 at concurrency 1: at most 2.5× a direct call's;
- one worker at concurrency 16: at least 2× today's requests per second;
- ``--workers 2`` at concurrency 64: at least 1.6× one worker (issue 5).
"""

from __future__ import annotations

import json
import statistics
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from common import (
    AUTH_ID,
    AUTH_TOKEN,
    BASELINE_COMMIT,
    BASIC_AUTH,
    SEND_ARGS,
    SEND_BODY,
    UPSTREAM_PIDS,
    Summary,
    Target,
    baseline_gateway,
    cpu_seconds,
    emit,
    fast_upstream,
    floor_server,
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
DIRECT, TODAY, ONE, TWO = "direct", "today", "gateway, 1 worker", "gateway, 2 workers"
HELLO, PROXY = "floor: hello-world", "floor: minimal proxy"
#: The floors are measured where the targets are (concurrency 1 and 16).
FLOOR_CONCURRENCY = (1, 16)


@dataclass(frozen=True)
class Measured:
    throughput: float
    p50: float
    p99: float
    requests: int
    errors: int
    cpu_per_request: float | None = None
    #: The load generator's CPU per request (warm-up included).
    loadgen_cpu_per_request: float = 0.0

    @classmethod
    def of(cls, result: dict[str, Any], cpu: float | None = None) -> Measured:
        summary = Summary.of([ns / 1e9 for ns in result["latencies_ns"]])
        requests = max(result["requests"], 1)
        return cls(
            result["requests"] / result["seconds"],
            summary.median,
            summary.p99,
            result["requests"],
            result["errors"],
            None if cpu is None else cpu / requests,
            result["loadgen_cpu_seconds"] / requests,
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
    """The load, and the server's CPU time per request (its warm-up requests included, which
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


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    opts = options(__doc__.splitlines()[0])
    duration = 1.0 if opts.quick else 2.0
    rounds = 1 if opts.quick else 3
    table: dict[tuple[str, str, int], Measured] = {}
    # Per operation, per round: the target figures.
    rounds_of: dict[tuple[str, str], list[Measured]] = {}
    scaling: dict[str, list[float]] = {operation: [] for operation in OPERATIONS}
    # Per operation: CPU per request of the gateway (1 worker), the load generator and the
    # upstream at concurrency 64: how much of the 2 cores one worker's load already takes.
    machine: dict[str, list[tuple[float, float, float, float]]] = {operation: [] for operation in OPERATIONS}
    with ExitStack() as stack:
        upstream = stack.enter_context(fast_upstream())
        servers: dict[str, tuple[str, int]] = {
            TODAY: stack.enter_context(baseline_gateway(upstream)),
            ONE: stack.enter_context(gateway(upstream, workers=1)),
            TWO: stack.enter_context(gateway(upstream, workers=2)),
            HELLO: stack.enter_context(floor_server("hello", upstream)),
            PROXY: stack.enter_context(floor_server("proxy", upstream)),
        }

        def load(server: str, operation: str, concurrency: int) -> Measured:
            if server == DIRECT:
                return direct_load(upstream, operation, concurrency, duration)
            url, pid = servers[server]
            return gateway_load(url, pid, operation, concurrency, duration)

        # Every server in turn, at each concurrency: the full table.
        for operation in OPERATIONS:
            for concurrency in CONCURRENCY:
                progress(f"gateway bench: {operation} c={concurrency}")
                for server in (DIRECT, TODAY, ONE, TWO, HELLO, PROXY):
                    if server in (HELLO, PROXY) and concurrency not in FLOOR_CONCURRENCY:
                        continue
                    table[server, operation, concurrency] = load(server, operation, concurrency)
        # The targets: direct, today and the gateway alternating, several rounds.
        for operation in OPERATIONS:
            for round_number in range(rounds):
                progress(f"gateway bench: targets, {operation}, round {round_number + 1} of {rounds}")
                for key in ((DIRECT, 1), (ONE, 1), (TODAY, 1), (ONE, 16), (TODAY, 16), (PROXY, 16)):
                    rounds_of.setdefault((operation, f"{key[0]} c={key[1]}"), []).append(
                        load(key[0], operation, key[1])
                    )
        # Scaling out: 2 workers against 1 at concurrency 64, alternating.
        for operation in OPERATIONS:
            for round_number in range(rounds):
                progress(f"gateway bench: scaling, {operation}, round {round_number + 1} of {rounds}")
                upstream_before = cpu_seconds(UPSTREAM_PIDS[upstream])
                one = load(ONE, operation, 64)
                upstream_cpu = (cpu_seconds(UPSTREAM_PIDS[upstream]) - upstream_before) / max(one.requests, 1)
                two = load(TWO, operation, 64).throughput
                scaling[operation].append(two / one.throughput)
                assert one.cpu_per_request is not None
                machine[operation].append(
                    (one.cpu_per_request, one.loadgen_cpu_per_request, upstream_cpu, one.throughput)
                )

    targets, target_rows = _targets(rounds_of, scaling, machine, rounds)
    markdown = (
        "Requests per second and latency seen by the load generator (its own process, keep-alive "
        "connections, one request in flight per connection). *direct* is the fast upstream alone; "
        f"*today* is the gateway at {BASELINE_COMMIT} (h11, asyncio, httpx); the floors are the "
        "gateway's server stack with a canned answer, and forwarding with the gateway's sender but "
        "nothing else. *+p50* is what a server adds to the direct call; *CPU/req* is the server's CPU "
        "time (all its processes, user + system) per request. The load generator and the upstream "
        f"run on the same 2 cores. One pass, {duration:g} s each:\n\n"
        + _table(table)
        + f"\n\nThe targets, measured in {rounds} alternating rounds of {duration:g} s (medians; "
        "each round: direct c=1, gateway c=1, today c=1, gateway c=16, today c=16, proxy floor c=16):\n\n"
        + markdown_table(["block", "figure", "gateway", "today", "floor", "rounds"], target_rows)
    )
    emit("3. Gateway", markdown, targets, opts.json_out)


def _table(table: dict[tuple[str, str, int], Measured]) -> str:
    rows: list[list[object]] = []
    for operation in OPERATIONS:
        for concurrency in CONCURRENCY:
            direct = table[DIRECT, operation, concurrency]
            for server in (DIRECT, TODAY, ONE, TWO, HELLO, PROXY):
                m = table.get((server, operation, concurrency))
                if m is None:
                    continue
                added = "" if server == DIRECT else f"+{ms(m.p50 - direct.p50)}"
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
    return markdown_table(
        ["block", "concurrency", "server", "req/s", "p50", "p99", "+p50", "CPU/req", "errors"], rows
    )


def _targets(
    rounds_of: dict[tuple[str, str], list[Measured]],
    scaling: dict[str, list[float]],
    machine: dict[str, list[tuple[float, float, float, float]]],
    rounds: int,
) -> tuple[list[Target], list[list[object]]]:
    targets: list[Target] = []
    rows: list[list[object]] = []
    for operation in OPERATIONS:

        def of(key: str, field: str, operation: str = operation) -> list[float]:
            return [getattr(m, field) for m in rounds_of[operation, key]]

        cpu = median(of(f"{ONE} c=16", "cpu_per_request"))
        cpu_today = median(of(f"{TODAY} c=16", "cpu_per_request"))
        cpu_floor = median(of(f"{PROXY} c=16", "cpu_per_request"))
        rows.append(
            [
                operation,
                "CPU per request, c=16",
                us(cpu),
                us(cpu_today),
                us(cpu_floor),
                _list(of(f"{ONE} c=16", "cpu_per_request"), us),
            ]
        )
        targets.append(
            Target(
                f"gateway CPU per request, c=16, {operation}",
                "≤ 0.5 ms",
                f"{us(cpu)} (today {us(cpu_today)}; floor {us(cpu_floor)})",
                cpu <= 0.0005,
                "floor: the minimal proxy on the same stack",
            )
        )
        direct_p50 = of(f"{DIRECT} c=1", "p50")
        p50_ratios = [g / d for g, d in zip(of(f"{ONE} c=1", "p50"), direct_p50, strict=True)]
        today_ratios = [t / d for t, d in zip(of(f"{TODAY} c=1", "p50"), direct_p50, strict=True)]
        p50_ratio, today_ratio = median(p50_ratios), median(today_ratios)
        rows.append(
            [
                operation,
                "p50 at c=1 ÷ direct p50",
                f"{ratio(p50_ratio)} ({ms(median(of(f'{ONE} c=1', 'p50')))})",
                f"{ratio(today_ratio)} ({ms(median(of(f'{TODAY} c=1', 'p50')))})",
                f"direct {ms(median(direct_p50))}",
                _list(p50_ratios, ratio),
            ]
        )
        targets.append(
            Target(
                f"gateway p50 ÷ direct p50, c=1, {operation}",
                "≤ 2.50×",
                f"{ratio(p50_ratio)} (today {ratio(today_ratio)}; +{ms(median(of(f'{ONE} c=1', 'p50')) - median(direct_p50))})",
                p50_ratio <= 2.5,
                "see the floors in the table above",
            )
        )
        speedups = [
            g / t
            for g, t in zip(of(f"{ONE} c=16", "throughput"), of(f"{TODAY} c=16", "throughput"), strict=True)
        ]
        speedup = median(speedups)
        rows.append(
            [
                operation,
                "req/s, 1 worker, c=16",
                f"{median(of(f'{ONE} c=16', 'throughput')):,.0f}",
                f"{median(of(f'{TODAY} c=16', 'throughput')):,.0f}",
                f"{median(of(f'{PROXY} c=16', 'throughput')):,.0f}",
                _list(speedups, ratio),
            ]
        )
        targets.append(
            Target(
                f"gateway req/s vs today, 1 worker, c=16, {operation}",
                "≥ 2.00×",
                f"{ratio(speedup)} (median of rounds {_list(speedups, ratio)})",
                speedup >= 2.0,
            )
        )
        median_scaling = median(scaling[operation])
        gateway_cpu = median([m[0] for m in machine[operation]])
        others_cpu = median([m[1] + m[2] for m in machine[operation]])
        busy = median([(m[0] + m[1] + m[2]) * m[3] for m in machine[operation]])
        rows.append(
            [
                operation,
                "--workers 2 ÷ 1, c=64",
                ratio(median_scaling),
                "",
                f"1 worker: {busy:.2f} of 2 cores busy",
                _list(scaling[operation], ratio),
            ]
        )
        targets.append(
            Target(
                f"--workers 2 vs 1, c=64, {operation}",
                "≥ 1.60×",
                f"{ratio(median_scaling)} (median of rounds {_list(scaling[operation], ratio)})",
                median_scaling >= 1.6,
                f"machine-bound: with 1 worker, gateway ({us(gateway_cpu)}/req) + load generator and "
                f"upstream ({us(others_cpu)}/req) already keep {busy:.2f} of the 2 cores busy",
            )
        )
    return targets, rows


def _list(values: list[float], show: Any) -> str:
    return ", ".join(show(v) for v in values)


if __name__ == "__main__":
    main()
