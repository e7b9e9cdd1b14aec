"""The voice half of the control API (``/_sandbox/...``, main account Basic auth).

=========  ==================================  ======================================================
Method     Path                                What
=========  ==================================  ======================================================
GET        /_sandbox/calls                     calls "made" (all accounts), newest first, live and
                                               ended in one shape (:mod:`..call_views`); filters:
                                               ``live`` (true/false), direction, status, from, to,
                                               auth_id, limit, offset
GET        /_sandbox/calls/{uuid}              one call, with its log (what the sandbox did), its
                                               timeline (log and HTTP exchanges), legs, recordings
POST       /_sandbox/calls/inbound             ``{"from", "to"}``: a call to a rented number, answered
                                               by its application's ``answer_url``
POST       /_sandbox/calls/{uuid}/hangup       the other party hangs up (``{"source": "api"}``: as
                                               ``hangupSingleCall`` would)
POST       /_sandbox/calls/{uuid}/advance      stop the call's current wait: a ringing hold
                                               (``{"to": answered|busy|no-answer|failed|rejected}``),
                                               a GetDigits (no input), a conference (leave it, go on)
POST       /_sandbox/calls/{uuid}/digits       ``{"digits"}``: the other party presses keys (0-9, *, #)
POST       /_sandbox/calls/{uuid}/speech       ``{"text"}``: the other party says words (GetInput)
POST       /_sandbox/calls/{uuid}/transfer     ``{"url", "method"?}``: the call continues with the XML
                                               at ``url`` (as ``transferCall`` with ``aleg_url``)
POST       /_sandbox/calls/hold                ``{"state": "ringing"}``: new calls stop ringing there
DELETE     /_sandbox/calls/hold                lift the hold; held calls are answered
POST       /_sandbox/calls/settle              ``{"timeout"?}``: wait until every call waits on the
                                               outside world or has ended, and callbacks are delivered
GET        /_sandbox/conferences               live conferences of every account, with members
POST       /_sandbox/conferences/{uuid}/       mute, unmute, deaf, undeaf, kick or hang up a member
           members/{member_id}/{action}
GET        /_sandbox/recordings                recordings of every account, newest first; filters:
                                               call_uuid, auth_id, limit, offset
GET, POST  /_sandbox/xml?xml=<Response>...     no auth: answers the Plivo XML given in ``xml``, so an
                                               ``answer_url`` can point at the sandbox itself (no
                                               server of your own needed); 400 unless it is valid
=========  ==================================  ======================================================

For example, a call that stays live in a conference until it is hung up::

    answer_url = "http://127.0.0.1:8000/_sandbox/xml?xml=<Response><Conference>demo</Conference></Response>"
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.call_views import (
    MEMBER_ACTIONS,
    call_detail,
    call_views,
    conference_view,
    find_conference,
    member_action,
)
from plivo_blocks.sandbox.models.applications import Application
from plivo_blocks.sandbox.models.base import fetch_page, stored_fields
from plivo_blocks.sandbox.models.numbers import application_for_number
from plivo_blocks.sandbox.responses import (
    PlivoError,
    accepted,
    bad_request,
    created,
    error_response,
    ok,
    xml_response,
)
from plivo_blocks.sandbox.routes.calls import CALL_NOT_FOUND, client_ip, public_base
from plivo_blocks.sandbox.routing import ApiContext, body_text, control_route, json_object, open_route
from plivo_blocks.sandbox.settings import CALL_HOLD_STATES
from plivo_blocks.sandbox.store import ANY_OWNER, Tx
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.causes import ADVANCE_TARGETS, NORMAL_API, remote_hangup
from plivo_blocks.sandbox.voice.recording_document import Recording

MAX_WAIT_SECONDS = 60.0
MAX_SPEECH_CHARS = 2000
_KEYS = re.compile(r"[0-9*#]+\Z")


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


def _live_call(ctx: ApiContext) -> Call:
    call = ctx.state.voice.calls.get(ctx.path["call_uuid"])
    if call is None or call.ended:
        raise PlivoError(404, CALL_NOT_FOUND)
    return call


# -- calls ---------------------------------------------------------------------------------------


async def list_calls(ctx: ApiContext) -> Response:
    """Calls of every account, newest first, live and ended in one shape."""
    filters: dict[str, Any] = {}
    if ctx.text("live"):
        filters["live"] = ctx.flag("live", True)
    direction = ctx.choice("direction", ("inbound", "outbound"))
    if direction:
        filters["call_direction"] = direction
    for param, field in (("status", "status"), ("from", "from_"), ("to", "to")):
        value = ctx.text(param)
        if value:
            filters[field] = value if param == "status" else value.lstrip("+")
    owner = ctx.text("auth_id")
    limit, offset = ctx.page()
    views, total = await call_views(
        ctx.state.voice, ctx.store, [owner] if owner else ANY_OWNER, filters, limit, offset
    )
    return ctx.list_response(views, total, limit, offset)


async def get_call(ctx: ApiContext) -> Response:
    """One call: its fields, log, timeline (steps and HTTP exchanges), legs and recordings."""
    detail = await call_detail(ctx.state.voice, ctx.store, ctx.path["call_uuid"])
    if detail is None:
        raise PlivoError(404, CALL_NOT_FOUND)
    return ok(detail)


async def inbound_call(ctx: ApiContext) -> Response:
    """A call to a rented number, answered by its application's answer_url."""
    body = json_object(ctx)
    from_ = body_text(body, "from")
    to = body_text(body, "to")
    assert from_ is not None and to is not None
    to = to.lstrip("+")

    def find(tx: Tx) -> tuple[str, Application | None] | None:
        found = application_for_number(tx, to)
        if found is None:
            return None
        number, application = found
        return number.owner, application

    found = await ctx.store.transaction(find)
    if found is None:
        raise PlivoError(404, f"{to} is not a rented number")
    owner, application = found
    if application is None or not application.answer_url:
        raise bad_request(f"{to} has no application with an answer_url")
    call = await ctx.state.voice.receive_call(
        owner, from_.lstrip("+"), to, application, public_base(ctx), source_ip=client_ip(ctx)
    )
    return created({"message": "call received", "call_uuid": call.uuid, "auth_id": owner})


async def end_call(ctx: ApiContext) -> Response:
    """The other party hangs up the live call (``{"source": "api"}``: as the API's hangup would)."""
    call = _live_call(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    source = body.get("source", "remote")
    if source not in ("remote", "api"):
        raise bad_request("source must be remote or api")
    await ctx.state.voice.hangup(call, NORMAL_API if source == "api" else remote_hangup(call.direction))
    return accepted({"message": "call ended", "call_uuid": call.uuid})


async def advance_call(ctx: ApiContext) -> Response:
    """Stop the call's current wait: a ringing hold (``to``: answered, busy, no-answer, failed, rejected), a GetDigits, a conference."""
    call = _live_call(ctx)
    target = body_text(ctx.body if isinstance(ctx.body, dict) else {}, "to", required=False) or "answered"
    if target not in ADVANCE_TARGETS:
        raise bad_request(f"to must be one of {', '.join(ADVANCE_TARGETS)}")
    if not ctx.state.voice.advance(call, target):
        raise PlivoError(409, f"call is not waiting (it is {call.activity})")
    return accepted({"message": "advanced", "call_uuid": call.uuid, "activity": call.activity})


async def type_digits(ctx: ApiContext) -> Response:
    """The other party types digits (a waiting GetDigits takes them)."""
    call = _live_call(ctx)
    digits = body_text(json_object(ctx), "digits")
    assert digits is not None
    if not _KEYS.match(digits):
        raise bad_request("digits must be keys among 0-9, * and #")
    taken = ctx.state.voice.press(call, digits)
    return accepted({"message": "digits pressed", "taken": taken})


async def say_words(ctx: ApiContext) -> Response:
    """The other party says words: heard by a GetInput listening for speech."""
    call = _live_call(ctx)
    text = body_text(json_object(ctx), "text")
    assert text is not None
    if len(text) > MAX_SPEECH_CHARS:
        raise bad_request(f"text must be at most {MAX_SPEECH_CHARS} characters")
    taken = ctx.state.voice.say(call, text)
    return accepted({"message": "speech heard", "taken": taken})


async def hold_calls(ctx: ApiContext) -> Response:
    """New calls stop ringing until released."""
    state = body_text(json_object(ctx), "state")
    if state not in CALL_HOLD_STATES:
        raise bad_request(f"state must be one of {', '.join(CALL_HOLD_STATES)}")
    ctx.state.settings.call_hold_state = state
    return accepted({"message": f"new calls are held in {state}"})


async def release_calls(ctx: ApiContext) -> Response:
    """Lift the hold on new calls; held calls are answered."""
    ctx.state.settings.call_hold_state = None
    voice = ctx.state.voice
    released = [c.uuid for c in list(voice.calls.values()) if c.held and voice.advance(c, "answered")]
    return accepted({"message": "released", "released": len(released)})


async def settle(ctx: ApiContext) -> Response:
    """Wait until every call waits on the outside world or has ended, and callbacks are delivered."""
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
    """Live conferences of every account, with their members."""
    return ok({"conferences": [conference_view(room) for room in ctx.state.voice.bridge.rooms.values()]})


async def act_on_member(ctx: ApiContext) -> Response:
    """Mute, unmute, deaf, undeaf, kick or hang up a member of a live conference."""
    action = ctx.path["action"]
    if action not in MEMBER_ACTIONS:
        raise PlivoError(404, f"no member action {action!r}: use one of {', '.join(MEMBER_ACTIONS)}")
    room = find_conference(ctx.state.voice, ctx.path["conference_uuid"])
    if room is None:
        raise PlivoError(404, "conference not found")
    member = room.members.get(ctx.path["member_id"])
    if member is None:
        raise PlivoError(404, "member not found")
    await member_action(ctx.state.voice, member, action)
    return accepted({"message": f"{action} done", "member_id": member.member_id})


async def list_recordings(ctx: ApiContext) -> Response:
    """Recordings of every account, newest first (filters: call_uuid, auth_id)."""
    filters: dict[str, Any] = {}
    if ctx.text("call_uuid"):
        filters["call_uuid"] = ctx.text("call_uuid")
    owner = ctx.text("auth_id")
    limit, offset = ctx.page()
    recordings, total = await fetch_page(
        ctx.store,
        Recording,
        [owner] if owner else ANY_OWNER,
        stored_fields(Recording, filters),
        limit,
        offset,
    )
    objects = [{**r.render(), "auth_id": r.owner} for r in recordings]
    return ctx.list_response(objects, total, limit, offset)


async def transfer(ctx: ApiContext) -> Response:
    """The live call goes on with the XML at ``url`` (as transferCall with aleg_url)."""
    call = _live_call(ctx)
    body = json_object(ctx)
    url = body_text(body, "url")
    assert url is not None
    if not url.startswith(("http://", "https://")):
        raise bad_request("url must be an http:// or https:// URL")
    method = (body_text(body, "method", required=False) or "POST").upper()
    if method not in ("GET", "POST"):
        raise bad_request("method must be GET or POST")
    if call.answered is None:
        raise PlivoError(409, "the call is not answered yet: only an answered call can be transferred")
    ctx.state.voice.transfer(call, url, method)
    return accepted({"message": "call transferred", "call_uuid": call.uuid})


async def echo_xml(request: Request) -> Response:
    """Answers the Plivo XML given in ``xml`` (400 unless it is valid), so an answer_url can point at
    the sandbox itself."""
    document = request.query_params.get("xml", "")
    try:
        px.parse(document)
    except px.InvalidXML as exc:
        return error_response(400, f"xml is not valid Plivo XML: {exc}")
    return xml_response(document)


_CALL = "calls/{call_uuid}"
routes: list[BaseRoute] = [
    open_route(("GET", "POST"), "xml", echo_xml),
    control_route("GET", "calls", list_calls),
    control_route(
        "POST", "calls/inbound", inbound_call, example={"from": "14155550100", "to": "14155550101"}
    ),
    control_route("POST", "calls/hold", hold_calls, example={"state": "ringing"}),
    control_route("DELETE", "calls/hold", release_calls),
    control_route("POST", "calls/settle", settle, example={"timeout": 5}),
    control_route("GET", _CALL, get_call),
    control_route("POST", f"{_CALL}/hangup", end_call, example={"source": "remote"}),
    control_route("POST", f"{_CALL}/advance", advance_call, example={"to": "answered"}),
    control_route("POST", f"{_CALL}/digits", type_digits, example={"digits": "1234"}),
    control_route("POST", f"{_CALL}/speech", say_words, example={"text": "I need help with my order"}),
    control_route(
        "POST",
        f"{_CALL}/transfer",
        transfer,
        example={"url": "https://example.com/next.xml", "method": "POST"},
    ),
    control_route("GET", "conferences", list_conferences),
    control_route("POST", "conferences/{conference_uuid}/members/{member_id}/{action}", act_on_member),
    control_route("GET", "recordings", list_recordings),
]
