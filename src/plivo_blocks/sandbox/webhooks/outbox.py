"""The webhook outbox: every callback the sandbox makes, signed as Plivo signs them, persisted before
it is acknowledged, delivered off the request path on the sandbox clock, retried as Plivo retries,
and logged.

* :meth:`Outbox.enqueue` writes a :class:`~.delivery.Delivery` inside the caller's transaction (a
  message's status callback is stored in the same commit as the message), and
  :meth:`Outbox.dispatch` starts it once that transaction committed. :meth:`Outbox.send` does both
  for callers with no transaction of their own (the call engine). Deliveries still pending when the
  sandbox stops are resumed by :meth:`Outbox.start`.
* Each try is a ``POST`` form (``application/x-www-form-urlencoded``) or a ``GET`` with the
  parameters in the query string, with the signature headers of
  :func:`plivo_blocks.signatures.signed_headers` (fresh nonces per try). Timeouts and retries follow
  the URL's fragment (:class:`~.policy.CallbackPolicy`, Plivo's defaults: one retry, on connection
  failures and read timeouts only); retries wait ``settings.webhook_retry_seconds`` of sandbox time.
* :meth:`Outbox.fetch` is for the call engine, which needs the answer (an answer URL's XML): tried
  under the same policy, the answer returned, the exchange logged like any delivery.
* :meth:`Outbox.on_finished` lets a part learn how its callbacks of one kind ended (an inbound
  SMS is ``delivered`` or ``undelivered`` depending on whether ``message_url`` took it).
* Deliveries run as tracked work on the sandbox clock, so ``POST /_sandbox/clock/advance`` answers
  only once due callbacks have been delivered. Callbacks about the same thing (the same ``ref``: a
  message, a call) go one after another, in the order they were made, so a receiver sees a
  message's ``queued``, ``sent`` and ``delivered`` in that order; others go in parallel.

Tokens are looked up per try (:class:`~plivo_blocks.sandbox.accounts.AccountDirectory`) and never
stored, logged or shown; the signatures themselves are logged (they are not secrets).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from plivo_blocks.sandbox.accounts import AccountDirectory
from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.events import EventBus
from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.models.base import fetch, insert, load_all, stored_fields
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.store import ANY_OWNER, Store, Tx
from plivo_blocks.sandbox.webhooks.delivery import (
    DELIVERED,
    EXCERPT_BYTES,
    FAILED,
    PENDING,
    WEBHOOK,
    Attempt,
    Callback,
    Delivery,
)
from plivo_blocks.sandbox.webhooks.policy import CallbackPolicy
from plivo_blocks.signatures import signed_headers

__all__ = ["FetchFailed", "FetchResult", "Outbox"]

log = logging.getLogger("plivo_blocks.sandbox.webhooks")

MAX_CONCURRENT = 16
MAX_FETCH_BYTES = 1024 * 1024
USER_AGENT = "PlivoSandbox/1.0 (plivo-blocks)"
_SIGNATURE_HEADERS = (
    "x-plivo-signature-v2",
    "x-plivo-signature-v2-nonce",
    "x-plivo-signature-v3",
    "x-plivo-signature-v3-nonce",
    "x-plivo-signature-ma-v2",
    "x-plivo-signature-ma-v3",
)


@dataclass(frozen=True)
class FetchResult:
    status: int
    body: bytes
    content_type: str
    truncated: bool = False  # the answer was longer than the fetch's limit

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class FetchFailed(Exception):
    """No usable answer came (transport error, timeout, or a status the policy gave up on)."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class _TryFailed(Exception):
    def __init__(self, failure: str, reason: str) -> None:
        super().__init__(reason)
        self.failure = failure  # ct or rt: what the policy's rp names
        self.reason = reason


def _with_query(url: str, params: Mapping[str, str]) -> str:
    if not params:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _failure_of(status: int) -> str | None:
    if 400 <= status < 500:
        return "4xx"
    if status >= 500:
        return "5xx"
    return None


class Outbox:
    """Queue, deliverer and log of the sandbox's outgoing webhooks (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        clock: SandboxClock,
        settings: SandboxSettings,
        accounts: AccountDirectory,
        events: EventBus,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._accounts = accounts
        self._events = events
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)
        self._active: set[str] = set()  # deliveries in flight or waiting for a retry
        self._lanes: dict[str, deque[Delivery]] = {}  # ref -> its deliveries, the first one active
        self._finished: dict[str, Callable[[Delivery], Awaitable[None]]] = {}  # kind -> its listener

    def __repr__(self) -> str:
        return f"Outbox(active={len(self._active)})"

    @property
    def pending(self) -> int:
        return len(self._active)

    def on_finished(self, kind: str, listener: Callable[[Delivery], Awaitable[None]]) -> None:
        """Await ``listener(delivery)`` when a delivery of ``kind`` reached its final state (delivered,
        or failed for good), after it is saved and before ``advance`` may answer."""
        self._finished[kind] = listener

    # -- sending -------------------------------------------------------------------------------

    def enqueue(self, tx: Tx, callback: Callback) -> Delivery | None:
        """Persist ``callback`` in ``tx`` (so it is durable when ``tx`` commits); start it with
        :meth:`dispatch` after the commit. ``None`` for a blank URL (no callback configured)."""
        if not callback.url:
            return None
        delivery = Delivery(new_uuid(), callback, self._clock.now())
        insert(tx, delivery)
        return delivery

    def dispatch(self, deliveries: Iterable[Delivery | None]) -> None:
        for delivery in deliveries:
            if delivery is None or delivery.id in self._active:
                continue
            self._active.add(delivery.id)
            ref = delivery.callback.ref
            if ref is not None:
                lane = self._lanes.setdefault(ref, deque())
                lane.append(delivery)
                if len(lane) > 1:
                    continue  # it goes when the ones before it are done
            self._start(delivery)

    def _start(self, delivery: Delivery) -> None:
        self._clock.spawn(self._deliver(delivery), name=f"webhook {delivery.id}")

    def _done(self, delivery: Delivery) -> None:
        """``delivery`` reached its final state: let the next one about the same thing go."""
        self._active.discard(delivery.id)
        ref = delivery.callback.ref
        lane = self._lanes.get(ref) if ref is not None else None
        if lane is None:
            return
        if lane and lane[0] is delivery:
            lane.popleft()
        if lane:
            self._start(lane[0])
        elif ref is not None:
            del self._lanes[ref]

    async def send(self, callback: Callback) -> Delivery | None:
        delivery = await self._store.transaction(lambda tx: self.enqueue(tx, callback))
        self.dispatch([delivery])
        return delivery

    async def redeliver(self, delivery_id: str) -> Delivery | None:
        """Send a logged callback again, as a new delivery (the inspector's "redeliver")."""
        logged = await fetch(self._store, Delivery, delivery_id, ANY_OWNER)
        if logged is None:
            return None
        return await self.send(logged.callback)

    async def _deliver(self, delivery: Delivery) -> None:
        policy = CallbackPolicy.of(delivery.callback.url)
        try:
            async with self._slots:
                outcome = await self._try(delivery.callback, policy, limit=EXCERPT_BYTES)
        except BaseException:
            self._done(delivery)
            raise
        delivery.attempts.append(outcome.attempt)
        if outcome.ok:
            delivery.status, delivery.delivered_at = DELIVERED, self._clock.now()
        elif self._retried(policy, delivery, outcome):
            await self._save(delivery)
            delay = max(self._settings.webhook_retry_seconds, 0.0)
            self._clock.call_later(delay, lambda: self._start(delivery))
            return
        else:
            delivery.status = FAILED
        await self._save(delivery)
        self._done(delivery)
        self._announce(delivery)
        listener = self._finished.get(delivery.callback.kind)
        if listener is not None:
            try:
                await listener(delivery)
            except Exception:  # the listener's trouble is not the delivery's
                log.exception("a delivery listener failed")

    def _retried(self, policy: CallbackPolicy, delivery: Delivery, outcome: _Outcome) -> bool:
        """Whether the policy asks for another try after ``outcome`` (rp, rc and tt)."""
        return (
            outcome.failure is not None
            and policy.retries_after(outcome.failure)
            and len(delivery.attempts) <= policy.retries
            and self._clock.now() - delivery.created < policy.total_timeout
        )

    async def _save(self, delivery: Delivery) -> None:
        data = delivery.to_data()  # taken here, on the loop, where the delivery changes
        await self._store.update(WEBHOOK, delivery.id, data, [delivery.owner])

    def _announce(self, delivery: Delivery) -> None:
        callback, last = delivery.callback, delivery.last
        outcome = f"HTTP {last.status}" if last and last.status is not None else (last.error if last else "")
        self._events.publish(
            "webhook",
            f"{callback.kind} {callback.method} {CallbackPolicy.of(callback.url).url} -> {outcome}"
            f" ({delivery.status}, {len(delivery.attempts)} tr{'y' if len(delivery.attempts) == 1 else 'ies'})",
            ref=callback.ref,
            auth_id=callback.auth_id,
            delivery_id=delivery.id,
            status=delivery.status,
        )

    # -- the engine's fetch ----------------------------------------------------------------------

    async def fetch(
        self, callback: Callback, *, policy: CallbackPolicy | None = None, limit: int = MAX_FETCH_BYTES
    ) -> FetchResult:
        """Request ``callback.url`` under its policy (or ``policy``: Plivo fetches audio files with
        fixed values) and return the last answer, whatever its status; :class:`FetchFailed` when no
        answer came. At most ``limit`` bytes of the body are kept (``truncated`` says when there
        was more). Logged in the delivery log."""
        policy = policy or CallbackPolicy.of(callback.url)
        delivery = Delivery(new_uuid(), callback, self._clock.now())
        while True:
            outcome = await self._try(callback, policy, limit=limit)
            delivery.attempts.append(outcome.attempt)
            if outcome.ok or not self._retried(policy, delivery, outcome):
                break
        delivery.status = DELIVERED if outcome.ok else FAILED
        delivery.delivered_at = self._clock.now() if outcome.ok else None
        try:
            await self._store.transaction(lambda tx: insert(tx, delivery))
        except Exception:  # the log is best effort; the call must go on
            log.exception("could not log a webhook fetch")
        self._announce(delivery)
        if outcome.result is None:
            raise FetchFailed(outcome.attempt.error or "no answer")
        return outcome.result

    async def signature_headers(self, url: str, method: str, *, auth_id: str) -> dict[str, str]:
        """The signature headers Plivo puts on a request to ``url`` made for ``auth_id`` with no
        parameters (a ``<Stream>``'s WebSocket handshake signs its URL this way)."""
        token, main_token = await self._accounts.signing_tokens(auth_id)
        return signed_headers(url, method, None, auth_token=token, main_auth_token=main_token)

    # -- one try -----------------------------------------------------------------------------------

    async def _try(
        self,
        callback: Callback,
        policy: CallbackPolicy,
        *,
        limit: int,
    ) -> _Outcome:
        client = self._http()
        token, main_token = await self._accounts.signing_tokens(callback.auth_id)
        headers = signed_headers(
            policy.url, callback.method, callback.params, auth_token=token, main_auth_token=main_token
        )
        shown = {k: v for k, v in headers.items() if k.lower() in _SIGNATURE_HEADERS}
        read_timeout = policy.read_timeout
        if self._settings.webhook_timeout_seconds is not None:
            read_timeout = min(read_timeout, self._settings.webhook_timeout_seconds)
        timeout = httpx.Timeout(read_timeout, connect=policy.connect_timeout)
        if callback.method == "GET":
            request = client.build_request(
                "GET", _with_query(policy.url, callback.params), headers=headers, timeout=timeout
            )
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            request = client.build_request(
                "POST", policy.url, content=urlencode(callback.params), headers=headers, timeout=timeout
            )
        started_at, started = self._clock.now(), time.perf_counter()
        try:
            async with asyncio.timeout(policy.connect_timeout + read_timeout * 2):
                response = await client.send(request, stream=True)
                try:
                    body = await _read_limited(response, limit + 1)
                finally:
                    await response.aclose()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, OSError) as exc:
            return _Outcome.failed(Attempt(started_at, _ms_since(started), request_headers=shown), "ct", exc)
        except (httpx.HTTPError, TimeoutError) as exc:
            return _Outcome.failed(Attempt(started_at, _ms_since(started), request_headers=shown), "rt", exc)
        result = FetchResult(
            response.status_code, body[:limit], response.headers.get("content-type", ""), len(body) > limit
        )
        attempt = Attempt(
            started_at,
            _ms_since(started),
            status=result.status,
            error=None if result.ok else f"HTTP {result.status}",
            request_headers=shown,
            response_excerpt=body[:EXCERPT_BYTES].decode("utf-8", "replace"),
        )
        return _Outcome(attempt, result, _failure_of(result.status))

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport, follow_redirects=False, headers={"User-Agent": USER_AGENT}
            )
        return self._client

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Resume the deliveries a stop (or a crash) left pending."""
        pending = stored_fields(Delivery, {"status": PENDING})
        self.dispatch(
            await self._store.transaction(
                lambda tx: load_all(tx, Delivery, ANY_OWNER, pending, newest_first=False)
            )
        )

    async def stop(self) -> None:
        self._active.clear()
        self._lanes.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def reset(self) -> None:
        """The store was wiped: forget what was queued (tracked tasks are cancelled by the clock)."""
        self._active.clear()
        self._lanes.clear()


@dataclass(frozen=True, slots=True)
class _Outcome:
    """One try: its log entry, the answer if one came, and its failure kind as ``rp`` names it."""

    attempt: Attempt
    result: FetchResult | None
    failure: str | None  # ct, rt, 4xx, 5xx, or None for a 2xx/3xx answer

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok

    @classmethod
    def failed(cls, attempt: Attempt, failure: str, exc: BaseException) -> _Outcome:
        attempt.error = _describe(exc)
        return cls(attempt, None, failure)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body.extend(chunk)
        if len(body) > limit:
            break
    return bytes(body[:limit])


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timeout"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
