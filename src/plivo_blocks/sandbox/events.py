"""What happens in the sandbox, as a stream of events: for the console and the inspector.

Every part publishes one :class:`SandboxEvent` per thing worth a line (an API request, a webhook
delivery, a step of a call, a message changing state). Listeners are called synchronously
(:meth:`EventBus.listen`, e.g. the console printer), and subscribers get them through a bounded
queue each (:meth:`EventBus.subscribe`, e.g. the inspector's live updates; a slow subscriber
loses events rather than slowing the sandbox). The last events are kept for late subscribers.

No event carries a credential: publishers pass only ids, numbers, states and URLs without their
query strings' secrets (tokens never travel in sandbox URLs).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["EventBus", "EventKind", "SandboxEvent"]

log = logging.getLogger("plivo_blocks.sandbox.events")

EventKind = Literal["api", "webhook", "call", "message", "conference", "clock", "control"]
RECENT = 500
QUEUE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class SandboxEvent:
    id: int
    kind: EventKind
    summary: str  # one readable line
    at: float  # sandbox time, epoch seconds
    ref: str | None = None  # the uuid of what it is about (call, message, delivery)
    auth_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "summary": self.summary,
            "at": self.at,
            "ref": self.ref,
            "auth_id": self.auth_id,
            "data": dict(self.data),
        }


class EventBus:
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._ids = itertools.count(1)
        self._listeners: list[Callable[[SandboxEvent], None]] = []
        self._queues: set[asyncio.Queue[SandboxEvent]] = set()
        self.recent: deque[SandboxEvent] = deque(maxlen=RECENT)

    def publish(
        self,
        kind: EventKind,
        summary: str,
        *,
        ref: str | None = None,
        auth_id: str | None = None,
        **data: Any,
    ) -> SandboxEvent:
        event = SandboxEvent(next(self._ids), kind, summary, self._now(), ref, auth_id, data)
        self.recent.append(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not break the sandbox
                log.exception("sandbox event listener failed")
        for queue in self._queues:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)
        return event

    def listen(self, listener: Callable[[SandboxEvent], None]) -> None:
        self._listeners.append(listener)

    @contextlib.contextmanager
    def _queue(self) -> Iterator[asyncio.Queue[SandboxEvent]]:
        queue: asyncio.Queue[SandboxEvent] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    async def subscribe(self, *, after: int = 0) -> AsyncIterator[SandboxEvent]:
        """Events with an id above ``after`` (from :attr:`recent` first), then live ones."""
        with self._queue() as queue:
            for event in list(self.recent):
                if event.id > after:
                    yield event
                    after = event.id
            while True:
                event = await queue.get()
                if event.id > after:
                    yield event
