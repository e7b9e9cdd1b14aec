"""Suite-wide pytest configuration."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# pytester: the plivo_blocks pytest plugin is tested by running pytest on small test files.
pytest_plugins = ["support.fixtures", "support.browser", "pytester"]

# CI explores the same examples on every run (a red CI must mean a change broke something, not that
# a new random example was drawn); local runs draw new ones and keep exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
