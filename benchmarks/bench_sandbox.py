"""Benchmark 6: the sandbox (the local fake Plivo) with a file database, beside moto's server.

``plivo-blocks sandbox --db <file>`` and ``moto_server`` (moto's stand-alone AWS, the field's
reference emulator) in their own processes, called by the load generator (its own process) at
concurrency 1 and 16, the contenders taking turns in rounds so that a slow moment hits them alike:

- a write: ``sendMessage`` (``POST .../Message/``: authenticates, validates, prices and stores the
  message, persists its status callback, schedules its lifecycle) against moto's SNS ``Publish``;
- a read: ``getAccountDetails`` (``GET .../``) against moto's SNS ``GetTopicAttributes``;
- ``getMessages`` (the first page of 20, with the total count) after the sends, alone.

moto's server (werkzeug) closes the connection after each answer; the load generator reconnects,
and the reconnect counts in moto's latency, as it does for any client of it. The sandbox runs with
Plivo's request limit off (``api_requests_per_5s: 0``): the point is its speed, not its 429s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from common import (
    AUTH_ID,
    AUTH_TOKEN,
    BASIC_AUTH,
    BIN,
    CLI,
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
from floor import start_floor

CONCURRENCY = (1, 16)
MOTO_AUTH = (
    "authorization: AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/sns/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
MOTO_FORM = "content-type: application/x-www-form-urlencoded"
TOPIC = "arn:aws:sns:us-east-1:123456789012:bench"
FLOOR = "floor: hello-world Starlette, same server stack"


def _control(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"authorization": BASIC_AUTH, "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def start_sandbox(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``plivo-blocks sandbox --db <db>`` in its own process, up; answers it and its base URL."""
    port = free_port()
    env = {**os.environ, "PLIVO_SANDBOX_AUTH_ID": AUTH_ID, "PLIVO_SANDBOX_AUTH_TOKEN": AUTH_TOKEN}
    process = subprocess.Popen(
        [CLI, "sandbox", "--port", str(port), "--db", str(db), "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/_sandbox/health")
    except BaseException:
        stop(process)
        raise
    return process, url


def prepare_sandbox(url: str) -> str:
    """Lift the request limit and rent a number to send from; answers it."""
    _control(url, "PATCH", "/_sandbox/settings", {"api_requests_per_5s": 0})
    base = f"/v1/Account/{AUTH_ID}/PhoneNumber/?country_iso=US&type=local&limit=1"
    number = str(_control(url, "GET", base)["objects"][0]["number"])
    _control(url, "POST", f"/v1/Account/{AUTH_ID}/PhoneNumber/{number}/", {})
    return number


def sandbox_calls(sandbox: str, src: str) -> dict[str, dict[str, Any]]:
    """The sandbox's two measured calls, as ``run_loadgen`` arguments."""
    send = {"src": src, "dst": "14155550101", "text": "Hello from bench"}
    plivo_headers = [f"authorization: {BASIC_AUTH}", "accept: application/json"]
    return {
        "sandbox sendMessage": dict(
            url=f"{sandbox}/v1/Account/{AUTH_ID}/Message/",
            method="POST",
            body=send,
            status=202,
            headers=plivo_headers,
        ),
        "sandbox getAccountDetails": dict(
            url=f"{sandbox}/v1/Account/{AUTH_ID}/", method="GET", status=200, headers=plivo_headers
        ),
    }


def _prepare_moto(url: str) -> None:
    request = urllib.request.Request(
        url + "/",
        method="POST",
        data=b"Action=CreateTopic&Name=bench&Version=2010-03-31",
        headers={
            "authorization": MOTO_AUTH.split(": ", 1)[1],
            "content-type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert b"TopicArn" in answer.read()


def _operations(sandbox: str, moto: str, floor: str, src: str) -> dict[str, dict[str, Any]]:
    moto_headers = [MOTO_AUTH, MOTO_FORM]
    ours = sandbox_calls(sandbox, src)
    return {
        "sandbox sendMessage": ours["sandbox sendMessage"],
        "moto SNS Publish": dict(
            url=f"{moto}/",
            method="POST",
            status=200,
            headers=moto_headers,
            body=f"Action=Publish&TopicArn={TOPIC}&Message=Hello+from+bench&Version=2010-03-31",
        ),
        "sandbox getAccountDetails": ours["sandbox getAccountDetails"],
        "moto SNS GetTopicAttributes": dict(
            url=f"{moto}/",
            method="POST",
            status=200,
            headers=moto_headers,
            body=f"Action=GetTopicAttributes&TopicArn={TOPIC}&Version=2010-03-31",
        ),
        FLOOR: dict(url=f"{floor}/hello", method="GET", status=200),
    }


def main() -> None:
    opts = options(__doc__.splitlines()[0])
    duration, rounds = (1.0, 1) if opts.quick else (3.0, 3)
    throughput: dict[tuple[str, int], list[float]] = {}
    latencies: dict[tuple[str, int], list[float]] = {}
    errors: dict[tuple[str, int], int] = {}
    with tempfile.TemporaryDirectory(prefix="plivo-bench-") as workdir:
        moto_port = free_port()
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        moto_process = subprocess.Popen([str(BIN / "moto_server"), "-p", str(moto_port)], **quiet)
        moto = f"http://127.0.0.1:{moto_port}"
        sandbox_process, sandbox = start_sandbox(Path(workdir) / "sandbox.db")
        floor_process, floor = start_floor()
        try:
            wait_until_up(f"{moto}/moto-api/")
            src = prepare_sandbox(sandbox)
            _prepare_moto(moto)
            operations = _operations(sandbox, moto, floor, src)
            for round_number in range(1, rounds + 1):
                for concurrency in CONCURRENCY:
                    for name, call in operations.items():
                        progress(f"sandbox vs moto, round {round_number}: {name} c={concurrency}")
                        result = run_loadgen(concurrency=concurrency, duration=duration, warmup=0.3, **call)
                        key = (name, concurrency)
                        throughput.setdefault(key, []).append(result["requests"] / result["seconds"])
                        latencies.setdefault(key, []).extend(ns / 1e9 for ns in result["latencies_ns"])
                        errors[key] = errors.get(key, 0) + result["errors"]
            progress("sandbox: getMessages c=16")
            listing = run_loadgen(
                f"{sandbox}/v1/Account/{AUTH_ID}/Message/",
                headers=[f"authorization: {BASIC_AUTH}"],
                concurrency=16,
                duration=duration,
                warmup=0.3,
            )
        finally:
            stop(sandbox_process)
            stop(moto_process)
            stop(floor_process)
        size_mb = sum(p.stat().st_size for p in Path(workdir).iterdir()) / 1e6

    def rate(name: str, concurrency: int) -> float:
        return statistics.median(throughput[(name, concurrency)])

    rows = []
    for (name, concurrency), rates in throughput.items():
        summary = Summary.of(latencies[(name, concurrency)])
        rows.append(
            [
                name,
                concurrency,
                f"{statistics.median(rates):,.0f}",
                ms(summary.median),
                ms(summary.p99),
                errors[(name, concurrency)],
            ]
        )
    listing_summary = Summary.of([ns / 1e9 for ns in listing["latencies_ns"]])
    rows.append(
        [
            "sandbox getMessages (20 per page)",
            16,
            f"{listing['requests'] / listing['seconds']:,.0f}",
            ms(listing_summary.median),
            ms(listing_summary.p99),
            listing["errors"],
        ]
    )
    write_ratio = rate("sandbox sendMessage", 16) / rate("moto SNS Publish", 16)
    read_ratio = rate("sandbox getAccountDetails", 16) / rate("moto SNS GetTopicAttributes", 16)
    # What no sandbox call can beat on this server stack: a hello-world endpoint, against moto's.
    floor_write = rate(FLOOR, 16) / rate("moto SNS Publish", 16)
    floor_read = rate(FLOOR, 16) / rate("moto SNS GetTopicAttributes", 16)
    targets = [
        Target(
            "sandbox sendMessage vs moto SNS Publish, c=16",
            "≥ 4×",
            f"{write_ratio:.1f}×",
            write_ratio >= 4,
            f"floor (hello-world on the same stack): {floor_write:.1f}×",
        ),
        Target(
            "sandbox getAccountDetails vs moto reads, c=16",
            "≥ 8×",
            f"{read_ratio:.1f}×",
            read_ratio >= 8,
            f"floor (hello-world on the same stack): {floor_read:.1f}×",
        ),
    ]
    markdown = (
        f"Requests per second (median of {rounds} interleaved round(s) of {duration:g} s), latency over all "
        f"rounds; `plivo-blocks sandbox` with a SQLite file (database {size_mb:.1f} MB at the end) and "
        "`moto_server`, each one process.\n\n"
        + markdown_table(["call", "concurrency", "req/s", "p50", "p99", "errors"], rows)
    )
    emit("6. Sandbox, beside moto", markdown, targets, opts.json_out)


if __name__ == "__main__":
    main()
