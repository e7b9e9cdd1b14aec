"""Fixtures for the gateway tests: the gateway in process (httpx.ASGITransport, lifespan run)
in front of the shared recording upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from gateway_support import GatewayFactory

from plivo_blocks.gateway import GatewaySettings, create_app
from support.upstream import RecordingUpstream


@pytest.fixture
def make_gateway(recording_upstream: RecordingUpstream) -> GatewayFactory:
    """``async with make_gateway(proxy_secret=...) as client``: a gateway (lifespan running) in
    front of the recording upstream, reached in process; keyword arguments override settings."""

    @asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = replace(
            GatewaySettings(api_url=recording_upstream.url, max_retries=0, timeout=5), **overrides
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                yield client

    return factory


@pytest.fixture
async def gateway(make_gateway: GatewayFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_gateway() as client:
        yield client
