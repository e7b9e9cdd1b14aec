"""``GET /_sandbox/events``: what happens in the sandbox, live, as server-sent events (main account).

Each event of the :class:`~plivo_blocks.sandbox.events.EventBus` (API requests, control changes,
messages changing state, webhook deliveries, calls, the clock) is one SSE message whose ``id`` is the
event's id and whose ``data`` is its JSON (``{"id", "kind", "summary", "at", "ref", "auth_id",
"data"}``). A client resumes where it left off with ``Last-Event-ID`` (browsers' ``EventSource``
sends it when it reconnects) or ``?after=N``: the last events are replayed from the bus's buffer.

A stream ends after :data:`STREAM_SECONDS` (the browser reconnects at once, missing nothing), so
no connection stays open forever through proxies and server shutdowns; a comment line goes out
every :data:`HEARTBEAT_SECONDS` without events, so a client that left is noticed.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.events import EventBus
from plivo_blocks.sandbox.responses import bad_request
from plivo_blocks.sandbox.routing import ApiContext, control_route

STREAM_SECONDS = 20.0
HEARTBEAT_SECONDS = 5.0
RECONNECT_MS = 250


async def _messages(bus: EventBus, after: int, deadline: float) -> AsyncIterator[str]:
    yield f"retry: {RECONNECT_MS}\n\n"
    async for event in bus.subscribe(after=after, heartbeat=HEARTBEAT_SECONDS):
        if event is None:
            yield ": still here\n\n"
        else:
            data = json.dumps(event.as_dict(), default=str, separators=(",", ":"))
            yield f"id: {event.id}\ndata: {data}\n\n"
        if time.monotonic() >= deadline:
            return


async def stream_events(ctx: ApiContext) -> Response:
    """Server-sent events: every sandbox event as it happens (resume with Last-Event-ID or ``after``)."""
    raw = ctx.request.headers.get("last-event-id") or ctx.text("after") or "0"
    if not raw.isdigit():
        raise bad_request("after (or Last-Event-ID) must be an event id, a whole number")
    deadline = time.monotonic() + STREAM_SECONDS
    return StreamingResponse(
        _messages(ctx.state.events, int(raw), deadline),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


routes: list[BaseRoute] = [control_route("GET", "events", stream_events)]
