"""``Call/`` and ``Request/``: make calls, call detail records, live calls and the actions on them.

Parameters are checked with the catalog's own block definitions (the same rules the client
applies), named as Plivo names them in errors. Live-call actions answer 404 once a call has ended.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.catalog import get_block
from plivo_blocks.errors import ValidationError
from plivo_blocks.sandbox.models.base import fetch, fetch_page, stored_fields
from plivo_blocks.sandbox.responses import (
    accepted,
    bad_request,
    created,
    new_api_id,
    no_content,
    not_found,
    ok,
)
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.times import parse_filter_time
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.causes import CANCELED_API, IN_PROGRESS, NORMAL_API, QUEUED
from plivo_blocks.sandbox.voice.cdr import CallRecord

CALL_NOT_FOUND = "call not found"
LIVE_STATUSES = ("live", "queued")
COMPARISONS = ("gt", "gte", "lt", "lte")


def public_base(ctx: ApiContext) -> str:
    return ctx.state.settings.public_url or str(ctx.request.base_url).rstrip("/")


def validated(block_name: str, ctx: ApiContext) -> dict[str, Any]:
    """Check the request's parameters with the catalog block ``block_name``; answer the parsed values
    by Plivo parameter name. Parameters the block does not know are ignored, as Plivo ignores them."""
    block = get_block(block_name)
    by_param = {arg.param: arg for arg in block.args if arg.name not in block.path_args}
    raw: dict[str, Any] = {
        by_param[name].name: value for name, value in ctx.params.items() if name in by_param
    }
    for arg in block.args:
        if arg.name in block.path_args and arg.param in ctx.path:
            raw[arg.name] = ctx.path[arg.param]
    try:
        values = block.validate(raw)
    except ValidationError as exc:
        names = {arg.name: arg.param for arg in block.args}
        raise bad_request(
            "; ".join(f"{names.get(p.argument, p.argument)}: {p.message}" for p in exc.problems)
        ) from None
    return {arg.param: values[arg.name] for arg in block.args if arg.name in values}


def client_ip(ctx: ApiContext) -> str:
    """The address a request came from (a call's ``source_ip``)."""
    return ctx.request.client.host if ctx.request.client else ""


async def live_call(ctx: ApiContext, *, answered: bool = False) -> Call:
    """The live call of the path, or 404 (also when ``answered`` is asked and it still rings)."""
    call = ctx.state.voice.live_call(ctx.path["call_uuid"], await ctx.owners())
    if call is None or (answered and call.status != IN_PROGRESS):
        raise not_found(CALL_NOT_FOUND)
    return call


# -- making calls ----------------------------------------------------------------------------


async def make_call(ctx: ApiContext) -> Response:
    values = validated("makeCall", ctx)
    destinations = str(values["to"]).split("<")
    if values["from"] in destinations:
        raise bad_request("from and to cannot be the same number")
    parent = values.get("parent_call_uuid")
    if (
        values.get("error_if_parent_not_found")
        and parent
        and ctx.state.voice.live_call(parent, await ctx.owners()) is None
    ):
        raise not_found("parent call not found")
    sip_headers: dict[str, str] = {}
    if values.get("sip_headers"):
        for pair in str(values["sip_headers"]).split(","):
            key, _, value = pair.partition("=")
            sip_headers[key.strip()] = value.strip()
    config = {
        **values,
        "sip_headers": sip_headers,
        "public_base": public_base(ctx),
        "source_ip": client_ip(ctx),
        "main_auth_id": ctx.account.main_id,
    }
    calls = await ctx.state.voice.place_calls(ctx.account.auth_id, destinations, config)
    request_uuids = [c.request_uuid for c in calls]
    return created(
        {"message": "call fired", "request_uuid": request_uuids[0] if len(calls) == 1 else request_uuids}
    )


# -- reading -----------------------------------------------------------------------------------


def _live_ids(ctx: ApiContext, calls: list[Call]) -> list[str]:
    direction = ctx.choice("call_direction", ("inbound", "outbound"))
    from_number = ctx.text("from_number")
    to_numbers = {n.lstrip("+") for n in (ctx.text("to_number") or "").split("<") if n}
    chosen = [
        c
        for c in calls
        if (direction is None or c.direction == direction)
        and (from_number is None or c.from_.lstrip("+") == from_number.lstrip("+"))
        and (not to_numbers or c.to.lstrip("+") in to_numbers)
    ]
    chosen.sort(key=lambda c: c.initiated, reverse=True)
    limit, offset = ctx.page()
    return [c.uuid for c in chosen[offset : offset + limit]]


def _time_filter(ctx: ApiContext, name: str) -> float | None:
    raw = ctx.text(name)
    if raw is None:
        return None
    moment = parse_filter_time(raw)
    if moment is None:
        raise bad_request(f"{name} must be a date and time like 2016-05-28 00:00:00")
    return moment


def _integer_filter(ctx: ApiContext, name: str) -> int | None:
    raw = ctx.text(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None


async def list_calls(ctx: ApiContext) -> Response:
    status = ctx.choice("status", LIVE_STATUSES)
    if status is not None:
        calls = ctx.state.voice.live_calls(await ctx.owners())
        # A call waiting in Plivo's queue (calls per second) is queued, not live.
        calls = [c for c in calls if (c.status == QUEUED) == (status == "queued")]
        return ok({"calls": _live_ids(ctx, calls)})
    filters: dict[str, Any] = {"live": False}
    direction = ctx.choice("call_direction", ("inbound", "outbound"))
    if direction:
        filters["call_direction"] = direction
    if ctx.text("from_number"):
        filters["from_"] = str(ctx.text("from_number")).lstrip("+")
    if ctx.text("to_number"):
        filters["to__in"] = [n.lstrip("+") for n in str(ctx.text("to_number")).split("<") if n]
    for field, column in (("bill_duration", "bill_duration"), ("hangup_cause_code", "hangup_cause_code")):
        for op in ("", *COMPARISONS):
            name = f"{field}__{op}" if op else field
            value = _integer_filter(ctx, name)
            if value is not None:
                filters[f"{column}__{op}" if op else column] = value
    for op in ("", *COMPARISONS):
        name = f"end_time__{op}" if op else "end_time"
        moment = _time_filter(ctx, name)
        if moment is not None:
            if op:
                filters[f"end__{op}"] = moment
            else:  # a time to the second: the whole second matches
                filters["end__gte"], filters["end__lt"] = moment, moment + 1
    for name in ("parent_call_uuid", "hangup_source"):
        if ctx.text(name):
            filters[name] = ctx.text(name)
    limit, offset = ctx.page()
    owners = await ctx.listing_owners()
    records, total = await fetch_page(
        ctx.store, CallRecord, owners, stored_fields(CallRecord, filters), limit, offset
    )
    # Plivo's call list repeats an api_id inside every record (see callListResponse.json).
    api_id = new_api_id()
    return ctx.list_response([{"api_id": api_id, **r.render()} for r in records], total, limit, offset)


async def get_call(ctx: ApiContext) -> Response:
    status = ctx.choice("status", LIVE_STATUSES)
    if status is not None:
        call = await live_call(ctx)
        # ``status=queued`` is how both official SDKs read a queued call (Python
        # ``queued_calls.get``, Node ``getQueuedCall``); a call not waiting in the queue is not found,
        # nor is a queued call as a live one.
        if (status == "queued") != (call.status == QUEUED):
            raise not_found(CALL_NOT_FOUND)
        shown = {
            "call_status": call.status,
            "call_uuid": call.uuid,
            "caller_name": call.caller_name,
            "direction": call.direction,
            "from": call.from_ if call.from_.startswith(("+", "sip:")) else f"+{call.from_}",
            "request_uuid": call.request_uuid,
            "session_start": call.initiated.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "to": call.to,
        }
        if status == "queued":  # a queued call has no session yet
            del shown["session_start"]
        return ok(shown)
    record = await fetch(ctx.store, CallRecord, ctx.path["call_uuid"], await ctx.owners())
    if record is None or record.live:
        raise not_found(CALL_NOT_FOUND)
    return ok(record.render())


# -- ending --------------------------------------------------------------------------------------


async def hangup_call(ctx: ApiContext) -> Response:
    call = await live_call(ctx)
    await ctx.state.voice.hangup(call, NORMAL_API if call.status == IN_PROGRESS else CANCELED_API)
    return no_content()


async def hangup_all(ctx: ApiContext) -> Response:
    voice = ctx.state.voice
    for call in voice.live_calls(await ctx.owners()):
        await voice.hangup(call, NORMAL_API if call.status == IN_PROGRESS else CANCELED_API)
    return no_content()


async def cancel_request(ctx: ApiContext) -> Response:
    voice = ctx.state.voice
    call = voice.call_for_request(ctx.path["request_uuid"], await ctx.owners())
    if call is None or call.answered is not None:
        raise not_found("request not found")
    await voice.hangup(call, CANCELED_API)
    return no_content()


# -- actions on live calls -----------------------------------------------------------------------


async def transfer_call(ctx: ApiContext) -> Response:
    values = validated("transferCall", ctx)
    call = await live_call(ctx, answered=True)
    legs = values.get("legs", "aleg")
    if legs in ("aleg", "both") and not values.get("aleg_url"):
        raise bad_request("aleg_url is required to transfer the aleg")
    if legs in ("bleg", "both") and not values.get("bleg_url"):
        raise bad_request("bleg_url is required to transfer the bleg")
    voice = ctx.state.voice
    if legs in ("bleg", "both"):
        bleg = voice.bridged_leg(call)
        if bleg is None:
            raise bad_request(f"legs {legs}: this call has no bleg (it is not connected in a Dial)")
        voice.transfer(bleg, str(values["bleg_url"]), str(values.get("bleg_method", "POST")))
    if legs in ("aleg", "both"):
        voice.transfer(call, str(values["aleg_url"]), str(values.get("aleg_method", "POST")))
    return accepted({"message": "call transfered"})


async def record_call(ctx: ApiContext) -> Response:
    values = validated("recordCall", ctx)
    call = await live_call(ctx, answered=True)
    api_id = new_api_id()
    recording = await ctx.state.voice.start_recording(
        call,
        file_format=str(values.get("file_format", "mp3")),
        time_limit=float(values.get("time_limit", 60)),
        callback_url=values.get("callback_url"),
        callback_method=str(values.get("callback_method", "POST")),
        api_id=api_id,
    )
    # The answer's api_id is the one the recording's callback repeats, as Plivo's does.
    return accepted(
        {
            "api_id": api_id,
            "url": recording.url,
            "message": "call recording started",
            "recording_id": recording.id,
        }
    )


async def stop_recording(ctx: ApiContext) -> Response:
    call = await live_call(ctx, answered=True)
    await ctx.state.voice.stop_recordings(call, ctx.text("URL") or ctx.text("url"))
    return no_content()


async def play(ctx: ApiContext) -> Response:
    values = validated("playMusicFile", ctx)
    call = await live_call(ctx, answered=True)
    urls = values["urls"]
    playing = [str(u) for u in urls] if isinstance(urls, list | tuple) else str(urls).split(",")
    call.note("api_play", urls=playing, legs=values.get("legs", "aleg"))
    length = values.get("length")
    ctx.state.voice.play_on_call(
        call, playing, length=float(length) if length else None, loop=bool(values.get("loop", False))
    )
    return accepted({"message": "play started"})


async def stop_play(ctx: ApiContext) -> Response:
    call = await live_call(ctx, answered=True)
    call.note("api_play_stop")
    ctx.state.voice.stop_media(call)
    return no_content()


async def speak(ctx: ApiContext) -> Response:
    values = validated("playText", ctx)
    call = await live_call(ctx, answered=True)
    text = str(values["text"])
    call.note("api_speak", text=text, voice=values.get("voice", "WOMAN"))
    ctx.state.voice.speak_on_call(call, text, loop=bool(values.get("loop", False)))
    return accepted({"message": "speak started"})


async def stop_speak(ctx: ApiContext) -> Response:
    call = await live_call(ctx, answered=True)
    call.note("api_speak_stop")
    ctx.state.voice.stop_media(call)
    return no_content()


async def send_digits(ctx: ApiContext) -> Response:
    values = validated("sendDigits", ctx)
    call = await live_call(ctx, answered=True)
    # Tones played to the leg's party, as Plivo sends them; not keys pressed by the caller.
    leg = values.get("leg", "aleg")
    target = call if leg == "aleg" else ctx.state.voice.bridged_leg(call)
    if target is None:
        raise bad_request("leg bleg: this call has no bleg (it is not connected in a Dial)")
    ctx.state.voice.send_tones(target, str(values["digits"]))
    return accepted({"message": "digits sent"})


routes: list[BaseRoute] = [
    api_route("POST", "Call/", make_call),
    api_route("GET", "Call/", list_calls),
    api_route("DELETE", "Call/", hangup_all),
    api_route("GET", "Call/{call_uuid}/", get_call),
    api_route("POST", "Call/{call_uuid}/", transfer_call),
    api_route("DELETE", "Call/{call_uuid}/", hangup_call),
    api_route("POST", "Call/{call_uuid}/Record/", record_call),
    api_route("DELETE", "Call/{call_uuid}/Record/", stop_recording),
    api_route("POST", "Call/{call_uuid}/Play/", play),
    api_route("DELETE", "Call/{call_uuid}/Play/", stop_play),
    api_route("POST", "Call/{call_uuid}/Speak/", speak),
    api_route("DELETE", "Call/{call_uuid}/Speak/", stop_speak),
    api_route("POST", "Call/{call_uuid}/DTMF/", send_digits),
    api_route("DELETE", "Request/{request_uuid}/", cancel_request),
]
