"""The browser fixture itself: without a Chromium, a test that needs one fails; it never skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_a_missing_chromium_fails_the_test_and_never_skips_it(tmp_path: Path) -> None:
    (tmp_path / "test_needs_a_browser.py").write_text(
        "def test_opens_a_page(page):\n    page.goto('about:blank')\n"
    )
    env = {
        **os.environ,
        "CI": "true",
        "PLIVO_BLOCKS_CHROMIUM": str(tmp_path / "no" / "chromium"),
        "PYTHONPATH": str(TESTS),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "support.browser", "-c", os.devnull, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # tests failed (pytest's 1), not skipped or passed
    assert "1 error" in out and "skipped" not in out, out
    assert f"no Chromium at {tmp_path / 'no' / 'chromium'}" in out
    assert "apt-get install -y chromium" in out  # says how to get one
