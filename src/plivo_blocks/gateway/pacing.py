"""Pacing each Plivo account to Plivo's published limits, so that the gateway never sends a request
only to collect a 429.

Plivo's limits (docs, "Account and feature limits"): 300 API requests per 5 seconds per account for
every API but the one that initiates a call; outbound calls at the account's CPS, 2 per second by
default. Plivo queues call requests beyond the CPS rather than refusing them, but the sandbox
enforces both, and pacing ``makeCall`` keeps call starts as predictable on one as on the other.
Both limits are settings (``PLIVO_BLOCKS_RATE_REQUESTS`` / ``_RATE_WINDOW``,
``PLIVO_BLOCKS_CALLS_PER_SECOND``); 0 turns one off.

The rule is a sliding log with reservations, exact for "at most ``limit`` in any window": each
account keeps the times of its last ``limit`` grants, oldest first, and a new request gets the
first time ``t`` that is no earlier than now or the latest grant (first come, first served) and at
least ``window`` after the grant ``limit`` places back. A request whose ``t`` is in the future
sleeps until then; one whose ``t`` is more than ``PLIVO_BLOCKS_MAX_QUEUE_SECONDS`` away is refused
at once (``RATE_LIMITED``, with the seconds after which a retry would be queued) and records
nothing. Every window is widened by ``PLIVO_BLOCKS_PACING_MARGIN`` (0.1 s), so that jitter between
the gateway and Plivo cannot squeeze ``limit + 1`` requests into one of Plivo's windows.

The grants live in the gateway's state store (SQLite on one host, Redis across hosts), so every
process sharing the store paces an account together. If the store fails, a process paces alone
in its memory until it answers again (and says so in its log and metrics): requests without an
idempotency key are never refused because the store is down.

The gateway sees auth ids only. On Plivo a subaccount's requests count toward its parent's limit;
the gateway paces each auth id on its own, since mapping a subaccount to its parent would cost a
request to Plivo. An operator whose traffic spans a parent and its subaccounts lowers the limits.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import MutableSequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import anyio

from plivo_blocks.errors import PacingLimitError

if TYPE_CHECKING:
    from plivo_blocks.gateway.metrics import GatewayMetrics
    from plivo_blocks.gateway.settings import GatewaySettings

LOG = logging.getLogger("plivo_blocks.gateway.pacing")

CALL_BLOCK = "makeCall"
CALLS_WINDOW = 1.0  # Plivo's CPS is per second
_FALLBACK_LOG_EVERY = 10.0
MIN_TOLERANCE = 0.02


class StoreUnavailable(Exception):
    """The state store did not answer in time, or failed. The message names no credential."""


@dataclass(frozen=True, slots=True)
class Reservation:
    """A turn: ``admitted`` with ``seconds`` to wait (0: go now), or refused with ``seconds`` after
    which a retry would be queued rather than refused."""

    admitted: bool
    seconds: float


def reserve(
    grants: MutableSequence[float], now: float, limit: int, window: float, max_wait: float
) -> Reservation:
    """The sliding-log rule on one account's grants (oldest first, at most ``limit`` kept): decide
    a new request's turn and, if admitted, record it in ``grants``."""
    turn = now
    if grants:
        turn = max(turn, grants[-1])
        if len(grants) >= limit:
            turn = max(turn, grants[-limit] + window)
    wait = turn - now
    if wait > max_wait:
        return Reservation(False, wait - max_wait)
    grants.append(turn)
    while len(grants) > limit:  # one at most, unless the limit was lowered
        del grants[0]
    return Reservation(True, wait)


class PacingBackend(Protocol):
    """Where the grants live. ``reserve`` applies :func:`reserve` atomically for ``bucket``;
    raises :class:`StoreUnavailable` when it cannot."""

    async def reserve(self, bucket: str, limit: int, window: float, max_wait: float) -> Reservation: ...


class MemoryPacing:
    """Grants in this process's memory: for a gateway without a store, and as the fallback of one
    whose store failed."""

    def __init__(self) -> None:
        self._grants: dict[str, deque[float]] = {}

    async def reserve(self, bucket: str, limit: int, window: float, max_wait: float) -> Reservation:
        grants = self._grants.get(bucket)
        if grants is None:
            grants = self._grants[bucket] = deque()
        return reserve(grants, time.monotonic(), limit, window, max_wait)


class Pacer:
    """Awaited by the gateway's client before every attempt (the client's ``pacer`` hook)."""

    def __init__(
        self, settings: GatewaySettings, backend: PacingBackend, metrics: GatewayMetrics | None = None
    ) -> None:
        self.max_wait = settings.max_queue_seconds
        margin = settings.pacing_margin
        # A request written within the margin of its turn keeps every window of Plivo's within the
        # limit; one that would be written later takes a new turn (the client's check). With no
        # margin at all, a few milliseconds are still allowed, or nothing could ever be sent.
        self.tolerance = max(margin, MIN_TOLERANCE)
        self._api = (settings.rate_requests, settings.rate_window + margin, settings.rate_window)
        self._calls = (settings.calls_per_second, CALLS_WINDOW + margin, CALLS_WINDOW)
        self._backend = backend
        self._fallback = MemoryPacing()
        self._metrics = metrics
        self._fallback_logged = 0.0

    async def __call__(self, auth_id: str, block: str) -> float | None:
        """Wait for the account's turn; answer when it was (``time.monotonic()``)."""
        bucket = "calls" if block == CALL_BLOCK else "api"
        limit, window, published = self._calls if bucket == "calls" else self._api
        if limit <= 0:
            return None
        key = f"{auth_id}:{bucket}"
        try:
            turn = await self._backend.reserve(key, limit, window, self.max_wait)
        except StoreUnavailable as exc:
            self._store_failed(exc)
            turn = await self._fallback.reserve(key, limit, window, self.max_wait)
        if not turn.admitted:
            if self._metrics is not None:
                self._metrics.pacing_refused(bucket)
            raise PacingLimitError(
                f"{block}: this account is at Plivo's limit of {limit} "
                f"{'calls' if bucket == 'calls' else 'requests'} per {published:g} s and its turn would "
                f"come after the {self.max_wait:g} s queue; nothing was sent. "
                f"Retry after {turn.seconds:.1f} s.",
                retry_after=turn.seconds,
            )
        due = time.monotonic() + turn.seconds
        if turn.seconds > 0:
            if self._metrics is not None:
                self._metrics.pacing_waited(bucket, turn.seconds)
            await anyio.sleep(turn.seconds)
        return due

    def _store_failed(self, exc: StoreUnavailable) -> None:
        if self._metrics is not None:
            self._metrics.store_error("pacing")
        now = time.monotonic()
        if now - self._fallback_logged >= _FALLBACK_LOG_EVERY:
            self._fallback_logged = now
            LOG.warning("pacing store unavailable, pacing in this process alone for now: %s", exc)
