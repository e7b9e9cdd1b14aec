"""Gateway settings, read from the environment so that every worker process agrees.

Every numeric setting has one rule (:data:`NUMBERS`: its variable, its minimum, integer or not),
applied both when it is read from the environment and when the dataclass is built in code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from plivo_blocks._env import NumberRule
from plivo_blocks.errors import ConfigurationError

DEFAULT_API_URL = "https://api.plivo.com"
ENV_STATE_DIR = "PLIVO_BLOCKS_STATE_DIR"
ENV_REDIS_URL = "PLIVO_BLOCKS_REDIS_URL"

#: The rule of each numeric field, by field name.
NUMBERS: dict[str, NumberRule] = {
    "timeout": NumberRule("PLIVO_BLOCKS_TIMEOUT", 0.001),
    "max_retries": NumberRule("PLIVO_BLOCKS_MAX_RETRIES", 0, integer=True),
    "max_connections": NumberRule("PLIVO_BLOCKS_MAX_CONNECTIONS", 1, integer=True),
    "max_keepalive_connections": NumberRule("PLIVO_BLOCKS_MAX_KEEPALIVE", 0, integer=True),
    "max_body_bytes": NumberRule("PLIVO_BLOCKS_MAX_BODY_BYTES", 64, integer=True),
    "body_timeout": NumberRule("PLIVO_BLOCKS_BODY_TIMEOUT", 0.001),
    "store_timeout": NumberRule("PLIVO_BLOCKS_STORE_TIMEOUT", 0.01),
    "idempotency_ttl": NumberRule("PLIVO_BLOCKS_IDEMPOTENCY_TTL", 1.0),
    "idempotency_wait": NumberRule("PLIVO_BLOCKS_IDEMPOTENCY_WAIT", 0.0),
    "max_queue_seconds": NumberRule("PLIVO_BLOCKS_MAX_QUEUE_SECONDS", 0.0),
    "rate_requests": NumberRule("PLIVO_BLOCKS_RATE_REQUESTS", 0, integer=True),
    "rate_window": NumberRule("PLIVO_BLOCKS_RATE_WINDOW", 0.001),
    "calls_per_second": NumberRule("PLIVO_BLOCKS_CALLS_PER_SECOND", 0, integer=True),
    "pacing_margin": NumberRule("PLIVO_BLOCKS_PACING_MARGIN", 0.0),
}


def default_state_dir(env: Mapping[str, str]) -> str:
    """``$XDG_STATE_HOME/plivo-blocks``, else ``~/.local/state/plivo-blocks``: one folder per user
    and host, so that every gateway process of that user on this host shares it."""
    base = env.get("XDG_STATE_HOME", "").strip()
    root = Path(base) if base else Path.home() / ".local" / "state"
    return str(root / "plivo-blocks")


def redacted_url(url: str) -> str:
    """A store URL for messages and reprs: scheme, host, port and path, never a user or password."""
    try:
        parts = urlsplit(url)
        netloc = parts.hostname or ""
        if parts.port is not None:
            netloc += f":{parts.port}"
    except ValueError:
        return "<unparsable URL>"
    return f"{parts.scheme}://{netloc}{parts.path}"


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
    - ``PLIVO_BLOCKS_STATE_DIR``: folder of the SQLite files (idempotency keys, pacing) that the
      gateway processes of one host share; ``PLIVO_BLOCKS_REDIS_URL``: Redis instead, shared by
      every replica. Built in code with neither, the gateway keeps that state in its own memory.
    - ``PLIVO_BLOCKS_STORE_TIMEOUT``: seconds one store operation may take (1).
    - ``PLIVO_BLOCKS_IDEMPOTENCY_TTL``: seconds an ``Idempotency-Key`` is remembered (86400).
    - ``PLIVO_BLOCKS_IDEMPOTENCY_WAIT``: seconds a repeat waits for its first request (10).
    - ``PLIVO_BLOCKS_RATE_REQUESTS`` per ``PLIVO_BLOCKS_RATE_WINDOW`` seconds (300 per 5) and
      ``PLIVO_BLOCKS_CALLS_PER_SECOND`` (2, for makeCall): Plivo's limits per account; 0 turns one
      off. ``PLIVO_BLOCKS_PACING_MARGIN`` (0.1 s) widens each window against network jitter.
    - ``PLIVO_BLOCKS_MAX_QUEUE_SECONDS``: how long a request may wait for its turn (10).
    """

    api_url: str = DEFAULT_API_URL
    proxy_secret: str | None = None
    timeout: float = 30.0
    max_retries: int = 2
    max_connections: int = 100
    max_keepalive_connections: int = 20
    max_body_bytes: int = 1024 * 1024
    body_timeout: float = 10.0
    state_dir: str | None = None
    redis_url: str | None = None
    store_timeout: float = 1.0
    idempotency_ttl: float = 24 * 3600.0
    idempotency_wait: float = 10.0
    max_queue_seconds: float = 10.0
    rate_requests: int = 300
    rate_window: float = 5.0
    calls_per_second: int = 2
    pacing_margin: float = 0.1

    def __post_init__(self) -> None:
        if not self.api_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"the upstream URL must be http(s)://..., got {self.api_url!r}")
        for name, rule in NUMBERS.items():
            rule.check(getattr(self, name))
        if self.redis_url is not None and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError(
                f"{ENV_REDIS_URL} must be a redis://, rediss:// or unix:// URL, got {redacted_url(self.redis_url)!r}"
            )

    def __repr__(self) -> str:
        # The proxy secret is a credential, and so may be a password in the Redis URL: say whether
        # they are set, never what they are.
        shown = []
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "proxy_secret":
                shown.append(f"proxy_secret=<{'set' if value else 'unset'}>")
            elif field.name == "redis_url" and value is not None:
                shown.append(f"redis_url={redacted_url(value)!r}")
            else:
                shown.append(f"{field.name}={value!r}")
        return f"GatewaySettings({', '.join(shown)})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewaySettings:
        source = os.environ if env is None else env
        defaults = cls()
        numbers = {name: rule.read(source, getattr(defaults, name)) for name, rule in NUMBERS.items()}
        return cls(
            api_url=(source.get("PLIVO_API_URL", "").strip() or DEFAULT_API_URL).rstrip("/"),
            proxy_secret=source.get("PLIVO_BLOCKS_PROXY_SECRET") or None,
            state_dir=source.get(ENV_STATE_DIR, "").strip() or default_state_dir(source),
            redis_url=source.get(ENV_REDIS_URL, "").strip() or None,
            **numbers,  # type: ignore[arg-type]
        )
