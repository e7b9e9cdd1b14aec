"""pytest fixtures over the test support (registered for the whole suite by ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
