"""The shared store: Redis (``PLIVO_BLOCKS_REDIS_URL``), for every replica on every host.

Each operation is one Lua script, so one round trip, atomic, and timed by Redis's own clock
(``TIME``) so that replicas whose clocks disagree still agree on a lease or a turn:

- ``claim``: create the key's record (a hash: state, owner, digests, lease end) unless it exists;
  answer the record otherwise. The record expires ``ttl`` after its claim (24 hours).
- ``finish`` / ``release``: store the outcome / delete the record, only for the claim's owner.
- ``reserve``: the sliding-log rule of :mod:`plivo_blocks.gateway.pacing` on a list of grant times
  (microseconds, newest first, at most ``limit`` kept).

redis-py retries a command once on a broken connection (the first command after Redis restarted),
never on a timeout, and every operation is bounded by ``PLIVO_BLOCKS_STORE_TIMEOUT``. After a
failure the store is not asked again for a short while (:data:`COOLDOWN`): a stopped Redis then
costs each request nothing instead of a timeout each.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

import anyio

from plivo_blocks.client.idempotency import Claim, KeyRecord
from plivo_blocks.errors import IdempotencyStoreError
from plivo_blocks.gateway.pacing import Reservation, StoreUnavailable
from plivo_blocks.gateway.settings import redacted_url

PREFIX = "plivo-blocks:"
COOLDOWN = 2.0  # seconds a failed store is left alone
MAX_CONNECTIONS = 32  # per process
MAX_DEFERRED = 10_000  # failed key writes kept to write again

_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
"""

CLAIM = (
    _NOW
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('HSET', KEYS[1], 'state', 'in_flight', 'owner', ARGV[1], 'request', ARGV[2],
             'credentials', ARGV[3], 'lease_until', string.format('%.0f', now + tonumber(ARGV[4])))
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return false
end
local f = redis.call('HMGET', KEYS[1], 'state', 'owner', 'request', 'credentials', 'outcome', 'lease_until')
if f[1] == 'in_flight' and f[2] == ARGV[1] then return false end
local expired = 0
if f[1] == 'in_flight' and tonumber(f[6]) < now then expired = 1 end
return {f[1], f[3], f[4], f[5] or '', expired}
"""
)

FINISH = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'outcome', ARGV[2])
return 1
"""

RELEASE = """
local f = redis.call('HMGET', KEYS[1], 'state', 'owner')
if f[1] ~= 'in_flight' or f[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
"""

RESERVE = (
    _NOW
    + """
local limit = tonumber(ARGV[1])
local turn = now
local newest = redis.call('LINDEX', KEYS[1], 0)
if newest then
  turn = math.max(turn, tonumber(newest))
  if redis.call('LLEN', KEYS[1]) >= limit then
    turn = math.max(turn, tonumber(redis.call('LINDEX', KEYS[1], limit - 1)) + tonumber(ARGV[2]))
  end
end
local wait = turn - now
if wait > tonumber(ARGV[3]) then return {0, wait - tonumber(ARGV[3])} end
redis.call('LPUSH', KEYS[1], string.format('%.0f', turn))
redis.call('LTRIM', KEYS[1], 0, limit - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1, wait}
"""
)


class RedisState:
    """One redis-py client per process, with the scripts, the time bound and the cooldown."""

    def __init__(self, url: str, *, timeout: float) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError

        self.where = redacted_url(url)
        self.timeout = timeout
        # A bounded pool that makes a burst wait for a connection (each operation holds one for a
        # round trip), where redis-py's default pool fails past 100 at once. The wait for a
        # connection is bounded by each operation's own deadline (``run``).
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=None,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1, (RedisConnectionError,)),
            client_name="plivo-blocks",
        )
        self.client = Redis(connection_pool=pool)
        self.claim = self.client.register_script(CLAIM)
        self.finish = self.client.register_script(FINISH)
        self.release = self.client.register_script(RELEASE)
        self.reserve = self.client.register_script(RESERVE)
        self._resting_until = 0.0

    async def run(
        self, script: Any, keys: list[str], args: list[Any], *, timeout: float | None = None
    ) -> Any:
        """One script, answered within ``timeout`` (default: the store timeout); else
        :class:`StoreUnavailable`."""
        from redis.exceptions import RedisError

        if time.monotonic() < self._resting_until:
            raise StoreUnavailable(f"Redis at {self.where} failed moments ago; not asked again yet")
        try:
            with anyio.fail_after(timeout or self.timeout):
                return await script(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            self._resting_until = time.monotonic() + COOLDOWN
            detail = "no answer in time" if isinstance(exc, TimeoutError) else type(exc).__name__
            raise StoreUnavailable(f"Redis at {self.where}: {detail}") from None

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.client.connection_pool.disconnect()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisKeyStore:
    """Idempotency keys in Redis (the client's ``AsyncKeyStore`` protocol).

    A write that failed is not forgotten: a claim that timed out may still have been applied by a
    Redis that was only slow, and a finished call's outcome may not have been written. Both are
    written again (a release of the claim, which nothing was sent for; the outcome) as soon as
    Redis answers again, before this process's next key operation, so that a retry gets its answer
    instead of waiting out the first call's lease. Only this process remembers them (at most
    :data:`MAX_DEFERRED`): if it dies too, the key stays in flight until its lease ends, and is then
    answered IDEMPOTENCY_OUTCOME_UNKNOWN, never sent again.
    """

    def __init__(self, state: RedisState) -> None:
        self._state = state
        self._deferred: OrderedDict[str, tuple[Any, list[Any]]] = OrderedDict()
        self._writing_deferred = anyio.Lock()

    async def _run(self, script: Any, scope: str, args: list[Any]) -> Any:
        if self._deferred:
            # An operation on a key with a deferred write waits for it (a retry of that key must
            # see its outcome, not the claim it replaces); the others go on while one writes them.
            await self._write_deferred(wait=scope in self._deferred)
        try:
            return await self._state.run(script, [_key(scope)], args)
        except StoreUnavailable as exc:
            raise IdempotencyStoreError(
                f"the idempotency store is unavailable ({exc}); the keyed request was refused, nothing was sent"
            ) from None

    def _defer(self, scope: str, script: Any, args: list[Any]) -> None:
        self._deferred[scope] = (script, args)
        self._deferred.move_to_end(scope)
        while len(self._deferred) > MAX_DEFERRED:
            self._deferred.popitem(last=False)

    async def _write_deferred(self, *, wait: bool) -> None:
        if self._writing_deferred.locked() and not wait:
            return
        async with self._writing_deferred:
            for scope, (script, args) in list(self._deferred.items()):
                try:
                    await self._state.run(script, [_key(scope)], args)
                except StoreUnavailable:
                    return
                if self._deferred.get(scope) == (script, args):
                    del self._deferred[scope]

    async def claim(self, scope: str, claim: Claim) -> KeyRecord | None:
        lease_us = round(claim.lease * 1e6)
        ttl_ms = round(claim.ttl * 1000)
        try:
            found = await self._run(
                self._state.claim, scope, [claim.owner, claim.request, claim.credentials, lease_us, ttl_ms]
            )
        except IdempotencyStoreError:
            self._defer(scope, self._state.release, [claim.owner])  # it may have been applied late
            raise
        if found is None:
            return None
        state, request, credentials, outcome, expired = found
        text = _text(outcome)
        return KeyRecord(
            "done" if _text(state) == "done" else "in_flight",
            _text(request),
            _text(credentials),
            text or None,
            bool(int(expired)),
        )

    async def finish(self, scope: str, owner: str, outcome: str) -> None:
        try:
            await self._run(self._state.finish, scope, [owner, outcome])
        except IdempotencyStoreError:
            self._defer(scope, self._state.finish, [owner, outcome])
            raise

    async def release(self, scope: str, owner: str) -> None:
        try:
            await self._run(self._state.release, scope, [owner])
        except IdempotencyStoreError:
            self._defer(scope, self._state.release, [owner])
            raise


def _key(scope: str) -> str:
    return f"{PREFIX}key:{scope}"


class RedisPacing:
    """Each account's grants in Redis (a :class:`PacingBackend`).

    A reservation may take as long as the request would wait for its turn anyway (the pacing
    queue, at least the store timeout): under a burst, the round trip waits behind the burst's own
    work on the event loop, and giving up early would make the process pace alone (and let the
    replicas together exceed the limit) although Redis is well.
    """

    def __init__(self, state: RedisState, *, timeout: float) -> None:
        self._state = state
        self._timeout = timeout

    async def reserve(self, bucket: str, limit: int, window: float, max_wait: float) -> Reservation:
        ttl_ms = round((window + max_wait + 1) * 1000)
        admitted, micros = await self._state.run(
            self._state.reserve,
            [f"{PREFIX}pace:{bucket}"],
            [limit, round(window * 1e6), round(max_wait * 1e6), ttl_ms],
            timeout=max(self._timeout, max_wait),
        )
        return Reservation(bool(int(admitted)), int(micros) / 1e6)
