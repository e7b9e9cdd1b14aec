"""plivo-blocks: Plivo's SMS and voice REST API v1 as 68 named, validated blocks.

``Client`` / ``AsyncClient`` run them from Python; the errors below are what they raise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plivo_blocks._version import __version__
from plivo_blocks.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    IdempotencyError,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    IdempotencyOutcomeUnknownError,
    IdempotencyStoreError,
    MethodNotAllowedError,
    NotFoundError,
    PacingLimitError,
    PermissionDeniedError,
    PlivoBlocksError,
    PlivoTimeoutError,
    Problem,
    RateLimitError,
    ServerError,
    TimeoutError,
    TransportError,
    UnknownBlockError,
    ValidationError,
)

if TYPE_CHECKING:
    from plivo_blocks.client import AsyncClient, Client


def __getattr__(name: str) -> Any:
    # The clients import httpx (over 100 ms): loaded on first use, so that the CLI (whose --help
    # needs no client) and `import plivo_blocks.errors` start fast.
    if name in ("Client", "AsyncClient"):
        from plivo_blocks import client

        value = getattr(client, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "APIError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConfigurationError",
    "IdempotencyError",
    "IdempotencyKeyInUseError",
    "IdempotencyKeyReusedError",
    "IdempotencyOutcomeUnknownError",
    "IdempotencyStoreError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PacingLimitError",
    "PermissionDeniedError",
    "PlivoBlocksError",
    "PlivoTimeoutError",
    "Problem",
    "RateLimitError",
    "ServerError",
    "TimeoutError",
    "TransportError",
    "UnknownBlockError",
    "ValidationError",
    "__version__",
]
