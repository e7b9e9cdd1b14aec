"""The webhook outbox: every callback the sandbox makes, signed as Plivo signs them, delivered off the
request path, retried, and logged.

* :meth:`Outbox.send` (the :class:`~plivo_blocks.sandbox.state.WebhookSender` the rest of the sandbox
  calls) only enqueues and returns: a slow or failing receiver never stalls the API.
* A background worker (started in the app's lifespan) persists each delivery as a ``webhook``
  document, then delivers it with :mod:`httpx`: ``POST`` as a form (``application/x-www-form-urlencoded``)
  or ``GET`` with the parameters in the query string, within ``settings.webhook_timeout_seconds``, with
  the six signature headers of :func:`plivo_blocks.signatures.signed_headers` (fresh nonces per attempt).
  A non-2xx answer or a transport error is retried after ``settings.webhook_retry_seconds``, doubling
  each time, up to :data:`MAX_ATTEMPTS` attempts. Deliveries still pending at shutdown resume at the next
  start.
* :meth:`Outbox.fetch` is for the call engine, which needs the answer (the XML of ``answer_url``): one
  signed attempt, the response body returned, the exchange logged like any delivery.
* The delivery log (``GET /_sandbox/webhooks``) shows url, method, kind, status (``pending``,
  ``delivered``, ``failed``), attempts, the last HTTP status and error, and the parameters sent.

Tokens are looked up per attempt and never stored, logged or shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from plivo_blocks.sandbox.clock import format_time, utc_now
from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.state import SandboxState
from plivo_blocks.signatures import signed_headers

__all__ = ["MAX_ATTEMPTS", "WEBHOOK", "FetchFailed", "FetchResult", "Outbox", "install", "outbox"]

log = logging.getLogger("plivo_blocks.sandbox.webhooks")

WEBHOOK = "webhook"  # document kind of the delivery log
MAX_ATTEMPTS = 4
MAX_CONCURRENT = 16
MAX_FETCH_BYTES = 1024 * 1024
USER_AGENT = "PlivoSandbox/1.0 (plivo-blocks)"

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass
class _Delivery:
    id: str
    url: str
    method: str
    params: dict[str, str]
    auth_id: str
    kind: str
    attempts: int = 0
    persisted: bool = False
    due: float = field(default_factory=time.monotonic)

    def document(self) -> dict[str, Any]:
        return {
            "delivery_id": self.id,
            "url": self.url,
            "method": self.method,
            "kind": self.kind,
            "params": self.params,
            "status": PENDING,
            "attempts": 0,
            "last_status": None,
            "last_error": None,
            "created": format_time(utc_now(), micro=True),
            "delivered_at": None,
            "_time": time.time(),
        }


@dataclass(frozen=True)
class FetchResult:
    status: int
    body: bytes
    content_type: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class FetchFailed(Exception):
    """The URL could not be fetched (transport error or timeout); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _with_query(url: str, params: Mapping[str, str]) -> str:
    if not params:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Outbox:
    """Queue, worker and log of the sandbox's outgoing webhooks (see the module docstring)."""

    def __init__(self, state: SandboxState, *, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.state = state
        self.max_attempts = max_attempts
        self._heap: list[tuple[float, int, _Delivery]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)
        self._client: httpx.AsyncClient | None = None

    # -- the sender interface --------------------------------------------------------------

    def send(self, url: str, method: str, params: Mapping[str, str], *, auth_id: str, kind: str) -> None:
        """Enqueue one callback; returns at once. A blank ``url`` means "no callback configured"."""
        if not url or not url.strip():
            return
        delivery = _Delivery(
            id=new_uuid(),
            url=url.strip(),
            method="GET" if method.upper() == "GET" else "POST",
            params={str(k): "" if v is None else str(v) for k, v in params.items()},
            auth_id=auth_id,
            kind=kind,
        )
        self._schedule(delivery)

    @property
    def pending(self) -> int:
        """Deliveries queued, waiting for a retry, or in flight."""
        return len(self._heap) + len(self._in_flight)

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is pending (retries included), at most ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # -- the engine's synchronous fetch ----------------------------------------------------

    async def fetch(
        self, url: str, method: str, params: Mapping[str, str], *, auth_id: str, kind: str
    ) -> FetchResult:
        """Request ``url`` once, signed, and return the answer (any status); raise :class:`FetchFailed`
        when no answer came. Logged in the delivery log under ``kind``."""
        method = "GET" if method.upper() == "GET" else "POST"
        delivery = _Delivery(new_uuid(), url, method, {k: str(v) for k, v in params.items()}, auth_id, kind)
        record = delivery.document()
        try:
            result = await self._request(delivery, limit=MAX_FETCH_BYTES)
        except FetchFailed as exc:
            record.update(status=FAILED, attempts=1, last_error=exc.reason)
            await self._log(delivery, record)
            raise
        record.update(
            status=DELIVERED if result.ok else FAILED,
            attempts=1,
            last_status=result.status,
            last_error=None if result.ok else f"HTTP {result.status}",
            delivered_at=format_time(utc_now(), micro=True) if result.ok else None,
        )
        await self._log(delivery, record)
        return result

    async def _log(self, delivery: _Delivery, record: dict[str, Any]) -> None:
        try:
            await self.state.store.insert(WEBHOOK, delivery.id, delivery.auth_id, record)
        except Exception:  # the log is best effort; the call must go on
            log.exception("could not log a webhook fetch")

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._client = httpx.AsyncClient(follow_redirects=False, headers={"User-Agent": USER_AGENT})
        pending = await self.state.store.list(WEBHOOK, filters={"status": PENDING}, newest_first=False)
        for doc in pending:
            self._schedule(
                _Delivery(
                    id=doc.id,
                    url=str(doc.data["url"]),
                    method=str(doc.data["method"]),
                    params=dict(doc.data.get("params") or {}),
                    auth_id=doc.owner,
                    kind=str(doc.data.get("kind", "")),
                    attempts=int(doc.data.get("attempts", 0)),
                    persisted=True,
                )
            )

    async def stop(self) -> None:
        for task in list(self._in_flight):
            task.cancel()
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def reset(self) -> None:
        """Forget queued deliveries (the store was wiped)."""
        self._heap.clear()
        for task in list(self._in_flight):
            task.cancel()
        self._update_idle()

    async def run(self) -> None:
        """The worker: start each delivery when it is due, at most :data:`MAX_CONCURRENT` at once."""
        while True:
            now = time.monotonic()
            while self._heap and self._heap[0][0] <= now:
                _, _, delivery = heapq.heappop(self._heap)
                task = asyncio.create_task(self._deliver(delivery))
                self._in_flight.add(task)
                task.add_done_callback(self._finished)
            self._wake.clear()
            timeout = self._heap[0][0] - now if self._heap else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    # -- internals -------------------------------------------------------------------------

    def _schedule(self, delivery: _Delivery, delay: float = 0.0) -> None:
        delivery.due = time.monotonic() + delay
        heapq.heappush(self._heap, (delivery.due, next(self._order), delivery))
        self._idle.clear()
        self._wake.set()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook delivery crashed", exc_info=task.exception())
        self._update_idle()

    def _update_idle(self) -> None:
        if not self._heap and not self._in_flight:
            self._idle.set()

    async def _deliver(self, delivery: _Delivery) -> None:
        store = self.state.store
        if not delivery.persisted:
            await store.insert(WEBHOOK, delivery.id, delivery.auth_id, delivery.document())
            delivery.persisted = True
        async with self._slots:
            delivery.attempts += 1
            error: str | None
            status: int | None = None
            try:
                result = await self._request(delivery, limit=64 * 1024)
                status = result.status
                error = None if result.ok else f"HTTP {result.status}"
            except FetchFailed as exc:
                error = exc.reason
        changes: dict[str, Any] = {"attempts": delivery.attempts, "last_status": status, "last_error": error}
        retry = error is not None and delivery.attempts < self.max_attempts
        if error is None:
            changes.update(status=DELIVERED, delivered_at=format_time(utc_now(), micro=True))
        elif not retry:
            changes["status"] = FAILED
        await store.update(WEBHOOK, delivery.id, changes)
        if retry:
            # Scheduled while this task is still in flight, so the outbox never looks idle in between.
            base = max(self.state.settings.webhook_retry_seconds, 0.0)
            self._schedule(delivery, base * 2 ** (delivery.attempts - 1))

    async def _request(self, delivery: _Delivery, *, limit: int) -> FetchResult:
        if self._client is None:
            raise FetchFailed("the sandbox is not running")
        headers = await self._signatures(delivery)
        timeout = max(self.state.settings.webhook_timeout_seconds, 0.05)
        if delivery.method == "GET":
            request = self._client.build_request(
                "GET", _with_query(delivery.url, delivery.params), headers=headers, timeout=timeout
            )
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            request = self._client.build_request(
                "POST", delivery.url, content=urlencode(delivery.params), headers=headers, timeout=timeout
            )
        try:
            async with asyncio.timeout(timeout * 2):
                response = await self._client.send(request, stream=True)
                try:
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > limit:
                            break
                finally:
                    await response.aclose()
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            raise FetchFailed(_describe(exc)) from None
        return FetchResult(
            response.status_code, bytes(body[:limit]), response.headers.get("content-type", "")
        )

    async def _signatures(self, delivery: _Delivery) -> dict[str, str]:
        state = self.state
        account = await state.get_account(delivery.auth_id)
        if account is None or account.is_main:
            token = account.auth_token if account else state.main_auth_token
            main_token = state.main_auth_token if account is None else token
        else:
            parent = await state.get_account(account.main_id)
            token = account.auth_token
            main_token = parent.auth_token if parent else state.main_auth_token
        return signed_headers(
            delivery.url, delivery.method, delivery.params, auth_token=token, main_auth_token=main_token
        )


_OUTBOXES: weakref.WeakKeyDictionary[SandboxState, Outbox] = weakref.WeakKeyDictionary()


def outbox(state: SandboxState) -> Outbox:
    """The state's outbox (installing one if the app was built without it). It stays the outbox for
    fetches and the delivery log even when a test swaps ``state.webhooks`` for a stand-in."""
    box = _OUTBOXES.get(state)
    return box if box is not None else install(state)


def install(state: SandboxState) -> Outbox:
    """Replace ``state.webhooks`` with an :class:`Outbox` and hook it into the app's lifespan."""
    box = Outbox(state)
    _OUTBOXES[state] = box
    state.webhooks = box
    state.on_startup(box.start)
    state.on_shutdown(box.stop)
    state.background(box.run)
    state.on_reset(box.reset)
    return box
