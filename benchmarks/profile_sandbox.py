"""Where the sandbox's time per request goes: py-spy samples a running sandbox under load.

Starts ``plivo-blocks sandbox --db <file>`` (its own process, Plivo's request limit lifted, a
number rented to send from), loads it with the load generator (one call, one concurrency) and
samples the sandbox's process with ``py-spy record`` meanwhile (all its threads: the event loop
and the store's worker threads). Prints the share of the samples each layer accounts for, by
inclusive and own ("self") time, the threads' shares, and the heaviest functions. ``--floor``
profiles a hello-world Starlette endpoint on the same server stack instead (the floor of any
sandbox call). Not part of ``make bench``: py-spy needs ``pip install -e '.[bench]'`` and
permission to trace processes (``ptrace``).

    python benchmarks/profile_sandbox.py --call sendMessage --concurrency 16 --seconds 8

``--gil`` samples only while the sandbox holds the GIL (its Python work, without system calls and
waits); ``--idle`` keeps idle samples (threads waiting), to see waits on locks and threads.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench_sandbox import prepare_sandbox, sandbox_calls, start_sandbox
from common import markdown_table, run_loadgen, stop
from floor import start_floor

#: Layers, innermost first: a sample's self time goes to the layer of its innermost frame.
LAYERS = (
    ("sqlite3", "sqlite3/"),
    ("json", "json/"),
    ("h11", "h11/"),
    ("httptools", "httptools/"),
    ("anyio", "anyio/"),
    ("uvicorn", "uvicorn/"),
    ("starlette", "starlette/"),
    ("plivo_blocks.sandbox.store", "plivo_blocks/sandbox/store.py"),
    ("plivo_blocks.sandbox.webhooks", "plivo_blocks/sandbox/webhooks/"),
    ("plivo_blocks.sandbox.models", "plivo_blocks/sandbox/models/"),
    ("plivo_blocks.sandbox (other)", "plivo_blocks/sandbox/"),
    ("plivo_blocks (other)", "plivo_blocks/"),
    ("threading", "threading.py"),
    ("concurrent", "concurrent/"),
    ("asyncio", "asyncio/"),
)
FRAME = re.compile(r"(?P<function>.*) \((?P<file>.*):(?P<line>\d+)\)$")


def layer_of(path: str) -> str:
    for name, marker in LAYERS:
        if marker in path:
            return name
    return "other"


def parse(raw: Path) -> tuple[int, Counter[str], Counter[str], Counter[str], Counter[str]]:
    """Total samples; inclusive and self samples per layer; self per function; per thread."""
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        total += count
        thread, _, stack = stack.partition(";")  # recorded with --threads: "thread (0x…)" first
        threads[thread] += count
        frames = [FRAME.match(f) for f in stack.split(";")]
        for name in {layer_of(f["file"]) for f in frames if f}:
            inclusive[name] += count
        innermost = frames[-1]
        if innermost:
            own[layer_of(innermost["file"])] += count
            short = innermost["file"].split("site-packages/")[-1].split("src/")[-1]
            short = short.split("lib/python3")[-1]
            functions[f"{innermost['function']} ({short})"] += count
    return total, inclusive, own, functions, threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--call", default="sendMessage", choices=["sendMessage", "getAccountDetails"])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=400, help="py-spy samples per second")
    parser.add_argument("--gil", action="store_true", help="only samples holding the GIL")
    parser.add_argument("--idle", action="store_true", help="keep idle samples (waits)")
    parser.add_argument("--floor", action="store_true", help="a hello-world Starlette app instead")
    parser.add_argument("--keep", type=Path, default=None, help="also copy py-spy's raw samples here")
    opts = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        sys.exit("py-spy is not installed: pip install -e '.[bench]'")

    with tempfile.TemporaryDirectory(prefix="plivo-profile-") as workdir:
        if opts.floor:
            process, url = start_floor()
            call = {"url": f"{url}/hello", "method": "GET", "status": 200}
            label = "hello-world Starlette (the floor)"
        else:
            process, url = start_sandbox(Path(workdir) / "sandbox.db")
            call = sandbox_calls(url, prepare_sandbox(url))[f"sandbox {opts.call}"]
            label = f"sandbox {opts.call}"
        try:
            raw = Path(workdir) / "samples.txt"
            command = [py_spy, "record", "--pid", str(process.pid), "--duration", str(int(opts.seconds))]
            command += ["--rate", str(opts.rate), "--format", "raw", "--output", str(raw), "--nonblocking"]
            command.append("--threads")
            if opts.gil:
                command.append("--gil")
            if opts.idle:
                command.append("--idle")
            sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            result = run_loadgen(concurrency=opts.concurrency, duration=opts.seconds - 1, warmup=0.2, **call)
            sampler.wait(timeout=opts.seconds + 30)
        finally:
            stop(process)
        if not raw.exists():
            sys.exit("py-spy recorded nothing (is ptrace allowed here?)")
        if opts.keep:
            shutil.copy(raw, opts.keep)
        total, inclusive, own, functions, threads = parse(raw)

    rate = result["requests"] / result["seconds"]
    print(f"## {label}, concurrency {opts.concurrency}: {rate:,.0f} req/s, {total:,} samples\n")
    shares = [[n, f"{100 * c / total:.1f}%"] for n, c in threads.most_common(5)]
    print(markdown_table(["thread (the event loop's is the busiest)", "share"], shares) + "\n")
    rows = [
        [name, f"{100 * inclusive[name] / total:.1f}%", f"{100 * own[name] / total:.1f}%"]
        for name, _ in own.most_common()
    ]
    print(markdown_table(["layer", "inclusive", "self"], rows) + "\n")
    top = [[name, f"{100 * count / total:.1f}%"] for name, count in functions.most_common(20)]
    print(markdown_table(["function (self)", "share"], top))


if __name__ == "__main__":
    main()
