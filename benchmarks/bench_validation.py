"""Benchmark 4: validating and mapping each block's arguments.

For every block in the catalog, ``Block.prepare(args)`` (validate, then map to Plivo's request)
with the catalog's example arguments: every argument the block takes (the worst case), and only
the required ones. No I/O. A block is flagged when it takes more than 5× the median of all blocks
or more than 50 µs (5% of what the gateway spends on a request).
"""

from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable
from functools import partial

from common import Target, emit, markdown_table, options, progress, us

from plivo_blocks.catalog import BLOCKS
from plivo_blocks.catalog.examples import example_args

SLOW_FACTOR = 5.0
SLOW_ABSOLUTE = 50e-6


def per_call(stmt: Callable[[], object], *, budget: float) -> float:
    """Seconds per call: the best of 5 repeats, each sized to take about ``budget`` seconds."""
    timer = timeit.Timer(stmt)
    estimate = timer.timeit(number=20) / 20
    number = max(1, int(budget / max(estimate, 1e-7)))
    return min(timer.repeat(repeat=5, number=number)) / number


def main() -> None:
    opts = options(__doc__.splitlines()[0])
    budget = 0.005 if opts.quick else 0.03
    progress(f"validation: {len(BLOCKS)} blocks")
    rows: list[tuple[str, int, float, float]] = []
    for block in BLOCKS:
        full = example_args(block)
        required = example_args(block, required_only=True)
        block.prepare(full)  # the example must be valid, or the timing measures an error path
        full_time = per_call(partial(block.prepare, full), budget=budget)
        required_time = per_call(partial(block.prepare, required), budget=budget)
        rows.append((block.name, len(full), full_time, required_time))

    median = statistics.median(r[2] for r in rows)
    slow = [r for r in rows if r[2] > SLOW_FACTOR * median or r[2] > SLOW_ABSOLUTE]
    ranked = sorted(rows, key=lambda r: r[2], reverse=True)
    table = markdown_table(
        ["block", "args", "all args", "required only", ""],
        [
            (
                name,
                count,
                us(full_time),
                us(required_time),
                "**slow**" if (name, count, full_time, required_time) in slow else "",
            )
            for name, count, full_time, required_time in ranked
        ],
    )
    slowest = ranked[0]
    summary = (
        f"`Block.prepare` (validate + map) per call, every argument given: median **{us(median)}** over "
        f"{len(rows)} blocks, slowest {slowest[0]} at {us(slowest[2])}, fastest {ranked[-1][0]} at "
        f"{us(ranked[-1][2])}. Flagged as slow (> {SLOW_FACTOR:g}× the median or > {us(SLOW_ABSOLUTE)}): "
        + (", ".join(r[0] for r in slow) if slow else "none")
        + ".\n\n<details><summary>All blocks, slowest first</summary>\n\n"
        + table
        + "\n\n</details>"
    )
    targets = [
        Target(
            "validation + mapping, slowest block",
            f"≤ {us(SLOW_ABSOLUTE)} (5% of a gateway request)",
            f"{slowest[0]} {us(slowest[2])} ({slowest[1]} args; median {us(median)})",
            slowest[2] <= SLOW_ABSOLUTE,
        )
    ]
    emit("4. Validation", summary, targets, opts.json_out)


if __name__ == "__main__":
    main()
