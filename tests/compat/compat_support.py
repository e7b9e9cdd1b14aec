"""What the compatibility suite shares: the sandbox process, its credentials, and Node.

- ``start_sandbox(workdir) -> SandboxProcess``: ``plivo-blocks sandbox --port <free> --db
  <workdir>/compat.db`` as its own process with known main credentials, once it answers
  ``/_sandbox/health``; ``.stop()`` ends it.
- ``node_executable()``: ``node``, once ``make node-deps`` has installed the pinned npm ``plivo``;
  otherwise the test fails saying what to run (it never skips).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

NODE_DIR = Path(__file__).parent / "node"
SCRIPT = NODE_DIR / "compat.js"
CLI = Path(sys.executable).with_name("plivo-blocks")
AUTH_ID = "MACOMPATNODESDK00001"
AUTH_TOKEN = "compat-node-sdk-token-4f9a1c2e7b"
#: Every wait here is bounded; reaching a bound means something hung.
PATIENCE = 20.0
NODE_TIMEOUT = 120.0


@dataclass
class SandboxProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    http: httpx.Client  # the main account's Basic auth, for cross-checks
    auth_id: str = AUTH_ID

    def account_path(self, path: str = "") -> str:
        return f"/v1/Account/{self.auth_id}/{path}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(PATIENCE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(PATIENCE)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_sandbox(workdir: Path) -> SandboxProcess:
    port = _free_port()
    log = workdir / "sandbox.log"
    credentials = {"PLIVO_SANDBOX_AUTH_ID": AUTH_ID, "PLIVO_SANDBOX_AUTH_TOKEN": AUTH_TOKEN}
    command = [
        str(CLI),
        "sandbox",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        str(workdir / "compat.db"),
        "--clock",
        "manual",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **credentials}
        )
    url = f"http://127.0.0.1:{port}"
    served = SandboxProcess(
        process, url, log, httpx.Client(base_url=url, auth=(AUTH_ID, AUTH_TOKEN), timeout=PATIENCE)
    )
    deadline = time.monotonic() + PATIENCE
    while True:
        if process.poll() is not None:
            served.stop()
            raise AssertionError(f"the sandbox exited with {process.returncode}:\n{served.output()}")
        try:
            if served.http.get("/_sandbox/health").status_code == 200:
                return served
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            served.stop()
            raise AssertionError(f"the sandbox did not come up:\n{served.output()}")
        time.sleep(0.05)


def node_executable() -> str:
    """``node``, or a failure saying how to get it and the package (the suite never skips)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: run `make node-deps` (part of `make test`)", pytrace=False)
    if not (NODE_DIR / "node_modules" / "plivo" / "package.json").is_file():
        pytest.fail(
            f"the npm package plivo is not installed in {NODE_DIR}: run `make node-deps` (part of `make test`)",
            pytrace=False,
        )
    return node
