"""Before and after: the sandbox of another git revision beside this one's, in one run.

Exports ``--before`` (a git revision, default ``main``) with ``git archive`` into a temporary
folder and starts its sandbox (``python -m plivo_blocks sandbox --db <file>`` with that folder's
``src`` first on ``PYTHONPATH``) next to this tree's, then loads both with the load generator in
alternating rounds: for each call, requests per second (median of the rounds), p50/p99 latency,
and the sandbox process's CPU time per request (``/proc``; less sensitive to a busy machine than
throughput). ``--floor`` adds the hello-world Starlette endpoint on the same server stack
(``benchmarks/floor.py``, this tree's).

    python benchmarks/ab_sandbox.py --before main --calls sendMessage getAccountDetails

This is how the README's before/after figures are made; not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from bench_sandbox import prepare_sandbox, sandbox_calls
from common import (
    AUTH_ID,
    AUTH_TOKEN,
    PYTHON,
    ROOT,
    Summary,
    cpu_seconds,
    free_port,
    markdown_table,
    ms,
    progress,
    run_loadgen,
    stop,
    wait_until_up,
)
from floor import start_floor


def export(revision: str, into: Path) -> Path:
    """``src`` of ``revision``, exported into ``into``; answers the folder to put on PYTHONPATH."""
    archive = into / "src.tar"
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), revision, "src"], check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def start(db: Path, source: Path | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PLIVO_SANDBOX_AUTH_ID": AUTH_ID, "PLIVO_SANDBOX_AUTH_TOKEN": AUTH_TOKEN}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    command = [PYTHON, "-m", "plivo_blocks", "sandbox", "--port", str(port), "--db", str(db), "--quiet"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/_sandbox/health")
    return process, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git revision to compare with (default main)")
    parser.add_argument("--calls", nargs="+", default=["sendMessage", "getAccountDetails"])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--floor", action="store_true", help="add the hello-world floor")
    opts = parser.parse_args()

    rates: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    latencies: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="plivo-ab-") as workdir:
        before_src = export(opts.before, Path(workdir))
        contenders: dict[str, tuple[subprocess.Popen[Any], dict[str, dict[str, Any]]]] = {}
        try:
            for label, source in ((f"before ({opts.before})", before_src), ("after (this tree)", None)):
                process, url = start(Path(workdir) / f"{label[:5]}.db", source)
                calls = sandbox_calls(url, prepare_sandbox(url))
                contenders[label] = (process, {c: calls[f"sandbox {c}"] for c in opts.calls})
            if opts.floor:
                process, url = start_floor()
                contenders["floor"] = (process, {"hello": dict(url=f"{url}/hello", method="GET")})
            for round_number in range(1, opts.rounds + 1):
                for call in [*opts.calls, "hello"]:
                    for label, (process, calls) in contenders.items():
                        if call not in calls:
                            continue
                        key = f"{label}: {call}"
                        progress(f"round {round_number}: {key}")
                        # A short unmeasured warm-up, then every request of the run is measured.
                        run_loadgen(concurrency=opts.concurrency, duration=0.3, warmup=0, **calls[call])
                        used = cpu_seconds(process.pid)
                        result = run_loadgen(
                            concurrency=opts.concurrency, duration=opts.duration, warmup=0, **calls[call]
                        )
                        used = cpu_seconds(process.pid) - used
                        rates.setdefault(key, []).append(result["requests"] / result["seconds"])
                        cpu.setdefault(key, []).append(used / max(result["requests"], 1))
                        latencies.setdefault(key, []).extend(ns / 1e9 for ns in result["latencies_ns"])
        finally:
            for process, _ in contenders.values():
                stop(process)

    rows = []
    for key, values in rates.items():
        summary = Summary.of(latencies[key])
        rows.append(
            [
                key,
                f"{statistics.median(values):,.0f}",
                f"{statistics.median(cpu[key]) * 1e6:,.0f} µs",
                ms(summary.median),
                ms(summary.p99),
            ]
        )
    print(
        f"concurrency {opts.concurrency}, median of {opts.rounds} alternating round(s) of {opts.duration:g} s; "
        f"load average {os.getloadavg()[0]:.2f}\n"
    )
    print(markdown_table(["sandbox: call", "req/s", "CPU per request", "p50", "p99"], rows))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
