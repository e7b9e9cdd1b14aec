"""pytest fixtures over the test support (registered for the whole suite by ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.redis_server import RedisServer
from support.upstream import RecordingUpstream


@pytest.fixture(scope="session")
def _recording_upstream_server() -> Iterator[RecordingUpstream]:
    with RecordingUpstream() as upstream:
        yield upstream


@pytest.fixture
def recording_upstream(_recording_upstream_server: RecordingUpstream) -> Iterator[RecordingUpstream]:
    """A recording upstream on loopback, emptied before and after each test (one server per session)."""
    _recording_upstream_server.reset()
    yield _recording_upstream_server
    _recording_upstream_server.reset()


@pytest.fixture(scope="session")
def _redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_server(_redis_server: RedisServer) -> Iterator[RedisServer]:
    """A real redis-server on loopback (one per session), emptied before each test and running
    again if a test killed or paused it."""
    if _redis_server.process is not None and _redis_server.process.poll() is None:
        _redis_server.resume()
    if not _redis_server.ping():
        _redis_server.restart()
    _redis_server.command("FLUSHALL")
    yield _redis_server
    if _redis_server.process is not None and _redis_server.process.poll() is None:
        _redis_server.resume()
