"""The control API (``/_sandbox/...``): drive the sandbox from tests. Main account Basic auth.

=========  ==============================  ==========================================================
Method     Path                            What
=========  ==============================  ==========================================================
GET        /_sandbox/health                ``{"status": "ok"}`` (no auth; for readiness checks)
POST       /_sandbox/reset                 wipe everything but the main account; settings as created
GET        /_sandbox/settings              current settings
PATCH      /_sandbox/settings              change settings (JSON object of field: value)
GET        /_sandbox/messages              messages "sent" (all accounts), with ``text`` and ``url``;
                                           filters: direction, state, from, to, auth_id, ``q`` (in
                                           a number or the text), limit, offset
GET        /_sandbox/messages/{uuid}       one message, with its encoding, segments, state timeline
POST       /_sandbox/messages/inbound      ``{"from", "to", "text", "media_urls"?}``: an SMS (an MMS
                                           with media) to a rented number, delivered to its
                                           application's ``message_url``
POST       /_sandbox/messages/{uuid}/state ``{"state": delivered|failed|undelivered|rejected|read,
                                           "error_code"?}``: the message's final state (reported)
POST       /_sandbox/messages/hold         ``{"state": "queued"|"sent"}``: new messages stop there
DELETE     /_sandbox/messages/hold         lift the hold; held messages carry on
GET        /_sandbox/faults                pending injected faults
POST       /_sandbox/faults                ``{"kind": status|delay|drop, "count", "status",
                                           "delay_seconds", "methods", "path_prefix", "error"}``
DELETE     /_sandbox/faults                drop pending faults
=========  ==============================  ==========================================================
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.faults import parse_fault
from plivo_blocks.sandbox.message_views import message_detail
from plivo_blocks.sandbox.models.base import fetch, fetch_page, stored_fields
from plivo_blocks.sandbox.models.message_rules import check_media_urls
from plivo_blocks.sandbox.models.messages import SETTABLE_FINAL_STATES, STATES, Message
from plivo_blocks.sandbox.responses import (
    PlivoError,
    accepted,
    bad_request,
    created,
    no_content,
    ok,
)
from plivo_blocks.sandbox.routing import ApiContext, body_text, control_route, json_object, open_route
from plivo_blocks.sandbox.settings import MESSAGE_HOLD_STATES
from plivo_blocks.sandbox.store import ANY_OWNER


async def health(request: Request) -> Response:
    """Readiness: ``{"status": "ok"}`` once the sandbox answers (no auth)."""
    return JSONResponse({"status": "ok"})


async def reset(ctx: ApiContext) -> Response:
    """Wipe everything but the main account; settings and clock mode as created."""
    await ctx.state.reset()
    return ok({"message": "reset"})


async def get_settings(ctx: ApiContext) -> Response:
    """The current settings (timings, holds, limits)."""
    return ok({"settings": ctx.state.settings.as_dict()})


async def patch_settings(ctx: ApiContext) -> Response:
    """Change settings: a JSON object of setting: value (400 naming the first bad one)."""
    body = json_object(ctx)
    was_holding = ctx.state.settings.message_hold_state
    try:
        ctx.state.settings.apply(body)
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    if was_holding and ctx.state.settings.message_hold_state is None:
        await ctx.state.messaging.release_held()
    return ok({"settings": ctx.state.settings.as_dict()})


def _sent_view(message: Message) -> dict[str, Any]:
    return {
        **message.render(),
        "auth_id": message.owner,
        "text": message.text,
        "url": message.url,
        "method": message.method,
        "held": message.held,
    }


async def list_sent_messages(ctx: ApiContext) -> Response:
    """Messages of every account, newest first, with their text."""
    filters: dict[str, Any] = {}
    direction = ctx.choice("direction", ("inbound", "outbound"))
    if direction:
        filters["message_direction"] = direction
    state = ctx.choice("state", STATES)
    if state:
        filters["message_state"] = state
    for param, field in (("from", "from_number"), ("to", "to_number")):
        value = ctx.text(param)
        if value:
            filters[field] = value.lstrip("+")
    query = ctx.text("q")
    if query:
        filters["from_number|to_number|text__contains"] = query.lstrip("+")
    owner = ctx.text("auth_id")
    limit, offset = ctx.page()
    messages, total = await fetch_page(
        ctx.store, Message, [owner] if owner else ANY_OWNER, stored_fields(Message, filters), limit, offset
    )
    return ctx.list_response([_sent_view(m) for m in messages], total, limit, offset)


async def get_sent_message(ctx: ApiContext) -> Response:
    """One message with its text, encoding, segments, price and state timeline."""
    message = await fetch(ctx.store, Message, ctx.path["message_uuid"], ANY_OWNER)
    if message is None:
        raise PlivoError(404, "message not found")
    return ok(message_detail(_sent_view(message), message))


async def inbound_message(ctx: ApiContext) -> Response:
    """An SMS to a rented number, delivered to its application's message_url."""
    body = json_object(ctx)
    src = body_text(body, "from")
    dst = body_text(body, "to")
    text = body_text(body, "text", required=False) or ""
    assert src is not None and dst is not None
    media = body.get("media_urls") or []
    if not isinstance(media, list) or not all(isinstance(u, str) for u in media):
        raise bad_request("media_urls must be a list of URLs (an inbound MMS)")
    media_urls = check_media_urls(",".join(media))
    message, delivered_to = await ctx.state.messaging.receive_inbound(src, dst, text, media_urls)
    return created({"message_uuid": message.id, "auth_id": message.owner, "delivered_to": delivered_to})


async def set_message_state(ctx: ApiContext) -> Response:
    """Give a message its final state (delivered, failed, undelivered, rejected, read), reported by callback."""
    body = json_object(ctx)
    state = body_text(body, "state")
    if state not in SETTABLE_FINAL_STATES:
        raise bad_request(f"state must be one of {', '.join(SETTABLE_FINAL_STATES)}")
    error_code = body_text(body, "error_code", required=False)
    if error_code is not None and not error_code.isdigit():
        raise bad_request("error_code must be a number")
    message = await ctx.state.messaging.set_final_state(ctx.path["message_uuid"], state, error_code)
    if message is None:
        raise PlivoError(404, "message not found")
    return accepted(_sent_view(message))


async def hold_messages(ctx: ApiContext) -> Response:
    """New messages stop in ``queued`` or ``sent`` until released or given a state."""
    state = body_text(json_object(ctx), "state")
    if state not in MESSAGE_HOLD_STATES:
        raise bad_request(f"state must be one of {', '.join(MESSAGE_HOLD_STATES)}")
    ctx.state.settings.message_hold_state = state
    return accepted({"message": f"new messages are held in {state}"})


async def release_messages(ctx: ApiContext) -> Response:
    """Lift the hold; held messages carry on."""
    ctx.state.settings.message_hold_state = None
    released = await ctx.state.messaging.release_held()
    return accepted({"message": "released", "released": released})


async def list_faults(ctx: ApiContext) -> Response:
    """The pending injected faults."""
    return ok({"faults": ctx.state.faults.pending()})


async def add_fault(ctx: ApiContext) -> Response:
    """Make the next matching /v1 requests fail: status, delay or drop."""
    try:
        fault = parse_fault(json_object(ctx))
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    ctx.state.faults.add(fault)
    return created({"faults": ctx.state.faults.pending()})


async def clear_faults(ctx: ApiContext) -> Response:
    """Drop the pending faults."""
    ctx.state.faults.clear()
    return no_content()


routes: list[BaseRoute] = [
    open_route(("GET",), "health", health),
    control_route("POST", "reset", reset),
    control_route("GET", "settings", get_settings),
    control_route("PATCH", "settings", patch_settings, example={"message_sent_seconds": 2}),
    control_route("GET", "messages", list_sent_messages),
    control_route(
        "POST",
        "messages/inbound",
        inbound_message,
        example={"from": "14155550100", "to": "14155550101", "text": "Hi"},
    ),
    control_route("POST", "messages/hold", hold_messages, example={"state": "sent"}),
    control_route("DELETE", "messages/hold", release_messages),
    control_route("GET", "messages/{message_uuid}", get_sent_message),
    control_route(
        "POST",
        "messages/{message_uuid}/state",
        set_message_state,
        example={"state": "failed", "error_code": "30"},
    ),
    control_route("GET", "faults", list_faults),
    control_route(
        "POST",
        "faults",
        add_fault,
        example={"kind": "status", "count": 1, "status": 500, "path_prefix": "Message/"},
    ),
    control_route("DELETE", "faults", clear_faults),
]
