"""Fixtures for the compatibility suite: a real sandbox process, driven by the official Node SDK.

- ``sandbox_process``: :func:`compat_support.start_sandbox` for the module (stopped at the end):
  ``.url``, ``.http`` (an httpx client with the main account's Basic auth), ``.auth_id``.
- ``node_report``: runs ``node tests/compat/node/compat.js`` once against that process and returns
  its report, ``{scenario: {"ok": True, "data": {...}} | {"ok": False, "error": {...}}}``.
- ``node_scenario(name)``: the data of one scenario, or a failure that shows the Node error.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from compat_support import (
    AUTH_ID,
    AUTH_TOKEN,
    NODE_DIR,
    NODE_TIMEOUT,
    SCRIPT,
    SandboxProcess,
    node_executable,
    start_sandbox,
)


@pytest.fixture(scope="module")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    served = start_sandbox(tmp_path_factory.mktemp("compat-sandbox"))
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def node_report(sandbox_process: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = node_executable()
    report_path = tmp_path_factory.mktemp("compat-report") / "report.json"
    environment = {
        **os.environ,
        "SANDBOX_URL": sandbox_process.url,
        "PLIVO_AUTH_ID": AUTH_ID,
        "PLIVO_AUTH_TOKEN": AUTH_TOKEN,
    }
    ran = subprocess.run(
        [node, str(SCRIPT), str(report_path)],
        cwd=NODE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        check=False,
    )
    assert ran.returncode == 0, f"compat.js failed ({ran.returncode}):\n{ran.stderr}\n{ran.stdout}"
    report: dict[str, Any] = json.loads(report_path.read_text())
    return report


@pytest.fixture(scope="module")
def node_scenario(node_report: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
    def data(name: str) -> dict[str, Any]:
        outcome = node_report[name]
        if not outcome["ok"]:
            error = outcome["error"]
            pytest.fail(
                f"Node scenario {name!r} failed (status {error.get('status')}): {error.get('message')}\n"
                f"{error.get('stack')}",
                pytrace=False,
            )
        result: dict[str, Any] = outcome["data"]
        return result

    return data
