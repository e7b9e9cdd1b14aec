"""Benchmark 2: sending 2,000 messages.

The official SDK in a plain loop, ``plivo_blocks.Client`` in a loop, and
``plivo_blocks.AsyncClient`` with at most 50 calls in flight, each sending ``sendMessage`` to the
same upstream, in this process. A bare ``httpx.AsyncClient`` with 50 in flight rides along for
reference: the ceiling of the HTTP library under the async client.

Three upstreams: the fast upstream answering at once (+0 ms: only the CPU cost of each contender
counts), and holding every answer back 5 ms and 50 ms (a stand-in for the network: the real
Plivo is tens to hundreds of ms away). The concurrent contenders send 2,000 messages each time;
the sequential loops send 2,000 at +0 and +5 ms but only 200 at +50 ms (2,000 would take two
minutes each; a loop's rate does not depend on its length).

Target (issue 5): the async client at least 10× the SDK loop's throughput.

Issue 12's scenario, measured in alternating rounds: **200 messages, 20 in flight, the upstream
20 ms away**, the SDK loop against ``AsyncClient`` (and, for reference, today's ``AsyncClient``
from ``common.BASELINE_COMMIT`` in its own process, ``AsyncClient`` on uvloop, and a bare aiohttp
session). Target: at least 18× the SDK loop. Its ceiling: the SDK's time per call over 1 ms (20
calls overlapping 20 ms each), about 21×; every contender pays its CPU per message on top, 20
messages at a time.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import httpx
from bench_client import sdk_client
from common import (
    AUTH_ID,
    AUTH_TOKEN,
    BASELINE_COMMIT,
    PYTHON,
    SEND_ARGS,
    SEND_BODY,
    Target,
    baseline_sources,
    emit,
    fast_upstream,
    markdown_table,
    options,
    progress,
    ratio,
)

import plivo_blocks

CONCURRENCY = 50
ASYNC = f"plivo_blocks.AsyncClient, {CONCURRENCY} in flight"
SEQUENTIAL = ("plivo SDK, loop", "plivo_blocks.Client, loop")
DELAYS_MS = (0.0, 5.0, 50.0)
#: Calls a sequential loop makes at +50 ms.
SLOW_LOOP_COUNT = 200


def timed(run: Callable[[], None]) -> float:
    gc.collect()
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def sdk_loop(base: str, count: int) -> float:
    sdk = sdk_client(base)

    def run() -> None:
        for _ in range(count):
            sdk.messages.create(src=SEND_BODY["src"], dst=SEND_BODY["dst"], text=SEND_BODY["text"])

    sdk.messages.create(src=SEND_BODY["src"], dst=SEND_BODY["dst"], text=SEND_BODY["text"])
    return timed(run)


def client_loop(base: str, count: int) -> float:
    with plivo_blocks.Client(AUTH_ID, AUTH_TOKEN, base_url=base) as client:
        client.send_message(**SEND_ARGS)

        def run() -> None:
            for _ in range(count):
                client.send_message(**SEND_ARGS)

        return timed(run)


def async_bounded(base: str, count: int, in_flight: int = CONCURRENCY, loop: str = "asyncio") -> float:
    async def main() -> float:
        async with plivo_blocks.AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=base) as client:
            await client.send_message(**SEND_ARGS)
            limit = asyncio.Semaphore(in_flight)

            async def one() -> None:
                async with limit:
                    await client.send_message(**SEND_ARGS)

            gc.collect()
            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(count)))
            return time.perf_counter() - started

    if loop == "uvloop":
        import uvloop

        return uvloop.run(main())
    return asyncio.run(main())


#: Today's AsyncClient (run with BASELINE_COMMIT's sources first on sys.path): prints seconds.
_BASELINE_ASYNC = """
import asyncio, sys, time
sys.path.insert(0, sys.argv[1])
import plivo_blocks
assert plivo_blocks.__file__.startswith(sys.argv[1])
base, count, in_flight = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
args = {"src": "14155550100", "destination": "14155550101", "text": "Hello from bench"}
async def main():
    async with plivo_blocks.AsyncClient(sys.argv[5], sys.argv[6], base_url=base) as client:
        await client.send_message(**args)
        limit = asyncio.Semaphore(in_flight)
        async def one():
            async with limit:
                await client.send_message(**args)
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(count)))
        return time.perf_counter() - started
print(asyncio.run(main()))
"""


def today_async_bounded(src: Path, base: str, count: int, in_flight: int) -> float:
    finished = subprocess.run(
        [PYTHON, "-c", _BASELINE_ASYNC, str(src), base, str(count), str(in_flight), AUTH_ID, AUTH_TOKEN],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(finished.stdout.strip().splitlines()[-1])


def bare_aiohttp_bounded(base: str, count: int, in_flight: int) -> float:
    import aiohttp

    async def main() -> float:
        url = f"{base}/v1/Account/{AUTH_ID}/Message/"
        auth = aiohttp.BasicAuth(AUTH_ID, AUTH_TOKEN).encode()
        async with aiohttp.ClientSession(headers={"Authorization": auth}) as http:

            async def post() -> None:
                async with http.post(url, json=SEND_BODY) as answer:
                    answer.raise_for_status()
                    await answer.json()

            await post()
            limit = asyncio.Semaphore(in_flight)

            async def one() -> None:
                async with limit:
                    await post()

            gc.collect()
            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(count)))
            return time.perf_counter() - started

    return asyncio.run(main())


def bare_httpx_bounded(base: str, count: int) -> float:
    async def main() -> float:
        url = f"{base}/v1/Account/{AUTH_ID}/Message/"
        async with httpx.AsyncClient(auth=(AUTH_ID, AUTH_TOKEN)) as http:
            (await http.post(url, json=SEND_BODY)).raise_for_status()
            limit = asyncio.Semaphore(CONCURRENCY)

            async def one() -> None:
                async with limit:
                    answer = await http.post(url, json=SEND_BODY)
                    answer.raise_for_status()
                    answer.json()

            gc.collect()
            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(count)))
            return time.perf_counter() - started

    return asyncio.run(main())


def main() -> None:
    opts = options(__doc__.splitlines()[0])
    if os.environ.get("PLIVO_BLOCKS_BENCH_BURST_ONLY"):
        burst_markdown, burst_target = burst(1 if opts.quick else 5)
        emit("2. Bulk sending", burst_markdown, [burst_target], opts.json_out)
        return
    count = 200 if opts.quick else 2000
    rows: list[list[object]] = []
    targets: list[Target] = []
    contenders = {
        "plivo SDK, loop": sdk_loop,
        "plivo_blocks.Client, loop": client_loop,
        ASYNC: async_bounded,
        f"(bare httpx.AsyncClient, {CONCURRENCY} in flight)": bare_httpx_bounded,
    }
    for delay in DELAYS_MS:
        with fast_upstream(delay) as base:
            rates: dict[str, float] = {}
            for name, run in contenders.items():
                sequential = name in SEQUENTIAL
                calls = min(count, SLOW_LOOP_COUNT) if sequential and delay >= 50 else count
                progress(f"bulk: {calls} sendMessage, upstream +{delay:g} ms, {name}")
                spent = run(base, calls)
                rates[name] = calls / spent
                rows.append([f"+{delay:g} ms", name, f"{calls:,}", f"{spent:,.2f} s", f"{rates[name]:,.0f}"])
            sdk_rate = rates["plivo SDK, loop"]
            for row, name in zip(rows[-len(rates) :], rates, strict=True):
                row.append(ratio(rates[name] / sdk_rate))
            speedup = rates[ASYNC] / sdk_rate
            notes = {
                0.0: "no network wait to overlap: CPU-bound, one core's worth of Python",
            }
            targets.append(
                Target(
                    f"async vs SDK loop, upstream answering +{delay:g} ms",
                    "≥ 10×",
                    f"{speedup:.1f}× ({rates[ASYNC]:,.0f} vs {sdk_rate:,.0f} msg/s)",
                    speedup >= 10,
                    notes.get(delay, ""),
                )
            )
    markdown = (
        "`sendMessage` calls from one process; the upstream answers at once (+0 ms), after 5 ms or "
        "after 50 ms (a typical Internet round trip to Plivo).\n\n"
        + markdown_table(["upstream", "contender", "calls", "total", "messages/s", "vs SDK loop"], rows)
    )
    burst_markdown, burst_target = burst(1 if opts.quick else 5)
    targets.append(burst_target)
    emit("2. Bulk sending", markdown + "\n\n" + burst_markdown, targets, opts.json_out)


#: Issue 12's scenario.
BURST, BURST_IN_FLIGHT, BURST_DELAY_MS = 200, 20, 20.0


def burst(rounds: int) -> tuple[str, Target]:
    """The SDK loop against AsyncClient (and references), 200 messages, 20 in flight, +20 ms."""
    sdk_name, ours, today = (
        "plivo SDK, loop",
        f"plivo_blocks.AsyncClient, {BURST_IN_FLIGHT} in flight",
        "today's AsyncClient",
    )
    seconds: dict[str, list[float]] = {}
    with fast_upstream(BURST_DELAY_MS) as base, ExitStack() as stack:
        try:
            src: Path | None = stack.enter_context(baseline_sources())
        except RuntimeError:
            src = None
        contenders: dict[str, Callable[[], float]] = {
            sdk_name: lambda: sdk_loop(base, BURST),
            ours: lambda: async_bounded(base, BURST, BURST_IN_FLIGHT),
            f"({ours}, on uvloop)": lambda: async_bounded(base, BURST, BURST_IN_FLIGHT, loop="uvloop"),
            f"(bare aiohttp session, {BURST_IN_FLIGHT} in flight)": lambda: bare_aiohttp_bounded(
                base, BURST, BURST_IN_FLIGHT
            ),
        }
        if src is not None:
            contenders[f"({today}, {BASELINE_COMMIT}, {BURST_IN_FLIGHT} in flight)"] = lambda: (
                today_async_bounded(src, base, BURST, BURST_IN_FLIGHT)
            )
        for round_number in range(rounds):
            for name, run in contenders.items():
                progress(
                    f"bulk: {BURST} sendMessage, +{BURST_DELAY_MS:g} ms, round {round_number + 1}, {name}"
                )
                seconds.setdefault(name, []).append(run())
    sdk = seconds[sdk_name]
    rows: list[list[object]] = []
    for name, spent in seconds.items():
        ratios = [s / t for s, t in zip(sdk, spent, strict=True)]
        rows.append(
            [
                name,
                f"{statistics.median(spent):,.3f} s",
                f"{BURST / statistics.median(spent):,.0f}",
                ratio(statistics.median(ratios)),
                ", ".join(ratio(r) for r in ratios),
            ]
        )
    ours_ratio = statistics.median([s / t for s, t in zip(sdk, seconds[ours], strict=True)])
    ceiling = statistics.median(sdk) / BURST / (BURST_DELAY_MS / 1000 / BURST_IN_FLIGHT)
    markdown = (
        f"Issue 12's scenario: {BURST} `sendMessage`, {BURST_IN_FLIGHT} in flight, the upstream "
        f"answering after {BURST_DELAY_MS:g} ms; {rounds} alternating rounds (medians; the ratio is "
        f"per round, against that round's SDK loop). The ceiling, with no CPU spent at all, is the SDK's "
        f"time per call over {BURST_DELAY_MS / BURST_IN_FLIGHT:g} ms: {ratio(ceiling)}.\n\n"
        + markdown_table(["contender", "total", "messages/s", "vs SDK loop", "rounds"], rows)
    )
    target = Target(
        f"AsyncClient vs SDK loop, {BURST} messages, {BURST_IN_FLIGHT} in flight, upstream +{BURST_DELAY_MS:g} ms",
        "≥ 18×",
        f"{ours_ratio:.1f}× (ceiling {ceiling:.1f}×)",
        ours_ratio >= 18,
        "the ceiling spends no CPU; each round's 20 answers arrive together and are handled one by one",
    )
    return markdown, target


if __name__ == "__main__":
    main()
