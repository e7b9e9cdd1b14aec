"""The synchronous client."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any

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
from plivo_blocks.client._generated import SyncBlockMethods
from plivo_blocks.client.idempotency import (
    DEFAULT_TTL,
    DEFAULT_WAIT,
    UNKNOWN_OUTCOME,
    KeyStore,
    KeyTicket,
    MemoryKeyStore,
    check_key,
    encode_outcome,
    never_sent,
    wait_schedule,
)
from plivo_blocks.errors import ConfigurationError, IdempotencyError

logger = logging.getLogger("plivo_blocks.client")


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

    Every block method takes ``idempotency_key=``: the call then sends at most one request to Plivo
    however often it is repeated with that key (see :mod:`plivo_blocks.client.idempotency`). Keys
    live in ``idempotency_store`` (default: this client's memory) for ``idempotency_ttl`` seconds;
    a repeat waits up to ``idempotency_wait`` seconds for a first call still in flight.
    ``on_attempt`` is told about every attempt (block, status, seconds, retrying). Each attempt
    is logged (``plivo_blocks.client``) at INFO; a successful one at ``success_log_level`` (the
    gateway's DEBUG: its access log line says the same).

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
        idempotency_store: KeyStore | None = None,
        idempotency_wait: float = DEFAULT_WAIT,
        idempotency_ttl: float = DEFAULT_TTL,
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
        self._http = http_client if http_client is not None else httpx.Client(timeout=self._core.timeout)
        self._owns_http = http_client is None
        self._sleep = sleep
        self._keys: KeyStore = idempotency_store if idempotency_store is not None else MemoryKeyStore()
        self._key_wait = idempotency_wait
        self._key_ttl = idempotency_ttl

    def with_credentials(self, auth_id: str, auth_token: str) -> Client:
        """A view of this client for another account: same pool and settings, other credentials.

        Closing the view leaves the pool open; closing this client closes it for every view.
        """
        view = object.__new__(type(self))
        view._core = self._core.with_credentials(auth_id, auth_token)
        view._http = self._http
        view._owns_http = False
        view._sleep = self._sleep
        view._keys, view._key_wait, view._key_ttl = self._keys, self._key_wait, self._key_ttl
        return view

    # -- calling blocks --------------------------------------------------------------------------

    def call(self, block: str, /, *, idempotency_key: str | None = None, **args: Any) -> dict[str, Any]:
        """Run ``block`` (``"sendMessage"``, ``"send_message"`` or ``"Plivo.sendMessage"``) with
        camelCase arguments as in the catalog, and answer Plivo's JSON (``{}`` for an empty answer).

        Arguments are validated before anything is sent: a ValidationError means no request left.
        With ``idempotency_key``, repeating the call never sends a second request to Plivo.
        """
        return self.call_block(block, args, idempotency_key=idempotency_key)

    def call_block(
        self, block: str, args: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """:meth:`call` with the arguments as a mapping."""
        return self.call_block_outcome(block, args, idempotency_key=idempotency_key).unwrap()

    def call_block_outcome(
        self, block: str, args: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Outcome:
        """:meth:`call_block`, answering an :class:`Outcome` (the result or the error, and whether it
        was ``replayed`` from an earlier call with the same key) instead of raising Plivo's errors.
        Errors raised before anything could be sent (validation, configuration, a key that cannot be
        used) are still raised."""
        call = self._core.plan(block, args)
        if idempotency_key is None:
            return self._attempts(call)
        return self._keyed(call, check_key(call.block.name, idempotency_key))

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
        return self._attempts(call).unwrap()

    def _attempts(self, call: PlannedCall) -> Outcome:
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
                return outcome
            self._sleep(outcome.retry_in)

    def _keyed(self, call: PlannedCall, key: str) -> Outcome:
        """One call under an idempotency key: claim it, or replay what it stored, or wait for the
        call holding it; then send, and store the outcome (or release the key if nothing left)."""
        credentials = self._core.require_credentials()
        if self._http.is_closed:
            raise ConfigurationError("this client is closed")
        ticket = KeyTicket.for_call(
            call, credentials, key, lease=self._core.longest_call(), ttl=self._key_ttl
        )
        waited = 0.0
        pauses = wait_schedule(self._key_wait)
        while (record := self._keys.claim(ticket.scope, ticket.claim)) is not None:
            replay = ticket.judge(record)
            if replay is not None:
                return replay
            pause = next(pauses, None)
            if pause is None:
                raise ticket.in_use(waited)
            time.sleep(pause)
            waited += pause
        owner = ticket.claim.owner
        try:
            outcome = self._attempts(call)
        except BaseException:
            # Interrupted (Ctrl-C, a bug) after the request may have left: never send it again.
            self._settle(lambda: self._keys.finish(ticket.scope, owner, UNKNOWN_OUTCOME))
            raise
        if never_sent(outcome):
            self._settle(lambda: self._keys.release(ticket.scope, owner))
        else:
            self._settle(lambda: self._keys.finish(ticket.scope, owner, encode_outcome(outcome)))
        return outcome

    @staticmethod
    def _settle(action: Callable[[], None]) -> None:
        # The call's outcome is the caller's whatever the store does; a store that fails here leaves
        # the key in flight, so that its lease runs out into "outcome unknown", never a second send.
        try:
            action()
        except IdempotencyError as exc:
            logger.warning("could not record an idempotency key's outcome: %s", exc)

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
