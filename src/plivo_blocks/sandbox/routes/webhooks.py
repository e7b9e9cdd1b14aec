"""The webhook delivery log in the control API (``/_sandbox/webhooks``, main account).

=========  ======================================  ===================================================
Method     Path                                    What
=========  ======================================  ===================================================
GET        /_sandbox/webhooks                      every callback and fetch the sandbox made, newest
                                                   first; filters: kind, status, url (contains), ref
                                                   (the message or call uuid), auth_id, limit, offset
GET        /_sandbox/webhooks/{delivery_id}        one delivery with its tries: signature headers,
                                                   answer status and excerpt, latency, error
POST       /_sandbox/webhooks/{delivery_id}/       send it again, as a new delivery (signed afresh)
           redeliver
POST       /_sandbox/webhooks/flush                ``{"timeout"?}``: wait until no callback is pending
=========  ======================================  ===================================================
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.models.base import fetch, fetch_page, stored_fields
from plivo_blocks.sandbox.responses import PlivoError, accepted, bad_request, ok
from plivo_blocks.sandbox.routing import ApiContext, control_route
from plivo_blocks.sandbox.store import ANY_OWNER
from plivo_blocks.sandbox.webhooks import Delivery

MAX_WAIT_SECONDS = 60.0
_FILTERS = ("kind", "status", "ref")


async def list_webhooks(ctx: ApiContext) -> Response:
    """The delivery log: every callback and fetch the sandbox made, newest first."""
    filters: dict[str, Any] = {name: ctx.text(name) for name in _FILTERS if ctx.text(name)}
    if ctx.text("url"):
        filters["url__contains"] = ctx.text("url")
    owner = ctx.text("auth_id")
    limit, offset = ctx.page()
    deliveries, total = await fetch_page(
        ctx.store, Delivery, [owner] if owner else ANY_OWNER, stored_fields(Delivery, filters), limit, offset
    )
    return ctx.list_response([d.render() for d in deliveries], total, limit, offset)


async def get_webhook(ctx: ApiContext) -> Response:
    """One delivery with its tries: signature headers sent, answer status and excerpt, latency."""
    delivery = await fetch(ctx.store, Delivery, ctx.path["delivery_id"], ANY_OWNER)
    if delivery is None:
        raise PlivoError(404, "delivery not found")
    return ok(delivery.render())


async def redeliver(ctx: ApiContext) -> Response:
    """Send a logged callback again, as a new delivery, signed afresh."""
    delivery = await ctx.state.outbox.redeliver(ctx.path["delivery_id"])
    if delivery is None:
        raise PlivoError(404, "delivery not found")
    return accepted({"message": "redelivery queued", "delivery_id": delivery.id})


async def flush_webhooks(ctx: ApiContext) -> Response:
    """Wait (at most ``timeout`` seconds, default 5) until no callback is pending."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    raw = body.get("timeout", ctx.params.get("timeout", 5.0))
    try:
        timeout = float(raw)
    except (TypeError, ValueError):
        raise bad_request("timeout must be a number of seconds") from None
    if not 0 <= timeout <= MAX_WAIT_SECONDS:
        raise bad_request(f"timeout must be between 0 and {MAX_WAIT_SECONDS:g}")
    idle = await ctx.state.clock.wait_idle(timeout)
    return ok({"idle": idle, "pending": ctx.state.outbox.pending})


routes: list[BaseRoute] = [
    control_route("GET", "webhooks", list_webhooks),
    control_route("POST", "webhooks/flush", flush_webhooks, example={"timeout": 5}),
    control_route("GET", "webhooks/{delivery_id}", get_webhook),
    control_route("POST", "webhooks/{delivery_id}/redeliver", redeliver),
]
