"""The voice half of the control API (``/_sandbox/...``, main account Basic auth).

=========  ==================================  ======================================================
Method     Path                                What
=========  ==================================  ======================================================
GET        /_sandbox/calls                     calls "made" (all accounts): live ones from the engine,
                                               ended ones from their records; filters: ``live``
                                               (true/false), direction, status, from, to, auth_id,
                                               limit, offset
GET        /_sandbox/calls/{uuid}              one call, with its log (what the sandbox did)
POST       /_sandbox/calls/inbound             ``{"from", "to"}``: a call to a rented number, answered
                                               by its application's ``answer_url``
POST       /_sandbox/calls/{uuid}/hangup       the other party hangs up (``{"source": "api"}``: as
                                               ``hangupSingleCall`` would)
POST       /_sandbox/calls/{uuid}/advance      stop the call's current wait: a ringing hold
                                               (``{"to": answered|busy|no-answer|failed|rejected}``),
                                               a GetDigits (no input), a conference (leave it, go on)
POST       /_sandbox/calls/{uuid}/digits       ``{"digits"}``: the other party types digits
POST       /_sandbox/calls/hold                ``{"state": "ringing"}``: new calls stop ringing there
DELETE     /_sandbox/calls/hold                lift the hold; held calls are answered
POST       /_sandbox/calls/settle              ``{"timeout"?}``: wait until every call waits on the
                                               outside world or has ended, and callbacks are delivered
GET        /_sandbox/conferences               live conferences of every account, with members
GET        /_sandbox/webhooks                  the webhook delivery log; filters: kind, status, url
                                               (contains), auth_id, limit, offset
POST       /_sandbox/webhooks/flush            ``{"timeout"?}``: wait until no callback is pending
GET, POST  /_sandbox/xml?xml=<Response>...     no auth: answers the Plivo XML given in ``xml``, so an
                                               ``answer_url`` can point at the sandbox itself (no
                                               server of your own needed); 400 unless it is valid
=========  ==================================  ======================================================

For example, a call that stays live in a conference until it is hung up::

    answer_url = "http://127.0.0.1:8000/_sandbox/xml?xml=<Response><Conference>demo</Conference></Response>"
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from plivo_blocks.sandbox.models.numbers import application_for_number
from plivo_blocks.sandbox.responses import PlivoError, accepted, bad_request, created, error_response, ok
from plivo_blocks.sandbox.routes.calls import CALL_NOT_FOUND, public_base
from plivo_blocks.sandbox.routes.conferences import render_member
from plivo_blocks.sandbox.routing import ApiContext, body_text, control_route, json_object
from plivo_blocks.sandbox.settings import CALL_HOLD_STATES
from plivo_blocks.sandbox.store import Tx
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.causes import ADVANCE_TARGETS, NORMAL_API, remote_hangup
from plivo_blocks.sandbox.voice.cdr import CALL, render_cdr
from plivo_blocks.sandbox.webhooks import WEBHOOK

MAX_WAIT_SECONDS = 60.0


def _timeout(ctx: ApiContext, default: float = 5.0) -> float:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    raw = body.get("timeout", ctx.params.get("timeout", default))
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise bad_request("timeout must be a number of seconds") from None
    if not 0 <= value <= MAX_WAIT_SECONDS:
        raise bad_request(f"timeout must be between 0 and {MAX_WAIT_SECONDS:g}")
    return value


def live_view(call: Call) -> dict[str, Any]:
    return {
        "call_uuid": call.uuid,
        "request_uuid": call.request_uuid,
        "auth_id": call.owner,
        "live": True,
        "direction": call.direction,
        "from": call.from_,
        "to": call.to,
        "status": call.status,
        "activity": call.activity,
        "waiting_for_digits": call.waiting_for == "digits",
        "held": call.held,
        "conference_name": call.conference,
        "member_id": call.member_id,
        "recordings": sorted(call.recordings),
        "answer_url": call.answer_url,
        "clock_seconds": round(call.seconds(), 3),
    }


def ended_view(data: dict[str, Any], owner: str) -> dict[str, Any]:
    return {
        **render_cdr(data),
        "auth_id": owner,
        "live": False,
        "request_uuid": data.get("_request_uuid"),
        "status": data.get("_status"),
    }


def _live_call(ctx: ApiContext) -> Call:
    call = ctx.state.voice.calls.get(ctx.path["call_uuid"])
    if call is None or call.ended:
        raise PlivoError(404, CALL_NOT_FOUND)
    return call


# -- calls ---------------------------------------------------------------------------------------


async def list_calls(ctx: ApiContext) -> Response:
    live = ctx.flag("live", True) if ctx.text("live") else None
    direction = ctx.choice("direction", ("inbound", "outbound"))
    status = ctx.text("status")
    owner = ctx.text("auth_id")
    from_number = (ctx.text("from") or "").lstrip("+")
    to_number = (ctx.text("to") or "").lstrip("+")
    limit, offset = ctx.page()
    views: list[dict[str, Any]] = []
    if live in (None, True):
        for call in sorted(ctx.state.voice.calls.values(), key=lambda c: c.initiated, reverse=True):
            if (
                (direction is None or call.direction == direction)
                and (status is None or call.status == status)
                and (owner is None or call.owner == owner)
                and (not from_number or call.from_.lstrip("+") == from_number)
                and (not to_number or call.to.lstrip("+") == to_number)
            ):
                views.append(live_view(call))
    if live in (None, False):
        filters: dict[str, Any] = {"_live": False}
        if direction:
            filters["call_direction"] = direction
        if status:
            filters["_status"] = status
        if from_number:
            filters["_from"] = from_number
        if to_number:
            filters["_to"] = to_number
        docs = await ctx.store.list(CALL, [owner] if owner else None, filters)
        views.extend(ended_view(d.data, d.owner) for d in docs)
    return ctx.list_response(views[offset : offset + limit], len(views), limit, offset)


async def get_call(ctx: ApiContext) -> Response:
    call = ctx.state.voice.calls.get(ctx.path["call_uuid"])
    if call is not None and not call.ended:
        return ok({**live_view(call), "log": list(call.log)})
    doc = await ctx.store.get(CALL, ctx.path["call_uuid"])
    if doc is None:
        raise PlivoError(404, CALL_NOT_FOUND)
    return ok({**ended_view(doc.data, doc.owner), "log": doc.data.get("_log", [])})


async def inbound_call(ctx: ApiContext) -> Response:
    body = json_object(ctx)
    from_ = body_text(body, "from")
    to = body_text(body, "to")
    assert from_ is not None and to is not None
    to = to.lstrip("+")

    def find(tx: Tx) -> tuple[str, dict[str, Any]] | None:
        found = application_for_number(tx, to)
        if found is None:
            return None
        number, application = found
        return number.owner, dict(application.data) if application else {}

    found = await ctx.store.transaction(find)
    if found is None:
        raise PlivoError(404, f"{to} is not a rented number")
    owner, application = found
    if not application.get("answer_url"):
        raise bad_request(f"{to} has no application with an answer_url")
    call = await ctx.state.voice.receive_call(owner, from_.lstrip("+"), to, application, public_base(ctx))
    return created({"message": "call received", "call_uuid": call.uuid, "auth_id": owner})


async def end_call(ctx: ApiContext) -> Response:
    call = _live_call(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    source = body.get("source", "remote")
    if source not in ("remote", "api"):
        raise bad_request("source must be remote or api")
    await ctx.state.voice.hangup(call, NORMAL_API if source == "api" else remote_hangup(call.direction))
    return accepted({"message": "call ended", "call_uuid": call.uuid})


async def advance_call(ctx: ApiContext) -> Response:
    call = _live_call(ctx)
    target = body_text(ctx.body if isinstance(ctx.body, dict) else {}, "to", required=False) or "answered"
    if target not in ADVANCE_TARGETS:
        raise bad_request(f"to must be one of {', '.join(ADVANCE_TARGETS)}")
    if not ctx.state.voice.advance(call, target):
        raise PlivoError(409, f"call is not waiting (it is {call.activity})")
    return accepted({"message": "advanced", "call_uuid": call.uuid, "activity": call.activity})


async def type_digits(ctx: ApiContext) -> Response:
    call = _live_call(ctx)
    digits = body_text(json_object(ctx), "digits")
    assert digits is not None
    taken = ctx.state.voice.send_digits(call, digits)
    return accepted({"message": "digits sent", "taken": taken})


async def hold_calls(ctx: ApiContext) -> Response:
    state = body_text(json_object(ctx), "state")
    if state not in CALL_HOLD_STATES:
        raise bad_request(f"state must be one of {', '.join(CALL_HOLD_STATES)}")
    ctx.state.settings.call_hold_state = state
    return accepted({"message": f"new calls are held in {state}"})


async def release_calls(ctx: ApiContext) -> Response:
    ctx.state.settings.call_hold_state = None
    voice = ctx.state.voice
    released = [c.uuid for c in list(voice.calls.values()) if c.held and voice.advance(c, "answered")]
    return accepted({"message": "released", "released": len(released)})


async def settle(ctx: ApiContext) -> Response:
    voice = ctx.state.voice
    settled = await ctx.state.clock.wait_idle(_timeout(ctx))
    return ok(
        {
            "settled": settled,
            "live_calls": len(voice.calls),
            "pending_webhooks": ctx.state.outbox.pending,
        }
    )


# -- conferences and webhooks -------------------------------------------------------------------


async def list_conferences(ctx: ApiContext) -> Response:
    rooms = ctx.state.voice.bridge.rooms.values()
    return ok(
        {
            "conferences": [
                {
                    "conference_name": room.name,
                    "conference_uuid": room.uuid,
                    "auth_id": room.owner,
                    "recording": room.recording.id if room.recording else None,
                    "members": [render_member(m) for m in room.members.values()],
                }
                for room in rooms
            ]
        }
    )


async def list_webhooks(ctx: ApiContext) -> Response:
    filters: dict[str, Any] = {}
    for name in ("kind", "status"):
        if ctx.text(name):
            filters[name] = ctx.text(name)
    if ctx.text("url"):
        filters["url__contains"] = ctx.text("url")
    owner = ctx.text("auth_id")
    limit, offset = ctx.page()
    docs, total = await ctx.store.page(WEBHOOK, [owner] if owner else None, filters, limit, offset)
    objects = [
        {**{k: v for k, v in d.data.items() if not k.startswith("_")}, "auth_id": d.owner} for d in docs
    ]
    return ctx.list_response(objects, total, limit, offset)


async def flush_webhooks(ctx: ApiContext) -> Response:
    box = ctx.state.outbox
    idle = await ctx.state.clock.wait_idle(_timeout(ctx))
    return ok({"idle": idle, "pending": box.pending})


async def echo_xml(request: Request) -> Response:
    document = request.query_params.get("xml", "")
    try:
        px.parse(document)
    except px.InvalidXML as exc:
        return error_response(400, f"xml is not valid Plivo XML: {exc}")
    # Served as data, never as a page: no scripts, no sniffing.
    headers = {"Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff"}
    return Response(document, media_type="application/xml", headers=headers)


routes: list[BaseRoute] = [
    Route("/_sandbox/xml", echo_xml, methods=["GET", "POST"]),
    control_route("GET", "calls", list_calls),
    control_route("POST", "calls/inbound", inbound_call),
    control_route("POST", "calls/hold", hold_calls),
    control_route("DELETE", "calls/hold", release_calls),
    control_route("POST", "calls/settle", settle),
    control_route("GET", "calls/{call_uuid}", get_call),
    control_route("POST", "calls/{call_uuid}/hangup", end_call),
    control_route("POST", "calls/{call_uuid}/advance", advance_call),
    control_route("POST", "calls/{call_uuid}/digits", type_digits),
    control_route("GET", "conferences", list_conferences),
    control_route("GET", "webhooks", list_webhooks),
    control_route("POST", "webhooks/flush", flush_webhooks),
]
