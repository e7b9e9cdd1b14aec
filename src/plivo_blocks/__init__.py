"""plivo-blocks: Plivo's SMS and voice REST API v1 as 68 named, validated blocks.

``Client`` / ``AsyncClient`` run them from Python; the errors below are what they raise.
"""

from __future__ import annotations

from plivo_blocks._version import __version__
from plivo_blocks.client import AsyncClient, Client
from plivo_blocks.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    MethodNotAllowedError,
    NotFoundError,
    PermissionDeniedError,
    PlivoBlocksError,
    Problem,
    RateLimitError,
    ServerError,
    TimeoutError,
    TransportError,
    UnknownBlockError,
    ValidationError,
)

__all__ = [
    "APIError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConfigurationError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PermissionDeniedError",
    "PlivoBlocksError",
    "Problem",
    "RateLimitError",
    "ServerError",
    "TimeoutError",
    "TransportError",
    "UnknownBlockError",
    "ValidationError",
    "__version__",
]
