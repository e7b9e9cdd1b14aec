"""Recordings: started by ``POST Call/{uuid}/Record/``, ``POST Conference/{name}/Record/``,
``<Record>`` or ``<Conference record="true">``; a ``recording`` document is written when one stops
(explicitly, at its time limit, or when its call or conference ends), and its callback is sent with
the parameters Plivo uses for that kind of recording.

The audio behind ``recording_url`` (``/_sandbox/recordings/{id}.{format}``) is silent and made on
demand by :mod:`plivo_blocks.sandbox.voice.audio`, as long as the recording's document exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.models.base import insert
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.store import Store
from plivo_blocks.sandbox.times import format_time
from plivo_blocks.sandbox.voice.recording_document import Recording, plivo_ms
from plivo_blocks.sandbox.webhooks import Callback, Outbox

#: Plivo delivers a transcription "under 5 minutes" after the recording; the sandbox takes this long
#: on its clock.
TRANSCRIPTION_SECONDS = 60.0
#: Per minute, as the sandbox bills it (Plivo's price list is not reachable offline).
TRANSCRIPTION_RATE = Decimal("0.05000")
#: Plivo transcribes recordings shorter than four hours.
MAX_TRANSCRIPTION_SECONDS = 4 * 3600
#: The transcript of a recording during which nothing was said through the caller-input contract.
FIXED_TRANSCRIPT = "This is a transcription of a recording made in the plivo-blocks sandbox."
AUDIO_ROUTE = "/_sandbox/recordings"
STORAGE_RATE = 0.0004


@dataclass
class ActiveRecording:
    """A recording in progress. ``clock`` is a function giving the recorded thing's media seconds."""

    id: str
    owner: str
    recording_type: str  # Plivo's: "normal" (a call) or "conference"
    file_format: str
    url: str
    call_uuid: str | None
    conference_name: str | None
    started_clock: float
    started_ms: int
    time_limit: float | None = None
    callback_url: str | None = None
    callback_method: str = "POST"
    callback_style: str = "api_call"  # api_call | api_conference | xml_record | xml_conference
    api_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    transcription: Transcription | None = None


@dataclass
class Transcription:
    """A transcription asked for with a recording (``transcriptionType``/``Url``/``Method``).
    ``heard`` is what the other party said while it was recorded (the caller-input contract);
    without words, the transcript is :data:`FIXED_TRANSCRIPT`."""

    url: str
    method: str = "POST"
    kind: str = "auto"
    heard: list[str] = field(default_factory=list)


def recording_url(base: str, recording_id: str, file_format: str) -> str:
    return f"{base.rstrip('/')}{AUDIO_ROUTE}/{recording_id}.{file_format}"


class Recorder:
    """Starts and finishes recordings for the engine."""

    def __init__(self, store: Store, clock: SandboxClock, settings: SandboxSettings, outbox: Outbox) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._outbox = outbox

    def start(
        self,
        *,
        owner: str,
        recording_type: str,
        file_format: str,
        public_base: str,
        clock: float,
        call_uuid: str | None,
        conference_name: str | None = None,
        time_limit: float | None = None,
        callback_url: str | None = None,
        callback_method: str = "POST",
        callback_style: str = "api_call",
        api_id: str | None = None,
    ) -> ActiveRecording:
        recording_id = new_uuid()
        base = self._settings.public_url or public_base
        return ActiveRecording(
            id=recording_id,
            owner=owner,
            recording_type=recording_type,
            file_format=file_format,
            url=recording_url(base, recording_id, file_format),
            call_uuid=call_uuid,
            conference_name=conference_name,
            started_clock=clock,
            started_ms=int(self._clock.now() * 1000),
            time_limit=time_limit,
            callback_url=callback_url,
            callback_method=callback_method,
            callback_style=callback_style,
            api_id=api_id,
        )

    async def finish(self, recording: ActiveRecording, clock: float) -> Recording:
        """Write the recording's document for ``clock`` seconds of its call or conference and send
        its callback."""
        seconds = max(clock - recording.started_clock, 0.0)
        if recording.time_limit is not None:
            seconds = min(seconds, recording.time_limit)
        return await self.save(recording, seconds)

    async def save(self, recording: ActiveRecording, seconds: float) -> Recording:
        duration_ms = round(seconds * 1000)
        start_ms = recording.started_ms
        end_ms = start_ms + duration_ms
        now = self._clock.datetime()
        saved = Recording(
            id=recording.id,
            owner=recording.owner,
            add_time=format_time(now, micro=True),
            call_uuid=recording.call_uuid,
            conference_name=recording.conference_name,
            recording_format=recording.file_format,
            recording_type=recording.recording_type,
            recording_url=recording.url,
            recording_duration_ms=plivo_ms(duration_ms),
            recording_start_ms=plivo_ms(start_ms),
            recording_end_ms=plivo_ms(end_ms),
            rounded_recording_duration=60 * math.ceil(duration_ms / 60000),
            recording_storage_rate=STORAGE_RATE,
            time=now.timestamp(),
            duration_ms=duration_ms,
        )
        await self._store.transaction(lambda tx: insert(tx, saved))
        await self._notify(recording, duration_ms, start_ms, end_ms)
        if recording.transcription is not None:
            self._transcribe_later(recording, recording.transcription, duration_ms)
        return saved

    def _transcribe_later(
        self, recording: ActiveRecording, transcription: Transcription, duration_ms: int
    ) -> None:
        def due() -> None:
            self._clock.spawn(self._send_transcription(recording, transcription, duration_ms))

        self._clock.call_later(TRANSCRIPTION_SECONDS, due)

    async def _send_transcription(
        self, recording: ActiveRecording, transcription: Transcription, duration_ms: int
    ) -> None:
        """The transcription URL's parameters, as Plivo's Record reference lists them."""
        seconds = duration_ms / 1000
        minutes = math.ceil(seconds / 60)
        params = {
            "transcription": " ".join(transcription.heard) or FIXED_TRANSCRIPT,
            "transcription_charge": f"{TRANSCRIPTION_RATE * minutes:.5f}",
            "transcription_rate": f"{TRANSCRIPTION_RATE:.5f}",
            "duration": str(round(seconds)),
            "call_uuid": recording.call_uuid or "",
            "recording_id": recording.id,
        }
        if seconds >= MAX_TRANSCRIPTION_SECONDS:
            params.update(
                transcription="",
                transcription_charge="0.00000",
                error="Recording duration too long for transcription",
            )
        await self._outbox.send(
            Callback.of(
                transcription.url,
                transcription.method,
                params,
                auth_id=recording.owner,
                kind="transcription",
                ref=recording.call_uuid,
            )
        )

    async def _notify(self, recording: ActiveRecording, duration_ms: int, start_ms: int, end_ms: int) -> None:
        if not recording.callback_url:
            return
        seconds = str(round(duration_ms / 1000))
        params: dict[str, str]
        if recording.callback_style == "api_call":
            params = {
                "api_id": recording.api_id or "",
                "record_url": recording.url,
                "call_uuid": recording.call_uuid or "",
                "recording_id": recording.id,
                "recording_duration": seconds,
                "recording_duration_ms": str(duration_ms),
                "recording_start_ms": str(start_ms),
                "recording_end_ms": str(end_ms),
            }
        elif recording.callback_style == "api_conference":
            # Plivo's conference record callback is snake_case, like the call record callback's.
            params = {
                "api_id": recording.api_id or "",
                "record_url": recording.url,
                "recording_id": recording.id,
                "conference_name": recording.conference_name or "",
                "recording_duration": seconds,
                "recording_duration_ms": str(duration_ms),
                "recording_start_ms": str(start_ms),
                "recording_end_ms": str(end_ms),
            }
        else:  # xml_record, xml_conference
            params = {
                **recording.extra,
                **record_params(recording, duration_ms, start_ms, end_ms),
            }
        await self._outbox.send(
            Callback.of(
                recording.callback_url,
                recording.callback_method,
                params,
                auth_id=recording.owner,
                kind="recording_callback",
                ref=recording.call_uuid,
            )
        )


def record_params(recording: ActiveRecording, duration_ms: int, start_ms: int, end_ms: int) -> dict[str, str]:
    """What ``<Record>``'s action and callback URLs (and a conference's record events) receive."""
    return {
        "RecordUrl": recording.url,
        "RecordingID": recording.id,
        "RecordingDuration": str(round(duration_ms / 1000)),
        "RecordingDurationMs": str(duration_ms),
        "RecordingStartMs": str(start_ms),
        "RecordingEndMs": str(end_ms),
        "RecordFile": recording.url,
    }
