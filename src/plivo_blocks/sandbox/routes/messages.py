"""``Message/``: sendMessage, getMessages (with Plivo's filters), getSingleMessage and the media of a
message (``Message/{uuid}/Media/``).

``POST Message/`` checks its parameters as Plivo's "Send a message" reference describes them
(enumerations, ``dst`` cleaning, text lengths, MMS media), then the sender rules in the transaction
that stores the messages (:mod:`plivo_blocks.sandbox.senders`). What the sandbox does not simulate
is refused by name: Powerpacks, WhatsApp, uploaded media (``media_ids``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.message_queue import DEFAULT_EXPIRY_SECONDS
from plivo_blocks.sandbox.messaging import OutboundRequest
from plivo_blocks.sandbox.models.base import stored_fields
from plivo_blocks.sandbox.models.message_rules import check_media_urls, check_text, parse_destinations
from plivo_blocks.sandbox.models.messages import STATES, Message
from plivo_blocks.sandbox.responses import accepted, bad_request, ok
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.times import parse_filter_time

SEND_TYPES = ("sms", "mms", "whatsapp")
LIST_TYPES = ("sms", "mms", "whatsapp")
LOG_VALUES = ("true", "false", "number_only", "content_only")
MIN_EXPIRY, MAX_EXPIRY = 5, 10799
WHATSAPP_ONLY = ("template", "interactive", "location")
CONVERSATION_ORIGINS = ("service", "utility", "authentication", "marketing")
TIME_FILTERS = {
    "message_time__gt": "gt",
    "message_time__gte": "gte",
    "message_time__lt": "lt",
    "message_time__lte": "lte",
}
#: Filters on things the sandbox never makes (Powerpack, 10DLC campaign and WhatsApp messages):
#: they match no message (so does ``conversation_origin``, WhatsApp's too).
NEVER_MATCHING = ("powerpack_id", "tendlc_campaign_id", "conversation_id")


def _message_type(ctx: ApiContext) -> str:
    message_type = (ctx.choice("type", SEND_TYPES, "sms") or "sms").lower()
    if message_type == "whatsapp":
        raise bad_request("type whatsapp: WhatsApp messages are not simulated by the plivo-blocks sandbox")
    for name in WHATSAPP_ONLY:
        if ctx.text(name) is not None:
            raise bad_request(f"{name} is only applicable when type is whatsapp")
    return message_type


def _text(ctx: ApiContext, message_type: str, media_urls: list[str]) -> str:
    text = ctx.param("text") or ""
    if message_type == "sms":
        if not text.strip():
            raise bad_request("text is required")
        if media_urls:
            raise bad_request("media_urls is only for type mms")
    elif not media_urls:
        raise bad_request("media_urls is required when type is mms (a comma-separated list of URLs)")
    check_text(text, message_type)
    return text


def _expiry(ctx: ApiContext) -> float:
    raw = ctx.text("message_expiry")
    if raw is None:
        return float(DEFAULT_EXPIRY_SECONDS)
    try:
        seconds = int(raw)
    except ValueError:
        raise bad_request("message_expiry must be a whole number of seconds") from None
    if not MIN_EXPIRY <= seconds <= MAX_EXPIRY:
        raise bad_request(f"message_expiry must be between {MIN_EXPIRY} and {MAX_EXPIRY} seconds")
    return float(seconds)


def _callback_url(ctx: ApiContext) -> str | None:
    url = ctx.text("url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad_request(f"url {url!r} is not an absolute http(s) URL")
    return url


async def send(ctx: ApiContext) -> Response:
    if ctx.text("powerpack_uuid") is not None:
        if ctx.text("src") is not None:
            raise bad_request(
                "Both powerpack_uuid and src cannot be specified. Specify either powerpack_uuid or src "
                "in request params to send a message."
            )
        raise bad_request(
            "powerpack_uuid: Powerpacks are not simulated by the plivo-blocks sandbox; send with src"
        )
    if ctx.text("media_ids") is not None:
        raise bad_request(
            "media_ids: uploaded media (the Media API) are not simulated by the plivo-blocks sandbox; "
            "give media_urls"
        )
    src = ctx.require("src")
    destinations = parse_destinations(ctx.require("dst"))
    message_type = _message_type(ctx)
    media_urls = check_media_urls(ctx.param("media_urls"))
    text = _text(ctx, message_type, media_urls)
    method = ctx.method("method")
    log = ctx.text("log")
    if log is not None and log.lower() not in LOG_VALUES:
        raise bad_request(f"log must be one of {', '.join(LOG_VALUES)}")
    ctx.flag("trackable", False)
    request = OutboundRequest(
        owner=ctx.account.auth_id,
        account=ctx.account.main_id,
        owners=await ctx.owners(),
        src=src,
        destinations=destinations,
        text=text,
        message_type=message_type,
        media_urls=media_urls,
        url=_callback_url(ctx),
        method=method,
        expiry_seconds=_expiry(ctx),
        requester_ip=ctx.request.client.host if ctx.request.client else "",
    )
    uuids = await ctx.state.messaging.create_outbound(request)
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
    message_type = ctx.choice("message_type", LIST_TYPES)
    if message_type:
        filters["message_type"] = message_type
    if ctx.text("tendlc_registration_status") is not None:
        raise bad_request(
            "tendlc_registration_status: 10DLC registration is not simulated by the plivo-blocks sandbox"
        )
    error_code = ctx.text("error_code")
    if error_code is not None:
        if not error_code.isdigit():
            raise bad_request("error_code must be a number")
        filters["error_code__in"] = [error_code, error_code.lstrip("0") or "0", error_code.zfill(3)]
    for name in ("from_number", "to_number"):
        value = ctx.text(name)
        if value:
            filters[name] = value.lstrip("+")
    country = ctx.text("destination_country_iso2")
    if country is not None:
        filters["country"] = country.upper()
    bounds: dict[str, float] = {}
    for name, op in TIME_FILTERS.items():
        if ctx.text(name) is not None:
            bounds[op] = _time(ctx, name)
    if ctx.text("message_time") is not None:  # an exact time: that whole second
        exact = _time(ctx, "message_time")
        bounds["gte"] = max(bounds.get("gte", exact), exact)
        bounds["lt"] = min(bounds.get("lt", exact + 1), exact + 1)
    for op, moment in bounds.items():
        filters[f"time__{op}"] = moment
    origin = ctx.choice("conversation_origin", CONVERSATION_ORIGINS)
    if message_type == "whatsapp" or origin or any(ctx.text(name) is not None for name in NEVER_MATCHING):
        filters["id"] = ""  # the sandbox makes no such messages
    return await ctx.list_documents(Message, lambda tx, m: m.render(), stored_fields(Message, filters))


async def get_message(ctx: ApiContext) -> Response:
    return ok((await ctx.get_document(Message, ctx.path["message_uuid"], "message")).render())


async def list_media(ctx: ApiContext) -> Response:
    message = await ctx.get_document(Message, ctx.path["message_uuid"], "message")
    return ok({"message_uuid": message.id, "objects": message.render_media()})


routes: list[BaseRoute] = [
    api_route("POST", "Message/", send),
    api_route("GET", "Message/", list_messages),
    api_route("GET", "Message/{message_uuid}/", get_message),
    api_route("GET", "Message/{message_uuid}/Media/", list_media),
]
