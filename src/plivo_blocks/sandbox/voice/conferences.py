"""Conference rooms: made by ``<Conference>``, named per account, ended when their last member leaves.

A member's call waits in the room until it leaves: kicked or hung up through the API (its call
ends), the room hung up (every call ends), an ``endConferenceOnExit`` member leaving, the room's
``timeLimit``, or the control API's "advance" (the call then goes on with its XML: the
``<Conference>`` ``action`` URL when there is one, else the next element).

Events go to the member's ``callbackUrl`` (``ConferenceAction`` = ``enter``, ``exit``, ``record``).
Member ids are numeric strings, unique in the sandbox's run.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from plivo_blocks.sandbox.clock import SandboxClock, Timer
from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, Skipped, Transferred
from plivo_blocks.sandbox.voice.causes import NORMAL_API
from plivo_blocks.sandbox.voice.recordings import ActiveRecording, Recorder
from plivo_blocks.sandbox.voice.services import CallControl

CONTINUE, HANGUP = "continue", "hangup"


@dataclass
class Member:
    member_id: str
    call: Call
    settings: px.Conference
    joined_at: float  # sandbox epoch seconds
    conference_uuid: str = ""
    muted: bool = False
    deaf: bool = False
    playing: str | None = None
    speaking: str | None = None
    left: bool = False
    leave_reason: str | None = None  # "hangup" (end the call) or "continue" (go on with the XML)


@dataclass
class Conference:
    name: str
    owner: str
    uuid: str
    clock: SandboxClock = field(repr=False)
    started_at: float  # sandbox epoch seconds
    members: dict[str, Member] = field(default_factory=dict)
    recording: ActiveRecording | None = None
    callback_url: str | None = None
    callback_method: str = "POST"
    ended: bool = False
    timer: Timer | None = None

    def seconds(self) -> float:
        return max(self.clock.now() - self.started_at, 0.0)


class ConferenceBridge:
    def __init__(self, control: CallControl, recorder: Recorder) -> None:
        self.control = control
        self.recorder = recorder
        self.rooms: dict[tuple[str, str], Conference] = {}
        self._member_ids = itertools.count(1)

    # -- lookups ---------------------------------------------------------------------------

    def rooms_of(self, owner: str) -> list[Conference]:
        return [room for (room_owner, _), room in self.rooms.items() if room_owner == owner]

    def get(self, owner: str, name: str) -> Conference | None:
        return self.rooms.get((owner, name))

    def select(self, room: Conference, member_ids: str) -> list[Member]:
        """``all``, one id, or ids separated by commas; unknown ids are left out."""
        if member_ids.strip().lower() == "all":
            return list(room.members.values())
        wanted = [m.strip() for m in member_ids.split(",") if m.strip()]
        return [room.members[m] for m in wanted if m in room.members]

    # -- joining and leaving ---------------------------------------------------------------

    async def join(self, call: Call, step: px.Conference) -> Member | None:
        """Put ``call`` in the room and wait until it leaves. ``None`` when the room was full."""
        key = (call.owner, step.name)
        room = self.rooms.get(key)
        clock = self.control.clock
        if room is None:
            room = Conference(
                name=step.name, owner=call.owner, uuid=new_uuid(), clock=clock, started_at=clock.now()
            )
            self.rooms[key] = room
            if step.time_limit > 0:
                room.timer = clock.call_later(step.time_limit, lambda: self._time_up(room))
        if len(room.members) >= step.max_members:
            call.note("conference_full", conference=step.name)
            return None
        member = Member(
            member_id=str(next(self._member_ids)),
            call=call,
            settings=step,
            joined_at=clock.now(),
            conference_uuid=room.uuid,
            muted=step.muted,
        )
        room.members[member.member_id] = member
        call.conference, call.member_id = room.name, member.member_id
        call.activity = f"in conference {room.name}"
        call.note("conference_enter", conference=room.name, member_id=member.member_id)
        await self._event(member, room, "enter")
        if step.record and room.recording is None:
            room.recording = self.recorder.start(
                owner=room.owner,
                recording_type="conference",
                file_format=step.record_file_format,
                public_base=call.public_base,
                clock=room.seconds(),
                call_uuid=call.uuid,
                conference_name=room.name,
                callback_url=step.callback_url,
                callback_method=step.callback_method,
                callback_style="xml_conference",
            )
            room.recording.extra = {
                "ConferenceAction": "record",
                "ConferenceName": room.name,
                "ConferenceUUID": room.uuid,
            }
        try:
            while not member.left:
                await call.park(waiting_for="conference")
        except Skipped:  # the control API's advance: leave, go on with the XML
            await self.leave(member, CONTINUE)
        except Transferred:  # the call moves to other XML: out of the room first
            await self.leave(member, CONTINUE)
            raise
        return member

    async def leave(self, member: Member, reason: str) -> None:
        """Take ``member`` out of its room (idempotent); ends the room when it empties or when an
        ``endConferenceOnExit`` member leaves."""
        if member.left:
            return
        member.leave_reason = reason
        member.left = True
        call = member.call
        if call.waiting_for == "conference":
            call.wake()
        room = self.get(call.owner, call.conference or "")
        call.conference = None
        if room is None:
            return
        room.members.pop(member.member_id, None)
        call.note("conference_exit", conference=room.name, member_id=member.member_id)
        await self._event(member, room, "exit")
        if room.ended:
            return
        if not room.members or member.settings.end_conference_on_exit:
            await self.end(room, hangup_calls=False)

    async def end(self, room: Conference, *, hangup_calls: bool) -> None:
        """End ``room``: its members' calls hang up (``hangup_calls``) or go on with their XML."""
        if room.ended:
            return
        room.ended = True
        self.rooms.pop((room.owner, room.name), None)
        if room.timer is not None:
            room.timer.cancel()
        await self.stop_recording(room)
        for member in list(room.members.values()):
            if hangup_calls:
                await self.control.hangup(member.call, NORMAL_API)
            else:
                await self.leave(member, CONTINUE)

    async def remove_call(self, call: Call) -> None:
        """The call ended: take it out of its room."""
        room = self.get(call.owner, call.conference or "")
        if room is None or call.member_id is None:
            return
        member = room.members.get(call.member_id)
        if member is not None:
            await self.leave(member, HANGUP)

    async def stop_recording(self, room: Conference) -> bool:
        recording: ActiveRecording | None = room.recording
        if recording is None:
            return False
        room.recording = None
        await self.recorder.finish(recording, room.seconds())
        return True

    def _time_up(self, room: Conference) -> None:
        self.control.clock.spawn(self.end(room, hangup_calls=False))

    async def _event(self, member: Member, room: Conference, action: str) -> None:
        settings = member.settings
        if not settings.callback_url:
            return
        params = {
            **self.control.params(member.call),
            "ConferenceAction": action,
            "ConferenceName": room.name,
            "ConferenceUUID": room.uuid,
            "ConferenceMemberID": member.member_id,
        }
        await self.control.send(
            settings.callback_url,
            settings.callback_method,
            params,
            auth_id=room.owner,
            kind="conference_callback",
            ref=member.call.uuid,
        )

    @staticmethod
    def action_params(member: Member) -> dict[str, str]:
        """What the ``<Conference>`` ``action`` URL receives when the member leaves."""
        return {
            "ConferenceName": member.settings.name,
            "ConferenceUUID": member.conference_uuid,
            "ConferenceMemberID": member.member_id,
        }
