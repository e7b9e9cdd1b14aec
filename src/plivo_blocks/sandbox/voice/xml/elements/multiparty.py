"""``<MultiPartyCall>``: the call joins a named multi-party call (MPC) with a role.

Attributes, allowed values and defaults are the official SDK's ``MultiPartyCallElement`` (its
validators: maxDuration 300-28800, maxParticipants 2-10, recordMinMemberCount 1-2, waitTime 0-1800,
enter/exitSound ``beep:1``, ``beep:2``, ``none`` or a URL, statusCallbackEvents among Plivo's five
groups) and Plivo's XML reference ("Conferencing: MultiPartyCall"). The role is Agent, Supervisor or
Customer (any case). The SDK also takes ``ai-agent``, a participant streamed to an AI over a
WebSocket with attributes the reference does not list: the sandbox refuses it by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.parse import InvalidXML
from plivo_blocks.sandbox.voice.xml.rules import Boolean, Choice, Integer, Method, Rule, Sound, Url
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec, Parsed

STATUS_EVENT_GROUPS = (
    "mpc-state-changes",
    "participant-state-changes",
    "participant-speak-events",
    "participant-digit-input-events",
    "add-participant-api-events",
)


@dataclass(frozen=True)
class EventGroups(Rule[tuple[str, ...]]):
    """``statusCallbackEvents``: groups among :data:`STATUS_EVENT_GROUPS`, separated by commas."""

    accepts: str = "event groups separated by commas, among " + ", ".join(STATUS_EVENT_GROUPS)

    def parse(self, text: str) -> tuple[str, ...]:
        groups = tuple(g.strip().lower() for g in text.split(",") if g.strip())
        if not groups or any(g not in STATUS_EVENT_GROUPS for g in groups):
            raise ValueError(f"must be {self.accepts}")
        return groups


@dataclass(frozen=True, slots=True)
class MultiPartyCall:
    name: str
    role: str  # Agent, Supervisor or Customer
    max_duration: int = 14400
    max_participants: int = 10
    record_min_member_count: int = 1
    wait_music_url: str | None = None
    wait_music_method: str = "GET"
    wait_time: int | None = None
    agent_hold_music_url: str | None = None
    agent_hold_music_method: str = "GET"
    customer_hold_music_url: str | None = None
    customer_hold_music_method: str = "GET"
    record: bool = False
    record_participant_track: bool = False
    record_file_format: str = "mp3"
    recording_callback_url: str | None = None
    recording_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = ("mpc-state-changes", "participant-state-changes")
    status_callback_url: str | None = None
    status_callback_method: str = "POST"
    stay_alone: bool = False
    coach_mode: bool = True
    mute: bool = False
    hold: bool = False
    start_mpc_on_enter: bool = True
    end_mpc_on_exit: bool = False
    enter_sound: str = "beep:1"
    enter_sound_method: str = "GET"
    exit_sound: str = "beep:2"
    exit_sound_method: str = "GET"
    on_exit_action_url: str | None = None
    on_exit_action_method: str = "POST"
    relay_dtmf_inputs: bool = False
    start_recording_audio: str | None = None
    start_recording_audio_method: str = "GET"
    stop_recording_audio: str | None = None
    stop_recording_audio_method: str = "GET"


ROLES = {"agent": "Agent", "supervisor": "Supervisor", "customer": "Customer"}


def _build(p: Parsed) -> MultiPartyCall:
    role = p["role"]
    if role == "ai-agent":
        raise InvalidXML(
            '<MultiPartyCall role="ai-agent">: the plivo-blocks sandbox does not simulate AI agents'
        )
    return MultiPartyCall(
        name=p.text,
        role=ROLES[role],
        max_duration=p["maxDuration"],
        max_participants=p["maxParticipants"],
        record_min_member_count=p["recordMinMemberCount"],
        wait_music_url=p["waitMusicUrl"],
        wait_music_method=p["waitMusicMethod"],
        wait_time=p["waitTime"],
        agent_hold_music_url=p["agentHoldMusicUrl"],
        agent_hold_music_method=p["agentHoldMusicMethod"],
        customer_hold_music_url=p["customerHoldMusicUrl"],
        customer_hold_music_method=p["customerHoldMusicMethod"],
        record=p["record"],
        record_participant_track=p["recordParticipantTrack"],
        record_file_format=p["recordFileFormat"],
        recording_callback_url=p["recordingCallbackUrl"],
        recording_callback_method=p["recordingCallbackMethod"],
        status_callback_events=p["statusCallbackEvents"],
        status_callback_url=p["statusCallbackUrl"],
        status_callback_method=p["statusCallbackMethod"],
        stay_alone=p["stayAlone"],
        coach_mode=p["coachMode"],
        mute=p["mute"],
        hold=p["hold"],
        start_mpc_on_enter=p["startMpcOnEnter"],
        end_mpc_on_exit=p["endMpcOnExit"],
        enter_sound=p["enterSound"],
        enter_sound_method=p["enterSoundMethod"],
        exit_sound=p["exitSound"],
        exit_sound_method=p["exitSoundMethod"],
        on_exit_action_url=p["onExitActionUrl"],
        on_exit_action_method=p["onExitActionMethod"],
        relay_dtmf_inputs=p["relayDTMFInputs"],
        start_recording_audio=p["startRecordingAudio"],
        start_recording_audio_method=p["startRecordingAudioMethod"],
        stop_recording_audio=p["stopRecordingAudio"],
        stop_recording_audio_method=p["stopRecordingAudioMethod"],
    )


_SOUND = Sound(beeps=("beep:1", "beep:2", "none"))

MULTI_PARTY_CALL = ElementSpec(
    "MultiPartyCall",
    _build,
    attrs=(
        Attr("role", Choice(("agent", "supervisor", "customer", "ai-agent")), required=True),
        Attr("maxDuration", Integer(minimum=300, maximum=28800), 14400),
        Attr("maxParticipants", Integer(minimum=2, maximum=10), 10),
        Attr("recordMinMemberCount", Integer(minimum=1, maximum=2), 1),
        Attr("waitMusicUrl", Url()),
        Attr("waitMusicMethod", Method(), "GET"),
        Attr("waitTime", Integer(minimum=0, maximum=1800)),
        Attr("agentHoldMusicUrl", Url()),
        Attr("agentHoldMusicMethod", Method(), "GET"),
        Attr("customerHoldMusicUrl", Url()),
        Attr("customerHoldMusicMethod", Method(), "GET"),
        Attr("record", Boolean(), False),
        Attr("recordParticipantTrack", Boolean(), False),
        Attr("recordFileFormat", Choice(("mp3", "wav")), "mp3"),
        Attr("recordingCallbackUrl", Url()),
        Attr("recordingCallbackMethod", Method(), "POST"),
        Attr("statusCallbackEvents", EventGroups(), ("mpc-state-changes", "participant-state-changes")),
        Attr("statusCallbackUrl", Url()),
        Attr("statusCallbackMethod", Method(), "POST"),
        Attr("stayAlone", Boolean(), False),
        Attr("coachMode", Boolean(), True),
        Attr("mute", Boolean(), False),
        Attr("hold", Boolean(), False),
        Attr("startMpcOnEnter", Boolean(), True),
        Attr("endMpcOnExit", Boolean(), False),
        Attr("enterSound", _SOUND, "beep:1"),
        Attr("enterSoundMethod", Method(), "GET"),
        Attr("exitSound", _SOUND, "beep:2"),
        Attr("exitSoundMethod", Method(), "GET"),
        Attr("onExitActionUrl", Url()),
        Attr("onExitActionMethod", Method(), "POST"),
        Attr("relayDTMFInputs", Boolean(), False),
        Attr("startRecordingAudio", Url()),
        Attr("startRecordingAudioMethod", Method(), "GET"),
        Attr("stopRecordingAudio", Url()),
        Attr("stopRecordingAudioMethod", Method(), "GET"),
    ),
    content="text",
)

SPECS = (MULTI_PARTY_CALL,)
