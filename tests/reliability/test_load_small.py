"""The load run of ``benchmarks/load.py``, small: 20 concurrent clients for 3 seconds through
``plivo-blocks serve --sandbox``. Zero failed requests, nothing lost, nothing duplicated, nothing
stored that was not acknowledged, server memory levelling off. (The full run, 200 clients for
30 s, is ``python benchmarks/load.py``; its figures are in the README's Reliability section.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.wallclock  # a timed load run

ROOT = Path(__file__).resolve().parents[2]
LOAD = ROOT / "benchmarks" / "load.py"


def test_small_load_run_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    figures_path = tmp_path / "load.json"
    run = subprocess.run(
        [sys.executable, str(LOAD), "--clients", "20", "--seconds", "3", "--json-out", str(figures_path)],
        capture_output=True,
        text=True,
        timeout=180,  # outer bound: the run itself takes a few seconds
    )
    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(figures_path.read_text())
    assert figures["ok"] is True
    assert figures["clients"] == 20
    assert figures["failed"] == 0 and figures["failures"] == {}
    assert figures["sent_acknowledged"] > 0
    assert figures["stored"] == figures["sent_acknowledged"]
    assert figures["lost"] == 0
    assert figures["duplicated_uuids"] == 0 and figures["duplicated_texts"] == 0
    assert figures["unacknowledged_stored"] == 0
    assert figures["read_backs"] > 0
    assert figures["memory_bounded"] is True
    assert "verdict             OK" in run.stdout
