"""``Message/``: sendMessage, getMessages (with Plivo's filters) and getSingleMessage."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.models.messages import MESSAGE, STATES, plan_outbound, render_message
from plivo_blocks.sandbox.responses import accepted, bad_request, ok
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.times import parse_filter_time

MESSAGE_TYPES = ("sms", "mms")
TIME_FILTERS = {
    "message_time__gt": "gt",
    "message_time__gte": "gte",
    "message_time__lt": "lt",
    "message_time__lte": "lte",
}


async def send(ctx: ApiContext) -> Response:
    if ctx.text("powerpack_uuid") and not ctx.text("src"):
        raise bad_request("powerpacks are not simulated by the sandbox; give src")
    src = ctx.require("src")
    dst = ctx.require("dst")
    message_type = ctx.choice("type", MESSAGE_TYPES, "sms") or "sms"
    text = ctx.param("text") or ""
    if message_type == "sms" and not text.strip():
        raise bad_request("text is required")
    if message_type == "mms" and not (text.strip() or ctx.text("media_urls") or ctx.text("media_ids")):
        raise bad_request("an mms needs text or media_urls")
    method = ctx.method("method")
    planned = plan_outbound(src, dst, text, message_type, now=ctx.state.clock.datetime())
    messaging = ctx.state.messaging
    uuids = await messaging.create_outbound(ctx.account.auth_id, planned, ctx.text("url"), method, text)
    return accepted({"message": "message(s) queued", "message_uuid": uuids})


def _time(ctx: ApiContext, name: str) -> float:
    raw = ctx.require(name)
    moment = parse_filter_time(raw)
    if moment is None:
        raise bad_request(f"{name} must be a date and time like 2016-05-28 00:00:00")
    return moment


async def list_messages(ctx: ApiContext) -> Response:
    filters: dict[str, Any] = {}
    direction = ctx.choice("message_direction", ("inbound", "outbound"))
    if direction:
        filters["message_direction"] = direction
    message_state = ctx.choice("message_state", STATES)
    if message_state:
        filters["message_state"] = message_state
    message_type = ctx.choice("message_type", MESSAGE_TYPES)
    if message_type:
        filters["message_type"] = message_type
    error_code = ctx.text("error_code")
    if error_code is not None:
        if not error_code.isdigit():
            raise bad_request("error_code must be a number")
        filters["error_code__in"] = [error_code, error_code.lstrip("0") or "0", error_code.zfill(3)]
    for name in ("from_number", "to_number"):
        value = ctx.text(name)
        if value:
            filters[name] = value.lstrip("+")
    bounds: dict[str, float] = {}
    for name, op in TIME_FILTERS.items():
        if ctx.text(name) is not None:
            bounds[op] = _time(ctx, name)
    if ctx.text("message_time") is not None:  # an exact time: that whole second
        exact = _time(ctx, "message_time")
        bounds["gte"] = max(bounds.get("gte", exact), exact)
        bounds["lt"] = min(bounds.get("lt", exact + 1), exact + 1)
    for op, moment in bounds.items():
        filters[f"_time__{op}"] = moment
    return await ctx.list_documents(MESSAGE, lambda tx, d: render_message(d), filters)


async def get_message(ctx: ApiContext) -> Response:
    return ok(render_message(await ctx.get_document(MESSAGE, ctx.path["message_uuid"], "message")))


routes: list[BaseRoute] = [
    api_route("POST", "Message/", send),
    api_route("GET", "Message/", list_messages),
    api_route("GET", "Message/{message_uuid}/", get_message),
]
