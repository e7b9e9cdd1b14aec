"""Benchmark 5: start-up time and memory.

- ``plivo-blocks --help``: wall time of the whole command (interpreter start included), as a
  user runs it;
- ``import plivo_blocks``: wall time of ``python -c "import plivo_blocks"`` minus that of
  ``python -c "pass"``, and what ``python -X importtime`` attributes to the package;
- the gateway's resident memory (``plivo-blocks serve``, one worker, against the fast upstream)
  once started, and after 10,000 ``sendMessage`` requests (16 at a time); today's gateway
  (``common.BASELINE_COMMIT``) beside it, for comparison.

Targets: ``--help`` under 300 ms; gateway RSS after 10,000 requests under 100 MB.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import time

from common import (
    AUTH_ID,
    AUTH_TOKEN,
    BASELINE_COMMIT,
    CLI,
    PYTHON,
    SEND_ARGS,
    Target,
    baseline_gateway,
    emit,
    fast_upstream,
    gateway,
    markdown_table,
    ms,
    options,
    progress,
    rss_mb,
    run_loadgen,
)

REQUESTS = 10_000


def wall_times(command: list[str], runs: int) -> list[float]:
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times


def importtime_of(module: str) -> float:
    """Seconds ``-X importtime`` attributes to ``module`` (cumulative, its imports included)."""
    finished = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=True
    )
    for line in finished.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)$", line)
        if found and found.group(2) == module:
            return int(found.group(1)) / 1e6
    raise RuntimeError(f"-X importtime did not report {module}")


def main() -> None:
    opts = options(__doc__.splitlines()[0])
    runs = 5 if opts.quick else 15
    progress("start-up: plivo-blocks --help")
    help_times = wall_times([CLI, "--help"], runs)
    progress("start-up: import plivo_blocks")
    bare = wall_times([PYTHON, "-c", "pass"], runs)
    with_import = wall_times([PYTHON, "-c", "import plivo_blocks"], runs)
    import_cost = statistics.median(with_import) - statistics.median(bare)
    import_self = statistics.median(importtime_of("plivo_blocks") for _ in range(min(runs, 5)))
    gateway_import = statistics.median(importtime_of("plivo_blocks.gateway") for _ in range(min(runs, 5)))

    requests = 1_000 if opts.quick else REQUESTS
    progress(f"footprint: gateway RSS after {requests:,} requests (and today's)")
    body = json.dumps({"args": {"authId": AUTH_ID, "authToken": AUTH_TOKEN, **SEND_ARGS}})
    footprint: dict[str, tuple[float, float, int]] = {}
    with (
        fast_upstream() as upstream,
        gateway(upstream, workers=1) as ours,
        baseline_gateway(upstream) as today,
    ):
        for name, (url, pid) in (("gateway", ours), (f"today's gateway ({BASELINE_COMMIT})", today)):
            idle = rss_mb(pid)
            result = run_loadgen(
                f"{url}/api/Plivo/sendMessage",
                method="POST",
                body=body,
                concurrency=16,
                duration=None,
                requests=requests,
                warmup=0.0,
                expect='"callback":"success"',
            )
            time.sleep(0.2)
            if result["errors"]:
                raise RuntimeError(f"{name}: {result['errors']} answers were not a success")
            footprint[name] = (idle, rss_mb(pid), result["requests"])
    idle, loaded, served = footprint["gateway"]

    help_median = statistics.median(help_times)
    rows = [
        ["`plivo-blocks --help` (whole command)", ms(help_median), ms(max(help_times)), runs],
        ['`python -c "pass"` (the interpreter alone)', ms(statistics.median(bare)), ms(max(bare)), runs],
        ["`import plivo_blocks` (difference of the two)", ms(import_cost), "", runs],
        ["`import plivo_blocks` (`-X importtime`)", ms(import_self), "", min(runs, 5)],
        ["`import plivo_blocks.gateway` (`-X importtime`)", ms(gateway_import), "", min(runs, 5)],
    ]
    memory = [
        [f"{name} (1 worker)", f"{started:.1f} MB", f"{after:.1f} MB ({count:,} sendMessage requests)"]
        for name, (started, after, count) in footprint.items()
    ]
    markdown = (
        markdown_table(["start-up", "median", "max", "runs"], rows)
        + "\n\n"
        + markdown_table(["resident memory (VmRSS)", "started", "after the load"], memory)
    )
    targets = [
        Target("`plivo-blocks --help`", "< 300 ms", ms(help_median), help_median < 0.3),
        Target(
            f"gateway RSS after {served:,} requests",
            "< 100 MB",
            f"{loaded:.1f} MB ({idle:.1f} MB at start)",
            loaded < 100,
            f"today's: {footprint[next(n for n in footprint if n != 'gateway')][1]:.1f} MB",
        ),
    ]
    emit("5. Start-up and footprint", markdown, targets, opts.json_out)


if __name__ == "__main__":
    main()
