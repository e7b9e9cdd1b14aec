"""Suite-wide pytest configuration."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from hypothesis import settings

# pytester: the plivo_blocks pytest plugin is tested by running pytest on small test files.
pytest_plugins = ["support.fixtures", "support.browser", "pytester"]

# Gateways started by the tests (in process from the environment, or as `plivo-blocks serve`) keep
# their state (idempotency keys, pacing) here, never in the user's ~/.local/state.
_STATE_DIR = tempfile.mkdtemp(prefix="plivo-blocks-test-state-")
os.environ["PLIVO_BLOCKS_STATE_DIR"] = _STATE_DIR

# CI explores the same examples on every run (a red CI must mean a change broke something, not that
# a new random example was drawn); local runs draw new ones and keep exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def _remove_state_dir() -> Iterator[None]:
    yield
    shutil.rmtree(_STATE_DIR, ignore_errors=True)
