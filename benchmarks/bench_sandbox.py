"""Benchmark 6: the sandbox (the local fake Plivo) with a file database.

``plivo-blocks sandbox --db <file>`` in its own process, called directly with Plivo's REST paths
by the load generator (its own process): ``POST /v1/Account/<id>/Message/`` (``sendMessage``:
validates, prices, stores the message, schedules its delivery) and
``GET /v1/Account/<id>/Message/`` (``getMessages``: the first page of 20, with the total count),
after the sends, so the list query runs over every message sent so far. Concurrency 1 and 16.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from common import (
    AUTH_ID,
    AUTH_TOKEN,
    BASIC_AUTH,
    CLI,
    SEND_BODY,
    Summary,
    Target,
    emit,
    free_port,
    markdown_table,
    ms,
    options,
    progress,
    run_loadgen,
    stop,
    wait_until_up,
)

CONCURRENCY = (1, 16)


def main() -> None:
    opts = options(__doc__.splitlines()[0])
    duration = 1.0 if opts.quick else 3.0
    rows: list[list[object]] = []
    sent = 0
    with tempfile.TemporaryDirectory(prefix="plivo-bench-") as workdir:
        db = Path(workdir) / "sandbox.db"
        port = free_port()
        env = {**os.environ, "PLIVO_SANDBOX_AUTH_ID": AUTH_ID, "PLIVO_SANDBOX_AUTH_TOKEN": AUTH_TOKEN}
        process = subprocess.Popen(
            [CLI, "sandbox", "--port", str(port), "--db", str(db)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}/v1/Account/{AUTH_ID}/Message/"
        headers = [f"authorization: {BASIC_AUTH}", "accept: application/json"]
        try:
            wait_until_up(f"http://127.0.0.1:{port}/v1/Account/{AUTH_ID}/")
            operations = {
                "sendMessage (POST .../Message/)": {"method": "POST", "body": SEND_BODY, "status": 202},
                "getMessages (GET .../Message/, 20 per page)": {"method": "GET", "status": 200},
            }
            for name, call in operations.items():
                for concurrency in CONCURRENCY:
                    progress(f"sandbox: {name} c={concurrency}")
                    result = run_loadgen(
                        base,
                        headers=headers,
                        concurrency=concurrency,
                        duration=duration,
                        warmup=0.3,
                        **call,  # type: ignore[arg-type]
                    )
                    if call["method"] == "POST":
                        sent += result["requests"]
                    summary = Summary.of([ns / 1e9 for ns in result["latencies_ns"]])
                    rows.append(
                        [
                            name,
                            concurrency,
                            f"{result['requests'] / result['seconds']:,.0f}",
                            ms(summary.median),
                            ms(summary.p99),
                            result["errors"],
                        ]
                    )
        finally:
            stop(process)
        size_mb = sum(p.stat().st_size for p in Path(workdir).iterdir()) / 1e6
    markdown = (
        "Requests per second against `plivo-blocks sandbox` with a SQLite file database, one process; "
        f"`getMessages` ran with about {sent:,} messages stored (database {size_mb:.1f} MB).\n\n"
        + markdown_table(["call", "concurrency", "req/s", "p50", "p99", "errors"], rows)
    )
    targets: list[Target] = []
    emit("6. Sandbox", markdown, targets, opts.json_out)


if __name__ == "__main__":
    main()
