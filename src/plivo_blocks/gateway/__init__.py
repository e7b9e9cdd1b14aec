"""The HTTP gateway: the RapidAPI package protocol (``/api/Plivo``) over the catalog and the client,
plus ``/openapi.json``, an offline ``/docs`` page and ``/healthz``."""

from __future__ import annotations

from plivo_blocks.gateway.app import ACCESS_LOG, GatewayMiddleware, create_app, run_block
from plivo_blocks.gateway.envelope import ErrorCode
from plivo_blocks.gateway.metadata import build_metadata
from plivo_blocks.gateway.openapi import build_openapi
from plivo_blocks.gateway.settings import GatewaySettings

__all__ = [
    "ACCESS_LOG",
    "ErrorCode",
    "GatewayMiddleware",
    "GatewaySettings",
    "build_metadata",
    "build_openapi",
    "create_app",
    "run_block",
]
