"""Suite-wide pytest configuration."""

from __future__ import annotations

import pytest

pytest_plugins = ["support.fixtures"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
