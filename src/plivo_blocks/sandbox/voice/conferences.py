"""Conference rooms: made by ``<Conference>``, named per account, ended when their last member leaves.

A member's call stays in the room until it leaves: kicked through the API or by pressing ``*`` with
``hangupOnStar`` (the call goes on with its XML: the ``action`` URL when there is one, else the next
element), hung up (its call ends), the room ended (hung up through the API: every call ends; an
``endConferenceOnExit`` member leaving, the room's ``timeLimit``, or ``stayAlone="false"`` once fewer
than two are left: the calls go on), or the control API's "advance" (it goes on).

Moderation: a room starts when a member with ``startConferenceOnEnter`` (the default) is in it; until
then members are muted and hear ``waitSound`` (its Play/Speak/Wait, in a loop, played by the
``<Conference>`` runner). ``enterSound``/``exitSound`` (``beep:1``, ``beep:2`` or a URL whose sound XML
is fetched with POST) are played to the room (noted in each member's call log).

Keys (the caller-input contract: :meth:`ConferenceBridge.keys`): ``*`` with ``hangupOnStar``;
``digitsMatch`` patterns (the keys typed end with a pattern: ``callbackUrl`` gets ``ConferenceAction=
digits`` with ``ConferenceDigitsMatch``); with ``relayDTMF`` (the default) the other members hear them.
The floor (``floorEvent``: ``ConferenceAction=floor``) goes to the first member who can speak (the
sandbox hears no voices, so it stays there), and passes on when its holder leaves.

Recording (``record``): from the moment two members are in the started room, or at once with
``recordWhenAlone``, to the room's end; ``transcriptionType``/``Url`` ask for its transcript.

Events go to the member's ``callbackUrl`` (``ConferenceAction`` = ``enter``, ``exit``, ``digits``,
``floor``, ``record``). Member ids are numeric strings, unique in the sandbox's run.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from plivo_blocks.sandbox.clock import SandboxClock, Timer
from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.causes import NORMAL_API
from plivo_blocks.sandbox.voice.documents import DocumentLoader
from plivo_blocks.sandbox.voice.recordings import ActiveRecording, Recorder, Transcription
from plivo_blocks.sandbox.voice.services import CallControl

CONTINUE, HANGUP = "continue", "hangup"
BEEPS = ("beep:1", "beep:2")


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
    waiting: bool = False  # in a room that has not started: muted, hearing waitSound
    keys: str = ""  # keys typed in the room, for digitsMatch
    recorded: ActiveRecording | None = None  # the room's recording, when it was recorded
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
    started: bool = False
    floor: str | None = None  # the member id holding the floor
    ends_below_two: bool = False  # a member with stayAlone="false" came in
    recording: ActiveRecording | None = None
    recorded: ActiveRecording | None = None  # the last recording made of the room
    record_by: Member | None = None  # the member whose record="true" asks for the recording
    callback_url: str | None = None
    callback_method: str = "POST"
    ended: bool = False
    timer: Timer | None = None

    def seconds(self) -> float:
        return max(self.clock.now() - self.started_at, 0.0)


class ConferenceBridge:
    def __init__(self, control: CallControl, recorder: Recorder, documents: DocumentLoader) -> None:
        self.control = control
        self.recorder = recorder
        self.documents = documents
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

    async def enter(self, call: Call, step: px.Conference) -> Member | None:
        """Put ``call`` in the room (made when it is the first). ``None`` when the room is full."""
        room = self._room(call, step)
        if len(room.members) >= step.max_members:
            call.note("conference_full", conference=step.name)
            return None
        waiting = not room.started and not step.start_conference_on_enter
        member = Member(
            member_id=str(next(self._member_ids)),
            call=call,
            settings=step,
            joined_at=self.control.clock.now(),
            conference_uuid=room.uuid,
            muted=step.muted or waiting,
            waiting=waiting,
        )
        room.members[member.member_id] = member
        room.ends_below_two = room.ends_below_two or not step.stay_alone
        if step.record and room.record_by is None:
            room.record_by = member
        call.conference, call.member_id = room.name, member.member_id
        call.activity = f"in conference {room.name}" + (" (waiting for it to start)" if waiting else "")
        call.note("conference_enter", conference=room.name, member_id=member.member_id, waiting=waiting)
        if step.send_digits:
            call.note("conference_send_digits", digits=step.send_digits)
        await self._event(member, room, "enter")
        self._play_sound(room, call, step.enter_sound)
        if step.start_conference_on_enter and not room.started:
            await self._start(room)
        else:
            await self._give_floor(room)
            await self._record_if_asked(room)
        return member

    def _room(self, call: Call, step: px.Conference) -> Conference:
        key = (call.owner, step.name)
        room = self.rooms.get(key)
        if room is None:
            clock = self.control.clock
            room = Conference(
                name=step.name, owner=call.owner, uuid=new_uuid(), clock=clock, started_at=clock.now()
            )
            self.rooms[key] = room
            if step.time_limit > 0:
                room.timer = clock.call_later(step.time_limit, lambda: self._time_up(room))
        return room

    async def _start(self, room: Conference) -> None:
        """The room starts: waiting members stop hearing the wait sound and can speak."""
        room.started = True
        for member in room.members.values():
            if member.waiting:
                member.waiting, member.muted = False, member.settings.muted
                member.call.note("conference_started", conference=room.name)
                member.call.activity = f"in conference {room.name}"
                member.call.cut_media()  # the start cuts the wait sound short
        await self._give_floor(room)
        await self._record_if_asked(room)

    async def stay(self, member: Member) -> None:
        """Wait in the room until the member leaves, taking the keys its caller presses."""
        call = member.call
        while not member.left:
            if call.typed:
                keys = "".join(call.typed)
                call.typed.clear()
                await self.keys(member, keys)
                continue
            await call.park(waiting_for="conference")

    async def keys(self, member: Member, keys: str) -> None:
        """Keys a member's caller pressed in the room."""
        room = self.get(member.call.owner, member.settings.name)
        settings = member.settings
        for key in keys:
            if member.left or room is None:
                return
            if settings.relay_dtmf:
                for other in room.members.values():
                    if other is not member:
                        other.call.note("conference_dtmf", digits=key, from_member=member.member_id)
            if key == "*" and settings.hangup_on_star:
                member.call.note("conference_hangup_on_star", conference=room.name)
                await self.leave(member, CONTINUE)
                return
            member.keys = (member.keys + key)[-64:]
            for pattern in settings.digits_match:
                if member.keys.endswith(pattern):
                    member.keys = ""
                    await self._event(member, room, "digits", ConferenceDigitsMatch=pattern)
                    break

    async def leave(self, member: Member, reason: str) -> None:
        """Take ``member`` out of its room (idempotent); ends the room when it empties, when an
        ``endConferenceOnExit`` member leaves, or when fewer than two are left in a room a
        ``stayAlone="false"`` member came in."""
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
        member.recorded = room.recorded
        call.note("conference_exit", conference=room.name, member_id=member.member_id)
        await self._event(member, room, "exit")
        if room.ended:
            return
        self._play_sound(room, call, member.settings.exit_sound)
        if (
            not room.members
            or member.settings.end_conference_on_exit
            or (room.ends_below_two and len(room.members) < 2)
        ):
            await self.end(room, hangup_calls=False)
            return
        if room.floor == member.member_id:
            room.floor = None
            await self._give_floor(room)

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

    async def kick(self, member: Member) -> None:
        """``kickMember``: out of the room; the call goes on with its XML (``action`` first)."""
        member.call.note("kicked", conference=member.settings.name)
        await self.leave(member, CONTINUE)

    def _time_up(self, room: Conference) -> None:
        self.control.clock.spawn(self.end(room, hangup_calls=False))

    # -- floor, sounds, recording ------------------------------------------------------------

    async def _give_floor(self, room: Conference) -> None:
        """The floor goes to the first member (in order of entry) who can speak, when nobody holds it."""
        if room.floor is not None or not room.started:
            return
        speaker = next((m for m in room.members.values() if not m.muted and not m.waiting), None)
        if speaker is None:
            return
        room.floor = speaker.member_id
        speaker.call.note("conference_floor", conference=room.name, member_id=speaker.member_id)
        if speaker.settings.floor_event:
            await self._event(speaker, room, "floor")

    def _play_sound(self, room: Conference, call: Call, sound: str) -> None:
        """``enterSound``/``exitSound``: a beep, or the sound XML at a URL (fetched in the background)."""
        if not sound:
            return
        if sound in BEEPS:
            self._note_sound(room, sound, ())
            return
        self.control.clock.spawn(self._play_sound_url(room, call, sound))

    async def _play_sound_url(self, room: Conference, call: Call, url: str) -> None:
        prompts = await self.documents.fetch_sound(call, url, "POST")
        self._note_sound(room, url, prompts)

    def _note_sound(self, room: Conference, sound: str, prompts: tuple[px.Prompt, ...]) -> None:
        played = [type(p).__name__ for p in prompts]
        for member in room.members.values():
            member.call.note("conference_sound", conference=room.name, sound=sound, played=played)

    async def _record_if_asked(self, room: Conference) -> None:
        asker = room.record_by
        if asker is None or room.recording is not None or not room.started or room.ended:
            return
        if len(room.members) < 2 and not asker.settings.record_when_alone:
            return
        settings = asker.settings
        recording = self.recorder.start(
            owner=room.owner,
            recording_type="conference",
            file_format=settings.record_file_format,
            public_base=asker.call.public_base,
            clock=room.seconds(),
            call_uuid=asker.call.uuid,
            conference_name=room.name,
            callback_url=settings.callback_url,
            callback_method=settings.callback_method,
            callback_style="xml_conference",
        )
        recording.extra = {
            "ConferenceAction": "record",
            "ConferenceName": room.name,
            "ConferenceUUID": room.uuid,
        }
        if settings.transcription_url:
            recording.transcription = Transcription(
                settings.transcription_url,
                settings.transcription_method,
                settings.transcription_type or "auto",
            )
        room.recording = room.recorded = recording
        for member in room.members.values():
            member.call.note("conference_record_start", conference=room.name, recording_id=recording.id)

    async def stop_recording(self, room: Conference) -> bool:
        recording: ActiveRecording | None = room.recording
        if recording is None:
            return False
        room.recording = None
        await self.recorder.finish(recording, room.seconds())
        return True

    async def _event(self, member: Member, room: Conference, action: str, **extra: str) -> None:
        settings = member.settings
        if not settings.callback_url:
            return
        params = {
            **self.control.params(member.call),
            "ConferenceAction": action,
            "ConferenceName": room.name,
            "ConferenceUUID": room.uuid,
            "ConferenceMemberID": member.member_id,
            **extra,
        }
        await self.control.send(
            settings.callback_url,
            settings.callback_method,
            params,
            auth_id=room.owner,
            kind="conference_callback",
            ref=member.call.uuid,
        )

    def action_params(self, member: Member) -> dict[str, str]:
        """What the ``<Conference>`` ``action`` URL receives when the member leaves (with the room's
        recording, when it was recorded)."""
        params = {
            "ConferenceName": member.settings.name,
            "ConferenceUUID": member.conference_uuid,
            "ConferenceMemberID": member.member_id,
        }
        if member.recorded is not None:
            params.update(RecordUrl=member.recorded.url, RecordingID=member.recorded.id)
        return params
