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
from typing import Any

from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.store import Document, Store
from plivo_blocks.sandbox.times import format_time
from plivo_blocks.sandbox.webhooks import Callback, Outbox

RECORDING = "recording"
AUDIO_ROUTE = "/_sandbox/recordings"
STORAGE_RATE = 0.0004

#: Public fields of a recording, in Plivo's order (``recordingGetResponse.json``).
RECORDING_FIELDS = (
    "add_time",
    "call_uuid",
    "conference_name",
    "monthly_recording_storage_amount",
    "recording_duration_ms",
    "recording_end_ms",
    "recording_format",
    "recording_id",
    "recording_start_ms",
    "recording_storage_duration",
    "recording_storage_rate",
    "recording_type",
    "recording_url",
    "resource_uri",
    "rounded_recording_duration",
)


@dataclass
class ActiveRecording:
    """A recording in progress. ``clock`` is a function giving the recorded thing's media seconds."""

    id: str
    owner: str
    recording_type: str  # "call" or "conference"
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


def _ms(value: float) -> str:
    return f"{value:.5f}"


def render_recording(doc: Document) -> dict[str, Any]:
    return {name: doc.data.get(name) for name in RECORDING_FIELDS}


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

    async def finish(self, recording: ActiveRecording, clock: float) -> Document:
        """Write the recording's document for ``clock`` seconds of its call or conference and send
        its callback."""
        seconds = max(clock - recording.started_clock, 0.0)
        if recording.time_limit is not None:
            seconds = min(seconds, recording.time_limit)
        return await self.save(recording, seconds)

    async def save(self, recording: ActiveRecording, seconds: float) -> Document:
        duration_ms = round(seconds * 1000)
        start_ms = recording.started_ms
        end_ms = start_ms + duration_ms
        now = self._clock.datetime()
        data: dict[str, Any] = {
            "add_time": format_time(now, micro=True),
            "call_uuid": recording.call_uuid,
            "conference_name": recording.conference_name,
            "monthly_recording_storage_amount": 0.0,
            "recording_duration_ms": _ms(duration_ms),
            "recording_end_ms": _ms(end_ms),
            "recording_format": recording.file_format,
            "recording_id": recording.id,
            "recording_start_ms": _ms(start_ms),
            "recording_storage_duration": 0,
            "recording_storage_rate": STORAGE_RATE,
            "recording_type": recording.recording_type,
            "recording_url": recording.url,
            "resource_uri": f"/v1/Account/{recording.owner}/Recording/{recording.id}/",
            "rounded_recording_duration": 60 * math.ceil(duration_ms / 60000),
            "_time": now.timestamp(),
            "_duration_ms": duration_ms,
        }
        doc = await self._store.insert(RECORDING, recording.id, recording.owner, data)
        await self._notify(recording, duration_ms, start_ms, end_ms)
        return doc

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
            params = {
                "api_id": recording.api_id or "",
                "recordUrl": recording.url,
                "recordingId": recording.id,
                "conferenceName": recording.conference_name or "",
                "recordingDuration": seconds,
                "recordingDurationMs": str(duration_ms),
                "recordingStartMs": str(start_ms),
                "recordingEndMs": str(end_ms),
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
