"""Multi-party calls (``<MultiPartyCall>``): named per account, with participants in roles.

The first participant creates the MPC (``Initialized``) with its MPC-level attributes (maxDuration,
maxParticipants, stayAlone, record, status and recording callbacks, music; later participants' values
for those are not applied). It starts (``Active``) when a participant with ``startMpcOnEnter`` (the
default) is in it; until then participants hear ``waitMusicUrl`` (played by the runner). It ends when
its last participant leaves, when an ``endMpcOnExit`` participant leaves, when one is left and the MPC
does not ``stayAlone``, or at ``maxDuration`` (counted from its creation); the calls still in it then
go on with their XML (``onExitActionUrl`` first, as when a participant leaves).

Status callbacks (``statusCallbackUrl``, filtered by ``statusCallbackEvents``): ``MPCInitialized``,
``MPCStart``, ``MPCEnd`` (mpc-state-changes) and ``ParticipantJoin``, ``ParticipantExit``
(participant-state-changes) with Plivo's parameters (EventName, EventTimestamp, MPCUUID, MPCName,
MemberID, ParticipantRole, ParticipantCallUUID, ParticipantCoachMode; MPCDuration and
MPCBilledDuration at the end). Recording (``record``): from the start once ``recordMinMemberCount``
participants are in, to the end; ``recordingCallbackUrl`` gets ``MPCRecordingInitiated`` and
``MPCRecordingCompleted`` with the parameters of Plivo's MPC recording reference.

With ``relayDTMFInputs`` the keys a participant presses are heard by the others (noted). Speak events,
digit-input events, hold/mute changes and the MPC REST API are not simulated.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from plivo_blocks.sandbox.clock import SandboxClock, Timer
from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.times import format_time
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.recordings import ActiveRecording, Recorder
from plivo_blocks.sandbox.voice.services import CallControl
from plivo_blocks.sandbox.voice.xml.elements.multiparty import MultiPartyCall

INITIALIZED, ACTIVE, ENDED = "Initialized", "Active", "Ended"
CONTINUE, HANGUP = "continue", "hangup"

#: statusCallbackEvents group of each event the sandbox sends.
EVENT_GROUPS = {
    "MPCInitialized": "mpc-state-changes",
    "MPCStart": "mpc-state-changes",
    "MPCEnd": "mpc-state-changes",
    "ParticipantJoin": "participant-state-changes",
    "ParticipantExit": "participant-state-changes",
}


def _timestamp(moment: float) -> str:
    return format_time(datetime.fromtimestamp(moment, UTC))


@dataclass
class Participant:
    member_id: str
    call: Call
    settings: MultiPartyCall
    joined_at: float
    mpc: MultiParty = field(repr=False)
    coach_mode: bool = False
    mute: bool = False
    hold: bool = False
    left_at: float | None = None
    leave_reason: str | None = None

    @property
    def left(self) -> bool:
        return self.left_at is not None

    def view(self) -> dict[str, Any]:
        return {
            "member_id": self.member_id,
            "call_uuid": self.call.uuid,
            "role": self.settings.role,
            "coach_mode": self.coach_mode,
            "mute": self.mute,
            "hold": self.hold,
            "start_mpc_on_enter": self.settings.start_mpc_on_enter,
            "end_mpc_on_exit": self.settings.end_mpc_on_exit,
            "join_time": _timestamp(self.joined_at),
        }


@dataclass
class MultiParty:
    """One MPC, as its participants see it."""

    name: str
    owner: str
    uuid: str
    settings: MultiPartyCall  # the MPC-level attributes of its first participant
    clock: SandboxClock = field(repr=False)
    created_at: float
    status: str = INITIALIZED
    started_at: float | None = None
    ended_at: float | None = None
    participants: dict[str, Participant] = field(default_factory=dict)
    recording: ActiveRecording | None = None
    recording_sequence: int = 0
    timer: Timer | None = None

    def view(self) -> dict[str, Any]:
        return {
            "friendly_name": self.name,
            "mpc_uuid": self.uuid,
            "auth_id": self.owner,
            "status": self.status,
            "creation_time": _timestamp(self.created_at),
            "start_time": _timestamp(self.started_at) if self.started_at is not None else None,
            "max_participants": self.settings.max_participants,
            "max_duration": self.settings.max_duration,
            "stay_alone": self.settings.stay_alone,
            "recording": self.recording.id if self.recording else None,
            "participants": [p.view() for p in self.participants.values()],
        }


class MultiPartyBridge:
    def __init__(self, control: CallControl, recorder: Recorder) -> None:
        self.control = control
        self.recorder = recorder
        self.calls: dict[tuple[str, str], MultiParty] = {}
        self._member_ids = itertools.count(1)

    @property
    def _clock(self) -> SandboxClock:
        return self.control.clock

    # -- joining ------------------------------------------------------------------------------------

    async def enter(self, call: Call, step: MultiPartyCall) -> Participant | None:
        """Put ``call`` in the MPC (made when it is the first); ``None`` when it is full."""
        mpc = await self._mpc(call, step)
        if len(mpc.participants) >= mpc.settings.max_participants:
            call.note("mpc_full", mpc=mpc.name)
            return None
        participant = Participant(
            member_id=str(next(self._member_ids)),
            call=call,
            settings=step,
            joined_at=self._clock.now(),
            mpc=mpc,
            coach_mode=step.coach_mode and step.role == "Supervisor",
            mute=step.mute,
            hold=step.hold,
        )
        mpc.participants[participant.member_id] = participant
        call.activity = f"in multi-party call {mpc.name}"
        call.note("mpc_enter", mpc=mpc.name, member_id=participant.member_id, role=step.role)
        self._sound(mpc, participant, step.enter_sound)
        await self._event(mpc, "ParticipantJoin", participant)
        if step.start_mpc_on_enter and mpc.status == INITIALIZED:
            await self._start(mpc)
        await self._record_if_asked(mpc)
        return participant

    async def _mpc(self, call: Call, step: MultiPartyCall) -> MultiParty:
        key = (call.owner, step.name)
        mpc = self.calls.get(key)
        if mpc is None:
            now = self._clock.now()
            mpc = MultiParty(step.name, call.owner, new_uuid(), step, self._clock, now)
            self.calls[key] = mpc
            mpc.timer = self._clock.call_later(
                step.max_duration, lambda: self._clock.spawn(self.end(mpc, "max duration"))
            )
            await self._event(mpc, "MPCInitialized")
        return mpc

    @staticmethod
    def of(participant: Participant) -> MultiParty:
        return participant.mpc

    @staticmethod
    def active(participant: Participant) -> bool:
        return participant.mpc.status == ACTIVE

    async def _start(self, mpc: MultiParty) -> None:
        mpc.status, mpc.started_at = ACTIVE, self._clock.now()
        for participant in mpc.participants.values():
            participant.call.note("mpc_started", mpc=mpc.name)
            participant.call.cut_media()  # the start cuts the wait music short
        await self._event(mpc, "MPCStart")

    async def stay(self, participant: Participant) -> None:
        """Wait in the MPC until the participant leaves, relaying its keys when asked."""
        call = participant.call
        while not participant.left:
            if call.typed:
                keys = "".join(call.typed)
                call.typed.clear()
                self._relay(participant, keys)
                continue
            await call.park(waiting_for="multiparty")

    def _relay(self, participant: Participant, keys: str) -> None:
        mpc = participant.mpc
        if not participant.settings.relay_dtmf_inputs:
            return
        for other in mpc.participants.values():
            if other is not participant:
                other.call.note("mpc_dtmf", digits=keys, from_member=participant.member_id)

    # -- leaving ------------------------------------------------------------------------------------

    async def leave(self, participant: Participant, reason: str) -> None:
        if participant.left:
            return
        participant.left_at, participant.leave_reason = self._clock.now(), reason
        call = participant.call
        if call.waiting_for == "multiparty":
            call.wake()
        mpc = participant.mpc
        mpc.participants.pop(participant.member_id, None)
        call.note("mpc_exit", mpc=mpc.name, member_id=participant.member_id)
        self._sound(mpc, participant, participant.settings.exit_sound)
        await self._event(mpc, "ParticipantExit", participant)
        if mpc.status == ENDED:
            return
        alone = len(mpc.participants) == 1 and not mpc.settings.stay_alone
        if not mpc.participants or participant.settings.end_mpc_on_exit or alone:
            await self.end(mpc, "participant left")

    async def end(self, mpc: MultiParty, reason: str) -> None:
        if mpc.status == ENDED:
            return
        mpc.status, mpc.ended_at = ENDED, self._clock.now()
        self.calls.pop((mpc.owner, mpc.name), None)
        if mpc.timer is not None:
            mpc.timer.cancel()
        await self._stop_recording(mpc)
        for participant in list(mpc.participants.values()):
            await self.leave(participant, CONTINUE)
        seconds = round(mpc.ended_at - (mpc.started_at or mpc.created_at))
        await self._event(
            mpc, "MPCEnd", MPCDuration=str(seconds), MPCBilledDuration=str(60 * math.ceil(seconds / 60))
        )

    async def remove_call(self, call: Call) -> None:
        """The call ended: out of its MPC."""
        for mpc in list(self.calls.values()):
            for participant in list(mpc.participants.values()):
                if participant.call is call:
                    await self.leave(participant, HANGUP)

    @staticmethod
    def exit_params(participant: Participant) -> dict[str, str]:
        """What ``onExitActionUrl`` receives (Plivo's "On Exit Parameters")."""
        return {
            "MPCUUID": participant.mpc.uuid,
            "MPCFriendlyName": participant.settings.name,
            "MemberID": participant.member_id,
            "ParticipantCallUUID": participant.call.uuid,
            "ParticipantJoinTime": _timestamp(participant.joined_at),
            "ParticipantEndTime": _timestamp(participant.left_at or participant.joined_at),
            "ParticipantRole": participant.settings.role,
        }

    # -- sounds, recording, events --------------------------------------------------------------------

    def _sound(self, mpc: MultiParty, participant: Participant, sound: str) -> None:
        if sound == "none":
            return
        for other in mpc.participants.values():
            if other is not participant:
                other.call.note("mpc_sound", mpc=mpc.name, sound=sound)

    async def _record_if_asked(self, mpc: MultiParty) -> None:
        s = mpc.settings
        if not s.record or mpc.recording is not None or mpc.status != ACTIVE:
            return
        if len(mpc.participants) < s.record_min_member_count:
            return
        first = next(iter(mpc.participants.values()))
        mpc.recording = self.recorder.start(
            owner=mpc.owner,
            recording_type="conference",
            file_format=s.record_file_format,
            public_base=first.call.public_base,
            clock=self._clock.now(),
            call_uuid=first.call.uuid,
        )
        await self._recording_event(mpc, mpc.recording, "MPCRecordingInitiated", self._clock.now())

    async def _stop_recording(self, mpc: MultiParty) -> None:
        recording = mpc.recording
        if recording is None:
            return
        mpc.recording = None
        started = recording.started_ms / 1000
        await self.recorder.finish(recording, self._clock.now())
        await self._recording_event(mpc, recording, "MPCRecordingCompleted", started, self._clock.now())

    async def _recording_event(
        self,
        mpc: MultiParty,
        recording: ActiveRecording,
        name: str,
        started: float,
        ended: float | None = None,
    ) -> None:
        s = mpc.settings
        if not s.recording_callback_url:
            return
        mpc.recording_sequence += 1
        params = {
            "EventName": name,
            "EventTimestamp": _timestamp(self._clock.now()),
            "MPCName": mpc.name,
            "MPCUUID": mpc.uuid,
            "RecordingUUID": recording.id,
            "RecordingURL": recording.url,
            "RecordingFormat": recording.file_format,
            "RecordingResourceURL": f"/v1/Account/{mpc.owner}/Recording/{recording.id}/",
            "RecordingStartTime": _timestamp(started),
            "RecordingEndTime": _timestamp(ended) if ended is not None else "",
            "RecordingDuration": str(round(ended - started)) if ended is not None else "",
            "SequenceNumber": str(mpc.recording_sequence),
        }
        await self.control.send(
            s.recording_callback_url,
            s.recording_callback_method,
            params,
            auth_id=mpc.owner,
            kind="mpc_recording",
            ref=mpc.uuid,
        )

    async def _event(
        self, mpc: MultiParty, name: str, participant: Participant | None = None, **extra: str
    ) -> None:
        s = mpc.settings
        if not s.status_callback_url or EVENT_GROUPS[name] not in s.status_callback_events:
            return
        params = {
            "EventName": name,
            "EventTimestamp": _timestamp(self._clock.now()),
            "MPCUUID": mpc.uuid,
            "MPCName": mpc.name,
            **extra,
        }
        if participant is not None:
            params.update(
                MemberID=participant.member_id,
                ParticipantRole=participant.settings.role,
                ParticipantCallUUID=participant.call.uuid,
                ParticipantCoachMode=str(participant.coach_mode).lower(),
            )
        await self.control.send(
            s.status_callback_url,
            s.status_callback_method,
            params,
            auth_id=mpc.owner,
            kind="mpc_status",
            ref=mpc.uuid,
        )
