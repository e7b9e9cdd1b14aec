"""The synchronous client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any

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
from plivo_blocks.client._generated import SyncBlockMethods
from plivo_blocks.errors import ConfigurationError


class Client(SyncBlockMethods, BaseClient):
    """Plivo's REST API v1, one method per block.

    ``auth_id``, ``auth_token`` and ``base_url`` fall back to the environment variables
    ``PLIVO_AUTH_ID``, ``PLIVO_AUTH_TOKEN`` and ``PLIVO_API_URL`` (default
    ``https://api.plivo.com``). Missing credentials are reported when a call is made (as
    :class:`ConfigurationError`), not here, so that a credential-less client can serve as the
    shared pool behind :meth:`with_credentials` views.

    ``timeout`` is seconds or an :class:`httpx.Timeout`, never unbounded. ``max_retries``
    bounds the retries of a failed attempt (the policy: :mod:`plivo_blocks.client`). ``http_client``
    lets you bring your own :class:`httpx.Client`; it is then yours to close. ``sleep`` is
    how the client waits between attempts (tests inject one that records the delay).

    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        auth_id: str | None = None,
        auth_token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._core = ClientCore.configure(
            auth_id, auth_token, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self._http = http_client if http_client is not None else httpx.Client(timeout=self._core.timeout)
        self._owns_http = http_client is None
        self._sleep = sleep

    def with_credentials(self, auth_id: str, auth_token: str) -> Client:
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

    def call(self, block: str, /, **args: Any) -> dict[str, Any]:
        """Run ``block`` (``"sendMessage"``, ``"send_message"`` or ``"Plivo.sendMessage"``) with
        camelCase arguments as in the catalog, and answer Plivo's JSON (``{}`` for an empty answer).

        Arguments are validated before anything is sent: a ValidationError means no request left.
        """
        return self.call_block(block, args)

    def call_block(self, block: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """:meth:`call` with the arguments as a mapping."""
        return self._execute(self._core.plan(block, args))

    def paginate(self, block: str, /, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every object of every page of a paginated list block, fetched lazily page by page.

        ``limit`` (1..20, default 20) is the page size; ``offset`` where to start. The filters are
        validated now; a block that does not return pages is refused with a ValidationError.
        """
        return self._walk(self._core.start_walk(block, filters))

    def _walk(self, walk: PageWalk) -> Iterator[dict[str, Any]]:
        while walk.next_call is not None:
            yield from walk.advance(self._execute(walk.next_call))

    def _execute(self, call: PlannedCall) -> dict[str, Any]:
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
                response = self._http.send(request)
            except httpx.HTTPError as exc:
                outcome = self._core.after_failure(call, exc, attempt, time.perf_counter() - started)
            else:
                outcome = self._core.after_response(call, response, attempt, time.perf_counter() - started)
            if outcome.retry_in is None:
                return outcome.unwrap()
            self._sleep(outcome.retry_in)

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (unless it was given to us, or this is a view)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
