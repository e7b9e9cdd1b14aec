"""Fixtures for the client tests."""

from __future__ import annotations

import pytest

from support.clients import Twin
from support.upstream import RecordingUpstream


@pytest.fixture(params=["sync", "async"])
def twin(request: pytest.FixtureRequest, recording_upstream: RecordingUpstream) -> Twin:
    """The scenario runs twice: through Client and through AsyncClient."""
    return Twin(request.param, recording_upstream)
