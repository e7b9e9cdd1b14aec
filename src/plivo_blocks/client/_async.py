"""The asynchronous client: :class:`Client`'s twin over :class:`httpx.AsyncClient`."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Protocol

import anyio
import httpx

from plivo_blocks.client._base import BaseClient
from plivo_blocks.client._core import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AttemptObserver,
    ClientCore,
    Outcome,
    PageWalk,
    PlannedCall,
)
from plivo_blocks.client._generated import AsyncBlockMethods
from plivo_blocks.client.idempotency import (
    DEFAULT_TTL,
    DEFAULT_WAIT,
    UNKNOWN_OUTCOME,
    AsyncKeyStore,
    AsyncMemoryKeyStore,
    KeyTicket,
    check_key,
    encode_outcome,
    never_sent,
    wait_schedule,
)
from plivo_blocks.client.transport import AsyncSender, HttpxSender, LateForTurn, new_async_sender
from plivo_blocks.errors import ConfigurationError, IdempotencyError, PacingLimitError

logger = logging.getLogger("plivo_blocks.client")

#: Seconds a key's outcome may take to be written after its call was cancelled.
_SETTLE_BOUND = 5.0


class Pacer(Protocol):
    """Waits for an account's turn before each attempt, or raises PacingLimitError when the turn
    would come more than ``max_wait`` seconds from now (nothing is sent then).

    It answers when the turn was (``time.monotonic()``), or ``None`` for a block it does not pace.
    A request whose head would be written more than ``tolerance`` seconds after its turn (it
    waited for a connection, or behind a busy event loop) is not sent late: it takes a new turn.
    """

    max_wait: float
    tolerance: float

    async def __call__(self, auth_id: str, block: str) -> float | None: ...


class AsyncClient(AsyncBlockMethods, BaseClient):
    """Plivo's REST API v1, one coroutine method per block; see :class:`Client` for the settings.

    Requests go out through aiohttp on asyncio (:mod:`plivo_blocks.client.transport`: a sixth of
    httpx's async CPU per request), or through ``http_client``, an :class:`httpx.AsyncClient` of
    yours (then yours to close), or a ``sender`` (any :class:`~plivo_blocks.client.transport.AsyncSender`,
    also yours to close). ``sleep`` is an async function. Use it as an async context manager, or
    await :meth:`aclose`. ``idempotency_store`` is an
    :class:`~plivo_blocks.client.idempotency.AsyncKeyStore` (default: this client's memory).
    ``pacer``, when given, is awaited before every attempt (the gateway paces accounts with it).
    """

    def __init__(
        self,
        auth_id: str | None = None,
        auth_token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        sender: AsyncSender | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        idempotency_store: AsyncKeyStore | None = None,
        idempotency_wait: float = DEFAULT_WAIT,
        idempotency_ttl: float = DEFAULT_TTL,
        pacer: Pacer | None = None,
        on_attempt: AttemptObserver | None = None,
        success_log_level: int = logging.INFO,
    ) -> None:
        self._core = ClientCore.configure(
            auth_id,
            auth_token,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            on_attempt=on_attempt,
            success_log_level=success_log_level,
        )
        if http_client is not None and sender is not None:
            raise ConfigurationError("pass http_client or sender, not both")
        self._owns_http = http_client is None and sender is None
        if sender is None:
            sender = (
                HttpxSender(http_client, self._core.timeout)
                if http_client is not None
                else new_async_sender(self._core.timeout)
            )
        self._http: AsyncSender = sender
        self._sleep = sleep
        self._keys: AsyncKeyStore = (
            idempotency_store if idempotency_store is not None else AsyncMemoryKeyStore()
        )
        self._key_wait = idempotency_wait
        self._key_ttl = idempotency_ttl
        self._pacer = pacer

    def with_credentials(self, auth_id: str, auth_token: str) -> AsyncClient:
        """A view of this client for another account: same pool and settings, other credentials.

        Closing the view leaves the pool open; closing this client closes it for every view.
        """
        view = object.__new__(type(self))
        view._core = self._core.with_credentials(auth_id, auth_token)
        view._http = self._http
        view._owns_http = False
        view._sleep = self._sleep
        view._keys, view._key_wait, view._key_ttl = self._keys, self._key_wait, self._key_ttl
        view._pacer = self._pacer
        return view

    # -- calling blocks --------------------------------------------------------------------------

    async def call(self, block: str, /, *, idempotency_key: str | None = None, **args: Any) -> dict[str, Any]:
        """Run ``block`` with camelCase arguments as in the catalog; see :meth:`Client.call`."""
        return await self.call_block(block, args, idempotency_key=idempotency_key)

    async def call_block(
        self, block: str, args: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """:meth:`call` with the arguments as a mapping."""
        if idempotency_key is None:  # call_block_outcome's common case, a coroutine layer fewer
            return (await self._attempts(self._core.plan(block, args))).unwrap()
        return (await self.call_block_outcome(block, args, idempotency_key=idempotency_key)).unwrap()

    async def call_block_outcome(
        self, block: str, args: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Outcome:
        """See :meth:`Client.call_block_outcome`."""
        call = self._core.plan(block, args)
        if idempotency_key is None:
            return await self._attempts(call)
        return await self._keyed(call, check_key(call.block.name, idempotency_key))

    def paginate(self, block: str, /, **filters: Any) -> AsyncIterator[dict[str, Any]]:
        """Every object of every page of a paginated list block, for ``async for``.

        The filters are validated now (this is a plain method returning an async iterator).
        """
        return self._walk(self._core.start_walk(block, filters))

    async def _walk(self, walk: PageWalk) -> AsyncIterator[dict[str, Any]]:
        while walk.next_call is not None:
            for item in walk.advance(await self._execute(walk.next_call)):
                yield item

    async def _execute(self, call: PlannedCall) -> dict[str, Any]:
        return (await self._attempts(call)).unwrap()

    async def _attempts(self, call: PlannedCall) -> Outcome:
        credentials = self._core.require_credentials()
        if self._http.is_closed:
            raise ConfigurationError("this client is closed")
        attempt = 0
        while True:
            attempt += 1
            turn: float | None = None
            if self._pacer is not None:
                try:
                    turn = await self._pacer(credentials.auth_id, call.block.name)
                except PacingLimitError as refused:
                    return Outcome(error=refused)
            request = self._core.wire_request(call, credentials)
            not_after = None if turn is None or self._pacer is None else turn + self._pacer.tolerance
            started = time.perf_counter()
            outcome: Outcome
            try:
                response = await self._http.send(request, not_after=not_after)
            except LateForTurn:
                # Nothing was written: take a new turn rather than crowd a later window.
                attempt -= 1
                continue
            except httpx.HTTPError as exc:
                outcome = self._core.after_failure(call, exc, attempt, time.perf_counter() - started)
            else:
                outcome = self._core.after_response(call, response, attempt, time.perf_counter() - started)
            if outcome.retry_in is None:
                return outcome
            await self._sleep(outcome.retry_in)

    async def _keyed(self, call: PlannedCall, key: str) -> Outcome:
        """See :meth:`Client._keyed`."""
        credentials = self._core.require_credentials()
        if self._http.is_closed:
            raise ConfigurationError("this client is closed")
        queue = self._pacer.max_wait if self._pacer is not None else 0.0
        lease = self._core.longest_call(wait_per_attempt=queue)
        ticket = KeyTicket.for_call(call, credentials, key, lease=lease, ttl=self._key_ttl)
        waited = 0.0
        pauses = wait_schedule(self._key_wait)
        while (record := await self._keys.claim(ticket.scope, ticket.claim)) is not None:
            replay = ticket.judge(record)
            if replay is not None:
                return replay
            pause = next(pauses, None)
            if pause is None:
                raise ticket.in_use(waited)
            await anyio.sleep(pause)
            waited += pause
        owner = ticket.claim.owner
        try:
            outcome = await self._attempts(call)
        except BaseException:
            # Cancelled or failed after the request may have left: never send it again.
            with anyio.CancelScope(shield=True), anyio.move_on_after(_SETTLE_BOUND):
                await self._settle(self._keys.finish(ticket.scope, owner, UNKNOWN_OUTCOME))
            raise
        if never_sent(outcome):
            await self._settle(self._keys.release(ticket.scope, owner))
        else:
            await self._settle(self._keys.finish(ticket.scope, owner, encode_outcome(outcome)))
        return outcome

    @staticmethod
    async def _settle(action: Awaitable[None]) -> None:
        # See Client._settle: a store failing here leaves the key in flight, never unguarded.
        try:
            await action
        except IdempotencyError as exc:
            logger.warning("could not record an idempotency key's outcome: %s", exc)

    # -- lifecycle -------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool (unless it was given to us, or this is a view)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
