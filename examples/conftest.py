"""The examples run with the project's suite (``make test``); their async tests run on asyncio."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
