"""Where the gateway keeps what outlives a request: idempotency keys and each account's pacing.

- ``PLIVO_BLOCKS_REDIS_URL`` set: Redis, shared by every replica on every host (``redis_store``).
- Else ``PLIVO_BLOCKS_STATE_DIR`` (the default from the environment is
  ``~/.local/state/plivo-blocks``): SQLite files shared by the gateway processes of one host
  (``sqlite``).
- A gateway built in code with neither keeps both in its own memory.

Requests without an ``Idempotency-Key`` never touch the key store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from plivo_blocks.client.idempotency import AsyncKeyStore, AsyncMemoryKeyStore, Claim, KeyRecord
from plivo_blocks.errors import ConfigurationError, IdempotencyStoreError
from plivo_blocks.gateway.pacing import MemoryPacing, PacingBackend
from plivo_blocks.gateway.settings import ENV_STATE_DIR, GatewaySettings, redacted_url

if TYPE_CHECKING:
    from plivo_blocks.gateway.metrics import GatewayMetrics

T = TypeVar("T")


async def _nothing() -> None:
    return None


@dataclass(frozen=True)
class GatewayStores:
    """The key store and the pacing backend, what they are (for the start-up line), and how to
    close them."""

    keys: AsyncKeyStore
    pacing: PacingBackend
    description: str
    aclose: Callable[[], Awaitable[None]] = _nothing


def prepare_state_dir(settings: GatewaySettings) -> Path | None:
    """Create the state folder (before forking workers, so that a bad one fails at once)."""
    if settings.redis_url is not None or settings.state_dir is None:
        return None
    folder = Path(settings.state_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".plivo-blocks-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot use {folder} for the gateway's state ({exc.strerror or exc}); "
            f"set {ENV_STATE_DIR} to a writable folder, or PLIVO_BLOCKS_REDIS_URL"
        ) from None
    return folder


def open_stores(settings: GatewaySettings) -> GatewayStores:
    """The stores the settings ask for. Nothing connects yet: Redis is reached on first use."""
    if settings.redis_url is not None:
        from plivo_blocks.gateway.state.redis_store import RedisKeyStore, RedisPacing, RedisState

        redis = RedisState(settings.redis_url, timeout=settings.store_timeout)
        return GatewayStores(
            RedisKeyStore(redis),
            RedisPacing(redis, timeout=max(settings.store_timeout, settings.max_queue_seconds)),
            f"Redis at {redacted_url(settings.redis_url)}",
            redis.aclose,
        )
    folder = prepare_state_dir(settings)
    if folder is not None:
        from plivo_blocks.gateway.state.sqlite import SqliteKeyStore, SqlitePacing

        keys = SqliteKeyStore(folder, timeout=settings.store_timeout)
        pacing = SqlitePacing(folder, timeout=settings.store_timeout)

        async def close() -> None:
            await keys.aclose()
            await pacing.aclose()

        return GatewayStores(keys, pacing, f"SQLite in {folder}", close)
    return GatewayStores(AsyncMemoryKeyStore(), MemoryPacing(), "this process's memory")


class CountedKeyStore:
    """A key store whose failures are counted in the metrics (``store_errors_total{store="keys"}``)."""

    def __init__(self, store: AsyncKeyStore, metrics: GatewayMetrics) -> None:
        self.store = store
        self._metrics = metrics

    async def _counted(self, operation: Awaitable[T]) -> T:
        try:
            return await operation
        except IdempotencyStoreError:
            self._metrics.store_error("keys")
            raise

    async def claim(self, scope: str, claim: Claim) -> KeyRecord | None:
        return await self._counted(self.store.claim(scope, claim))

    async def finish(self, scope: str, owner: str, outcome: str) -> None:
        await self._counted(self.store.finish(scope, owner, outcome))

    async def release(self, scope: str, owner: str) -> None:
        await self._counted(self.store.release(scope, owner))
