"""Gateway settings, read from the environment so that every worker process agrees."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from plivo_blocks._env import env_float, env_int
from plivo_blocks.errors import ConfigurationError

DEFAULT_API_URL = "https://api.plivo.com"


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Everything the gateway can be tuned with, and the environment variable setting it.

    - ``PLIVO_API_URL``: upstream base URL (default ``https://api.plivo.com``).
    - ``PLIVO_BLOCKS_PROXY_SECRET``: when set, every request but ``/healthz`` must carry it in
      ``X-RapidAPI-Proxy-Secret``.
    - ``PLIVO_BLOCKS_TIMEOUT``: seconds per upstream request (30; never unbounded).
    - ``PLIVO_BLOCKS_MAX_RETRIES``: retries the client may make, within its safety rules (2).
    - ``PLIVO_BLOCKS_MAX_CONNECTIONS`` / ``PLIVO_BLOCKS_MAX_KEEPALIVE``: upstream pool size (100)
      and idle connections kept open (20).
    - ``PLIVO_BLOCKS_MAX_BODY_BYTES``: largest request body accepted, else 413 (1 MiB).
    - ``PLIVO_BLOCKS_BODY_TIMEOUT``: seconds a client may take to send its body, else 408 (10).
    """

    api_url: str = DEFAULT_API_URL
    proxy_secret: str | None = None
    timeout: float = 30.0
    max_retries: int = 2
    max_connections: int = 100
    max_keepalive_connections: int = 20
    max_body_bytes: int = 1024 * 1024
    body_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.api_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"the upstream URL must be http(s)://..., got {self.api_url!r}")
        if self.timeout <= 0 or self.body_timeout <= 0:
            raise ConfigurationError("timeouts must be positive: an unbounded wait is never allowed")

    def __repr__(self) -> str:
        # The proxy secret is a credential: say whether it is set, never what it is.
        secret = "set" if self.proxy_secret else "unset"
        return (
            f"GatewaySettings(api_url={self.api_url!r}, proxy_secret=<{secret}>, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r}, max_connections={self.max_connections!r}, "
            f"max_keepalive_connections={self.max_keepalive_connections!r}, "
            f"max_body_bytes={self.max_body_bytes!r}, body_timeout={self.body_timeout!r})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewaySettings:
        source = os.environ if env is None else env
        return cls(
            api_url=(source.get("PLIVO_API_URL", "").strip() or DEFAULT_API_URL).rstrip("/"),
            proxy_secret=source.get("PLIVO_BLOCKS_PROXY_SECRET") or None,
            timeout=env_float(source, "PLIVO_BLOCKS_TIMEOUT", 30.0, minimum=0.001),
            max_retries=env_int(source, "PLIVO_BLOCKS_MAX_RETRIES", 2, minimum=0),
            max_connections=env_int(source, "PLIVO_BLOCKS_MAX_CONNECTIONS", 100, minimum=1),
            max_keepalive_connections=env_int(source, "PLIVO_BLOCKS_MAX_KEEPALIVE", 20, minimum=0),
            max_body_bytes=env_int(source, "PLIVO_BLOCKS_MAX_BODY_BYTES", 1024 * 1024, minimum=64),
            body_timeout=env_float(source, "PLIVO_BLOCKS_BODY_TIMEOUT", 10.0, minimum=0.001),
        )
