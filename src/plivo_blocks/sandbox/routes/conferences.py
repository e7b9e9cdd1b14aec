"""``Conference/``: live conferences (made by ``<Conference>``), their members and recordings.

Rooms are named per account, as Plivo maps room names to an account. ``memberId`` is one id, ids
separated by commas, or ``all``; acting on members none of which exist is a 404. Kicking a member and
hanging it up both end its call.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.responses import accepted, new_api_id, no_content, not_found, ok
from plivo_blocks.sandbox.routes.calls import public_base, validated
from plivo_blocks.sandbox.routing import ApiContext, Handler, api_route
from plivo_blocks.sandbox.voice.causes import NORMAL_API
from plivo_blocks.sandbox.voice.conferences import Conference, Member

CONFERENCE_NOT_FOUND = "conference not found"
MEMBER_NOT_FOUND = "member not found"


def _room(ctx: ApiContext) -> Conference:
    room = ctx.state.voice.bridge.get(ctx.account.auth_id, ctx.path["conference_name"])
    if room is None:
        raise not_found(CONFERENCE_NOT_FOUND)
    return room


def _members(ctx: ApiContext, block_name: str) -> tuple[Conference, list[Member]]:
    validated(block_name, ctx)
    room = _room(ctx)
    members = ctx.state.voice.bridge.select(room, ctx.path["member_id"])
    if not members:
        raise not_found(MEMBER_NOT_FOUND)
    return room, members


def _legacy_id_list(member_ids: str) -> str:
    """How Plivo echoes the member ids of Play and Speak: a Python 2 list literal (see the samples)."""
    ids = [m.strip() for m in member_ids.split(",") if m.strip()]
    return "[" + ", ".join(f"u'{m}'" for m in ids) + "]"


def render_member(member: Member) -> dict[str, object]:
    call = member.call
    return {
        "muted": member.muted,
        "member_id": member.member_id,
        "deaf": member.deaf,
        "from": call.from_,
        "to": call.to,
        "caller_name": call.caller_name,
        "direction": call.direction,
        "call_uuid": call.uuid,
        "join_time": str(int(call.clock.now() - member.joined_at)),
    }


# -- rooms -----------------------------------------------------------------------------------------


async def list_conferences(ctx: ApiContext) -> Response:
    rooms = ctx.state.voice.bridge.rooms_of(ctx.account.auth_id)
    return ok({"conferences": [room.name for room in rooms]})


async def get_conference(ctx: ApiContext) -> Response:
    room = _room(ctx)
    return ok(
        {
            "conference_name": room.name,
            "conference_run_time": str(int(room.seconds())),
            "conference_member_count": str(len(room.members)),
            "members": [render_member(m) for m in room.members.values()],
        }
    )


async def hangup_conference(ctx: ApiContext) -> Response:
    await ctx.state.voice.bridge.end(_room(ctx), hangup_calls=True)
    return no_content()


async def hangup_all_conferences(ctx: ApiContext) -> Response:
    bridge = ctx.state.voice.bridge
    for room in bridge.rooms_of(ctx.account.auth_id):
        await bridge.end(room, hangup_calls=True)
    return no_content()


async def record_conference(ctx: ApiContext) -> Response:
    values = validated("startRecordingConference", ctx)
    room = _room(ctx)
    voice = ctx.state.voice
    if room.recording is None:
        first = next(iter(room.members.values()), None)
        room.recording = voice.recorder.start(
            owner=room.owner,
            recording_type="conference",
            file_format=str(values.get("file_format", "mp3")),
            public_base=public_base(ctx),
            clock=room.seconds(),
            call_uuid=first.call.uuid if first else None,
            conference_name=room.name,
            callback_url=values.get("callback_url"),
            callback_method=str(values.get("callback_method", "POST")),
            callback_style="api_conference",
            api_id=new_api_id(),
        )
    recording = room.recording
    return accepted(
        {
            "api_id": recording.api_id or new_api_id(),
            "message": "conference recording started",
            "recording_id": recording.id,
            "url": recording.url,
        }
    )


async def stop_recording_conference(ctx: ApiContext) -> Response:
    validated("stopRecordingConference", ctx)
    await ctx.state.voice.bridge.stop_recording(_room(ctx))
    return no_content()


# -- members ---------------------------------------------------------------------------------------


async def hangup_member(ctx: ApiContext) -> Response:
    _, members = _members(ctx, "hangupMember")
    for member in members:
        await ctx.state.voice.hangup(member.call, NORMAL_API)
    return no_content()


async def kick_member(ctx: ApiContext) -> Response:
    _, members = _members(ctx, "kickMember")
    for member in members:
        member.call.note("kicked", conference=member.settings.name)
        await ctx.state.voice.hangup(member.call, NORMAL_API)
    return accepted({"message": "kicked", "member_id": ctx.path["member_id"]})


def _flag_setter(block_name: str, change: Callable[[Member], None], message: str | None) -> Handler:
    async def handler(ctx: ApiContext) -> Response:
        _, members = _members(ctx, block_name)
        for member in members:
            change(member)
            member.call.note(block_name, member_id=member.member_id)
        if message is None:
            return no_content()
        return accepted({"message": message, "member_id": ctx.path["member_id"]})

    handler.__name__ = block_name
    return handler


def _set(attribute: str, value: object) -> Callable[[Member], None]:
    def change(member: Member) -> None:
        setattr(member, attribute, value)

    return change


async def play_to_member(ctx: ApiContext) -> Response:
    values = validated("playSoundToMember", ctx)
    _, members = _members(ctx, "playSoundToMember")
    for member in members:
        member.playing = str(values["url"])
        member.call.note("member_play", url=member.playing)
    return accepted(
        {"message": "play queued into conference", "member_id": _legacy_id_list(ctx.path["member_id"])}
    )


async def speak_to_member(ctx: ApiContext) -> Response:
    values = validated("playTextToMember", ctx)
    _, members = _members(ctx, "playTextToMember")
    for member in members:
        member.speaking = str(values["text"])
        member.call.note("member_speak", text=member.speaking)
    return accepted(
        {"message": "speak queued into conference", "member_id": _legacy_id_list(ctx.path["member_id"])}
    )


MEMBER = "Conference/{conference_name}/Member/{member_id}/"

routes: list[BaseRoute] = [
    api_route("GET", "Conference/", list_conferences),
    api_route("DELETE", "Conference/", hangup_all_conferences),
    api_route("GET", "Conference/{conference_name}/", get_conference),
    api_route("DELETE", "Conference/{conference_name}/", hangup_conference),
    api_route("POST", "Conference/{conference_name}/Record/", record_conference),
    api_route("DELETE", "Conference/{conference_name}/Record/", stop_recording_conference),
    api_route("DELETE", MEMBER, hangup_member),
    api_route("POST", MEMBER + "Kick/", kick_member),
    api_route("POST", MEMBER + "Mute/", _flag_setter("muteMember", _set("muted", True), "muted")),
    api_route("DELETE", MEMBER + "Mute/", _flag_setter("unmuteMember", _set("muted", False), None)),
    api_route("POST", MEMBER + "Deaf/", _flag_setter("makeMemberDeaf", _set("deaf", True), "deaf")),
    api_route("DELETE", MEMBER + "Deaf/", _flag_setter("enableHearingForMember", _set("deaf", False), None)),
    api_route("POST", MEMBER + "Play/", play_to_member),
    api_route(
        "DELETE", MEMBER + "Play/", _flag_setter("stopPlayingSoundToMember", _set("playing", None), None)
    ),
    api_route("POST", MEMBER + "Speak/", speak_to_member),
    api_route(
        "DELETE", MEMBER + "Speak/", _flag_setter("stopPlayingTextToMember", _set("speaking", None), None)
    ),
]
