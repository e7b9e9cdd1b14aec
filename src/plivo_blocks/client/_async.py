"""The asynchronous client: :class:`Client`'s twin over :class:`httpx.AsyncClient`."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

import anyio
import httpx

from plivo_blocks.client._base import BaseClient
from plivo_blocks.client._core import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ClientCore,
    Outcome,
    PageWalk,
    PlannedCall,
)
from plivo_blocks.client._generated import AsyncBlockMethods
from plivo_blocks.client.transport import new_async_pool
from plivo_blocks.errors import ConfigurationError


class AsyncClient(AsyncBlockMethods, BaseClient):
    """Plivo's REST API v1, one coroutine method per block; see :class:`Client` for the settings.

    ``http_client`` is an :class:`httpx.AsyncClient`; ``sleep`` an async function. Use it as an
    async context manager, or await :meth:`aclose`.
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
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self._core = ClientCore.configure(
            auth_id, auth_token, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self._http = http_client if http_client is not None else new_async_pool(self._core.timeout)
        self._owns_http = http_client is None
        self._sleep = sleep

    def with_credentials(self, auth_id: str, auth_token: str) -> AsyncClient:
        """A view of this client for another account: same pool and settings, other credentials.

        Closing the view leaves the pool open; closing this client closes it for every view.
        """
        view = object.__new__(type(self))
        view._core = self._core.with_credentials(auth_id, auth_token)
        view._http = self._http
        view._owns_http = False
        view._sleep = self._sleep
        return view

    # -- calling blocks --------------------------------------------------------------------------

    async def call(self, block: str, /, **args: Any) -> dict[str, Any]:
        """Run ``block`` with camelCase arguments as in the catalog; see :meth:`Client.call`."""
        return await self.call_block(block, args)

    async def call_block(self, block: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """:meth:`call` with the arguments as a mapping."""
        return await self._execute(self._core.plan(block, args))

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
        credentials = self._core.require_credentials()
        if self._http.is_closed:
            raise ConfigurationError("this client is closed")
        attempt = 0
        while True:
            attempt += 1
            request = self._core.build_request(call, credentials)
            started = time.perf_counter()
            outcome: Outcome
            try:
                response = await self._http.send(request)
            except httpx.HTTPError as exc:
                outcome = self._core.after_failure(call, exc, attempt, time.perf_counter() - started)
            else:
                outcome = self._core.after_response(call, response, attempt, time.perf_counter() - started)
            if outcome.retry_in is None:
                return outcome.unwrap()
            await self._sleep(outcome.retry_in)

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
