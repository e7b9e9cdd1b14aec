"""Benchmark 8: ``serve --sandbox`` under 200 clients for 30 s (``benchmarks/load.py``), as a benchmark.

The gateway and the sandbox in one process, a SQLite file; 200 concurrent clients (raw asyncio HTTP/1.1, each on
its own keep-alive connection, in one process) loop three ``sendMessage`` and one
``getSingleMessage`` through the gateway for 30 s; then every acknowledged message is looked for
in the sandbox (nothing lost, nothing stored twice, nothing stored unacknowledged) and the
server's memory must have levelled off. Targets: p99 latency ≤ 300 ms, nothing lost.
``--quick``: 200 clients for 5 s.
"""

from __future__ import annotations

from common import Target, emit, markdown_table, options, progress
from load import run

CLIENTS = 200
P99_TARGET_MS = 300.0


def main() -> None:
    opts = options(__doc__.splitlines()[0])
    seconds = 5.0 if opts.quick else 30.0
    progress(f"serve --sandbox: {CLIENTS} clients for {seconds:g} s")
    figures = run(CLIENTS, seconds, rss_slack_mb=32.0, sample_every=0.25)
    kept = (
        figures.failed == 0
        and figures.lost == 0
        and figures.duplicated_uuids == 0
        and figures.duplicated_texts == 0
        and figures.unacknowledged_stored == 0
    )
    rows = [
        ["requests (all answered)", f"{figures.requests:,} in {figures.seconds:g} s", ""],
        ["throughput", f"{figures.requests_per_second:,.0f} req/s", ""],
        ["latency p50 / p99", f"{figures.latency_p50_ms:,.0f} / {figures.latency_p99_ms:,.0f} ms", ""],
        ["failed requests", figures.failed, ", ".join(f"{k}: {v}" for k, v in figures.failures.items())],
        [
            "messages acknowledged / stored",
            f"{figures.sent_acknowledged:,} / {figures.stored:,}",
            f"lost {figures.lost}, stored twice {figures.duplicated_uuids} (uuid) / {figures.duplicated_texts} "
            f"(text), stored unacknowledged {figures.unacknowledged_stored}",
        ],
        ["read back (getSingleMessage)", f"{figures.read_backs:,}", ""],
        [
            "server RSS",
            f"{figures.rss_mb_start:.0f} → {figures.rss_mb_end:.0f} MB",
            "levels off" if figures.memory_bounded else "KEEPS GROWING",
        ],
    ]
    markdown = (
        f"`plivo-blocks serve --sandbox` (one process, SQLite file; Plivo's limits lifted), "
        f"{CLIENTS} concurrent clients for {seconds:g} s (`benchmarks/load.py`).\n\n"
        + markdown_table(["figure", "value", "note"], rows)
    )
    targets = [
        Target(
            f"serve --sandbox, {CLIENTS} clients for {seconds:g} s: p99",
            f"≤ {P99_TARGET_MS:.0f} ms",
            f"{figures.latency_p99_ms:,.0f} ms (p50 {figures.latency_p50_ms:,.0f} ms, "
            f"{figures.requests_per_second:,.0f} req/s)",
            figures.latency_p99_ms <= P99_TARGET_MS,
        ),
        Target(
            f"serve --sandbox, {CLIENTS} clients: nothing lost",
            "0 lost, 0 twice, 0 failed",
            f"{figures.lost} lost, {figures.duplicated_uuids} twice, {figures.failed} failed "
            f"of {figures.sent_acknowledged:,} acknowledged",
            kept and figures.sent_acknowledged > 0,
        ),
    ]
    emit("8. serve --sandbox under load", markdown, targets, opts.json_out)


if __name__ == "__main__":
    main()
