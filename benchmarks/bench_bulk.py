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

Target: the async client at least 10× the SDK loop's throughput.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

import httpx
from bench_client import sdk_client
from common import (
    AUTH_ID,
    AUTH_TOKEN,
    SEND_ARGS,
    SEND_BODY,
    Target,
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


def async_bounded(base: str, count: int) -> float:
    async def main() -> float:
        async with plivo_blocks.AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=base) as client:
            await client.send_message(**SEND_ARGS)
            limit = asyncio.Semaphore(CONCURRENCY)

            async def one() -> None:
                async with limit:
                    await client.send_message(**SEND_ARGS)

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
                5.0: "CPU-bound: httpcore's pool costs grow with connections in flight",
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
    emit("2. Bulk sending", markdown, targets, opts.json_out)


if __name__ == "__main__":
    main()
