"""What every benchmark shares: statistics, markdown tables, the machine's description, the
processes it starts (the fast upstream, the gateway, the sandbox, the load generator) and the
way a benchmark hands its results to ``run_all.py``.

Each benchmark script prints its markdown section; with ``--json-out PATH`` it also writes
``{"title", "markdown", "targets"}`` there for ``run_all.py``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
CLI = str(BIN / "plivo-blocks")

#: Credentials every benchmark uses against the fast upstream (which does not check them). The
#: id has the shape the official SDK insists on (MA + 18 characters).
AUTH_ID = "MAXXXXXXXXXXXXXXXXXX"
AUTH_TOKEN = "bench-token-not-a-secret"
BASIC_AUTH = "Basic " + base64.b64encode(f"{AUTH_ID}:{AUTH_TOKEN}".encode()).decode()

SEND_ARGS: dict[str, str] = {"src": "14155550100", "destination": "14155550101", "text": "Hello from bench"}
#: What Plivo receives for ``sendMessage`` (the catalog maps ``destination`` to ``dst``).
SEND_BODY: dict[str, str] = {"src": "14155550100", "dst": "14155550101", "text": "Hello from bench"}


# -- statistics -------------------------------------------------------------------------------


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of already sorted values, by the nearest-rank method."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    """Seconds per operation: the median, p99 and count."""

    median: float
    p99: float
    count: int

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Summary:
        ordered = sorted(seconds)
        return cls(percentile(ordered, 50), percentile(ordered, 99), len(ordered))


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds * 1e6 >= 100 else f"{seconds * 1e6:,.1f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f} ms"


def ratio(value: float) -> str:
    return f"{value:.2f}×"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


# -- the machine ------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return found.group(1).strip() if found else platform.processor() or "unknown CPU"


def machine_description() -> str:
    load = os.getloadavg()
    return (
        f"{cpu_model()}, {os.cpu_count()} cores; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()} ({platform.python_implementation()}); "
        f"load average at start {load[0]:.2f}"
    )


def versions() -> str:
    from importlib.metadata import version

    names = ["plivo-blocks", "httpx", "starlette", "uvicorn", "h11", "plivo", "requests"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except Exception:
            continue
    return ", ".join(found)


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One target of issue 5 and how this run fared against it."""

    name: str
    goal: str
    measured: str
    met: bool
    note: str = ""


def options(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json-out", type=Path, default=None, help="also write the results here")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    return parser.parse_args()


def emit(title: str, markdown: str, targets: Sequence[Target], json_out: Path | None) -> None:
    print(f"## {title}\n\n{markdown}\n", flush=True)
    if targets:
        print(targets_table(targets) + "\n", flush=True)
    if json_out is not None:
        json_out.write_text(
            json.dumps({"title": title, "markdown": markdown, "targets": [asdict(t) for t in targets]})
        )


def targets_table(targets: Sequence[Target]) -> str:
    rows = [(t.name, t.goal, t.measured, "met" if t.met else "**not met**", t.note) for t in targets]
    return markdown_table(["target", "goal", "measured", "", "note"], rows)


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


# -- processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status < 500:
                    return
        except urllib.error.HTTPError as refused:
            if refused.code < 500:  # e.g. a 401: something is listening and answering
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing answered at {url} within {timeout:.0f} s")
        time.sleep(0.05)


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGINT (uvicorn's graceful shutdown), then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_ready(args: list[str], what: str, **popen: Any) -> tuple[subprocess.Popen[str], str]:
    """Start a benchmark server that prints ``READY <port>`` once it listens on loopback; answer
    the process and its base URL (the process is killed if its first line says otherwise)."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, **popen)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("READY "):
        process.kill()
        raise RuntimeError(f"{what} did not start: {line!r}")
    return process, f"http://127.0.0.1:{int(line.split()[1])}"


@contextmanager
def fast_upstream(delay_ms: float = 0.0) -> Iterator[str]:
    """The fast upstream in its own process; yields its base URL (``http://127.0.0.1:<port>``),
    which :data:`UPSTREAM_PIDS` maps to the process's pid meanwhile."""
    process, url = start_ready(
        [PYTHON, str(HERE / "fast_upstream.py"), "--port", "0", "--delay-ms", str(delay_ms)],
        "the fast upstream",
    )
    try:
        UPSTREAM_PIDS[url] = process.pid
        yield url
    finally:
        stop(process)


#: The pid of each running fast upstream, by URL (for CPU accounting).
UPSTREAM_PIDS: dict[str, int] = {}


@contextmanager
def floor_server(mode: str, upstream_url: str) -> Iterator[tuple[str, int]]:
    """``floor_servers.py --mode hello|proxy`` in its own process; yields its URL and pid."""
    process, url = start_ready(
        [PYTHON, str(HERE / "floor_servers.py"), "--mode", mode, "--upstream", upstream_url],
        f"the {mode} floor server",
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(url + "/healthz")
        yield url, process.pid
    finally:
        stop(process)


#: The benchmarks hammer one account far past Plivo's 300 requests per 5 s: pacing would measure
#: the limit, not the gateway. It is off unless a benchmark turns it on (bench_gateway_state.py).
UNPACED = {"PLIVO_BLOCKS_RATE_REQUESTS": "0", "PLIVO_BLOCKS_CALLS_PER_SECOND": "0"}


@contextmanager
def gateway(
    upstream_url: str, *, workers: int = 1, log_level: str = "info", env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """``plivo-blocks serve --workers N`` pointed at ``upstream_url``; yields its URL and pid.
    ``env`` adds settings (default: pacing off); its state goes to a fresh folder.

    Its log (the access log among it) goes to /dev/null: written, but not to a terminal.
    """
    import tempfile

    port = free_port()
    state = tempfile.mkdtemp(prefix="plivo-blocks-bench-state-")
    env = {
        **os.environ,
        "PLIVO_API_URL": upstream_url,
        "PLIVO_BLOCKS_STATE_DIR": state,
        **(UNPACED if env is None else env),
    }
    process = subprocess.Popen(
        [CLI, "serve", "--port", str(port), "--workers", str(workers), "--log-level", log_level],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/healthz")
        if workers > 1:
            time.sleep(1.0)  # the supervisor answers once one worker is up; let the others start
        yield url, process.pid
    finally:
        stop(process)
        import shutil

        shutil.rmtree(state, ignore_errors=True)


#: "Today" for the targets of issue 12: main before that work (h11 server protocol, asyncio's
#: loop, httpx/httpcore towards the upstream), run from this commit's sources with this venv.
BASELINE_COMMIT = "95c78c5"

_FULL_COMMITS = {BASELINE_COMMIT: "95c78c5a233fb6392bdc6b79c80f6f56a791dee1"}

_BASELINE_LAUNCHER = """
import sys
sys.path.insert(0, sys.argv[1])
import plivo_blocks.serving as serving
assert serving.__file__.startswith(sys.argv[1]), serving.__file__
build = serving.uvicorn_config
def on_loop(*args, **kwargs):
    config = build(*args, **kwargs)
    config.loop = sys.argv[4]  # "asyncio": what uvicorn's "auto" picked before uvloop was a dependency
    return config
serving.uvicorn_config = on_loop
serving.serve_gateway("127.0.0.1", int(sys.argv[2]), log_level=sys.argv[3], announce=lambda line: None)
"""


@contextmanager
def baseline_sources(commit: str = BASELINE_COMMIT) -> Iterator[Path]:
    """The ``src`` folder of ``commit`` (``git archive``), in a temporary folder; raises
    RuntimeError when this is not a git checkout holding that commit."""
    import shutil
    import tarfile
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="plivo-blocks-baseline-"))
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", _FULL_COMMITS.get(commit, commit), "src"],
            capture_output=True,
            check=False,
        )
        if archive.returncode != 0:
            raise RuntimeError(f"cannot read commit {commit}: {archive.stderr.decode().strip()}")
        tar_path = folder / "src.tar"
        tar_path.write_bytes(archive.stdout)
        with tarfile.open(tar_path) as tar:
            tar.extractall(folder, filter="data")
        yield folder / "src"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def baseline_gateway(
    upstream_url: str,
    *,
    log_level: str = "info",
    env: dict[str, str] | None = None,
    commit: str = BASELINE_COMMIT,
    loop: str = "asyncio",
) -> Iterator[tuple[str, int]]:
    """The gateway as it was at ``commit`` (one worker, on ``loop``), from that commit's sources;
    yields its URL and pid like :func:`gateway`."""
    import tempfile

    with baseline_sources(commit) as src, tempfile.TemporaryDirectory(prefix="plivo-blocks-bench-") as state:
        port = free_port()
        process_env = {
            **os.environ,
            "PLIVO_API_URL": upstream_url,
            "PLIVO_BLOCKS_STATE_DIR": state,
            **(UNPACED if env is None else env),
        }
        process = subprocess.Popen(
            [PYTHON, "-c", _BASELINE_LAUNCHER, str(src), str(port), log_level, loop],
            env=process_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url + "/healthz")
            yield url, process.pid
        finally:
            stop(process)


def run_loadgen(
    url: str,
    *,
    method: str = "GET",
    body: object = None,
    headers: Sequence[str] = (),
    concurrency: int = 1,
    duration: float | None = 3.0,
    requests: int | None = None,
    warmup: float = 0.5,
    status: int = 200,
    expect: str | None = None,
    unique_header: str | None = None,
) -> dict[str, Any]:
    """The load generator in its own process; answers its JSON result."""
    command = [
        PYTHON,
        str(HERE / "loadgen.py"),
        "--url",
        url,
        "--method",
        method,
        "--concurrency",
        str(concurrency),
        "--warmup",
        str(warmup),
        "--status",
        str(status),
    ]
    if body is not None:
        command += ["--body", body if isinstance(body, str) else json.dumps(body)]
    for header in headers:
        command += ["--header", header]
    if duration is not None:
        command += ["--duration", str(duration)]
    if requests is not None:
        command += ["--requests", str(requests)]
    if expect is not None:
        command += ["--expect", expect]
    if unique_header is not None:
        command += ["--unique-header", unique_header]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if finished.returncode != 0:
        raise RuntimeError(f"the load generator failed: {finished.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(finished.stdout)
    # Its own CPU time (warm-up included): with the upstream's, what the measured server competes with.
    result["loadgen_cpu_seconds"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stat_fields(pid: int) -> list[str]:
    # Fields after the command name, which may itself contain spaces and parentheses.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its direct children, e.g. uvicorn's workers."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total = 0
    for each in pids:
        try:
            fields = _stat_fields(each)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick
