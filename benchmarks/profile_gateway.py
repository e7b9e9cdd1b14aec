"""Where the gateway's time per request goes: py-spy samples a running gateway under load.

Starts the fast upstream and ``plivo-blocks serve`` (one worker), loads it with the load generator
(one block, one concurrency), samples the gateway's process with ``py-spy record`` meanwhile, and
prints what share of the samples each layer (package) accounts for, by inclusive and by own
("self") time, plus the heaviest functions. Not part of ``make bench``: py-spy needs
``pip install -e '.[bench]'`` and permission to trace processes (``ptrace``).

    python benchmarks/profile_gateway.py --block sendMessage --concurrency 16 --seconds 8

``--gil`` samples only while the gateway holds the GIL (its Python work, without system calls
and waits).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import (
    AUTH_ID,
    AUTH_TOKEN,
    SEND_ARGS,
    fast_upstream,
    gateway,
    markdown_table,
    run_loadgen,
)

#: Layers, innermost first: a sample's self time goes to the layer of its innermost frame.
LAYERS = (
    ("h11", "h11/"),
    ("aiohttp", "aiohttp/"),
    ("prometheus_client", "prometheus_client/"),
    ("httpcore", "httpcore/"),
    ("anyio", "anyio/"),
    ("httpx", "httpx/"),
    ("json", "json/"),
    ("logging", "logging/"),
    ("uvicorn", "uvicorn/"),
    ("starlette", "starlette/"),
    ("plivo_blocks.catalog", "plivo_blocks/catalog/"),
    ("plivo_blocks.client", "plivo_blocks/client/"),
    ("plivo_blocks.gateway", "plivo_blocks/gateway/"),
    ("asyncio", "asyncio/"),
)
FRAME = re.compile(r"(?P<function>.*) \((?P<file>.*):(?P<line>\d+)\)$")


def layer_of(path: str) -> str:
    for name, marker in LAYERS:
        if marker in path:
            return name
    return "other"


def parse(raw: Path) -> tuple[int, Counter[str], Counter[str], Counter[str], Counter[str]]:
    """Total samples, inclusive samples per layer, self samples per layer, self per function,
    inclusive per function."""
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    functions_inclusive: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        total += count
        frames = [FRAME.match(f) for f in stack.split(";")]
        layers = {layer_of(f["file"]) for f in frames if f}
        for name in layers:
            inclusive[name] += count
        for name in {_short_name(f) for f in frames if f}:
            functions_inclusive[name] += count
        innermost = frames[-1]
        if innermost:
            own[layer_of(innermost["file"])] += count
            functions[_short_name(innermost)] += count
    return total, inclusive, own, functions, functions_inclusive


def _short_name(frame: re.Match[str]) -> str:
    short = frame["file"].split("site-packages/")[-1].split("src/")[-1]
    return f"{frame['function']} ({short})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block", default="getAccountDetails", choices=["getAccountDetails", "sendMessage"])
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=400, help="py-spy samples per second")
    parser.add_argument("--gil", action="store_true", help="only samples holding the GIL")
    parser.add_argument(
        "--top-inclusive", type=int, default=25, help="our functions listed by inclusive share"
    )
    opts = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        sys.exit("py-spy is not installed: pip install -e '.[bench]'")

    args = {"authId": AUTH_ID, "authToken": AUTH_TOKEN}
    if opts.block == "sendMessage":
        args |= SEND_ARGS
    with (
        tempfile.TemporaryDirectory() as workdir,
        fast_upstream() as upstream,
        gateway(upstream) as (url, pid),
    ):
        raw = Path(workdir) / "samples.txt"
        command = [py_spy, "record", "--pid", str(pid), "--duration", str(int(opts.seconds)), "--rate"]
        command += [str(opts.rate), "--format", "raw", "--output", str(raw), "--nonblocking"]
        if opts.gil:
            command.append("--gil")
        sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        result = run_loadgen(
            f"{url}/api/Plivo/{opts.block}",
            method="POST",
            body=json.dumps({"args": args}),
            concurrency=opts.concurrency,
            duration=opts.seconds - 1,
            warmup=0.2,
            expect='"callback":"success"',
        )
        sampler.wait(timeout=opts.seconds + 30)
        if not raw.exists():
            sys.exit("py-spy recorded nothing (is ptrace allowed here?)")
        total, inclusive, own, functions, functions_inclusive = parse(raw)

    rate = result["requests"] / result["seconds"]
    print(f"## {opts.block}, concurrency {opts.concurrency}: {rate:,.0f} req/s, {total:,} samples\n")
    rows = [
        [name, f"{100 * inclusive[name] / total:.1f}%", f"{100 * own[name] / total:.1f}%"]
        for name, _ in own.most_common()
    ]
    print(markdown_table(["layer", "inclusive", "self"], rows) + "\n")
    top = [[name, f"{100 * count / total:.1f}%"] for name, count in functions.most_common(15)]
    print(markdown_table(["function (self)", "share"], top) + "\n")
    ours = [
        [name, f"{100 * count / total:.1f}%"]
        for name, count in functions_inclusive.most_common()
        if "plivo_blocks/" in name or "logging/" in name
    ][: opts.top_inclusive]
    print(markdown_table(["plivo_blocks and logging functions (inclusive)", "share"], ours))


if __name__ == "__main__":
    main()
