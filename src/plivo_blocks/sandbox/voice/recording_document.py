"""What a finished recording leaves behind: :class:`Recording`, a document of kind ``recording``
(written by :class:`~plivo_blocks.sandbox.voice.recordings.Recorder` when a recording stops),
shown by ``GET Recording/{id}/`` as in ``recordingGetResponse.json``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from plivo_blocks.sandbox.store import Document

RECORDING = "recording"

#: Fields of a recording Plivo shows, in Plivo's order (``recordingGetResponse.json``).
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


def plivo_ms(value: float) -> str:
    """Milliseconds as Plivo writes them in a recording (``"4000.00000"``)."""
    return f"{value:.5f}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    """A recording of a call or a conference. ``time`` (sandbox epoch seconds, when it was added)
    and ``duration_ms`` are the exact values behind ``add_time`` and ``recording_duration_ms``:
    the list filters and the silent audio use them."""

    KIND: ClassVar[str] = RECORDING
    STORED_AS: ClassVar[Mapping[str, str]] = {"time": "_time", "duration_ms": "_duration_ms"}

    id: str  # the recording_id
    owner: str
    add_time: str
    call_uuid: str | None
    conference_name: str | None
    recording_format: str  # mp3 or wav
    recording_type: str  # "normal" (a call) or "conference"
    recording_url: str
    recording_duration_ms: str
    recording_start_ms: str
    recording_end_ms: str
    rounded_recording_duration: int
    recording_storage_rate: float
    monthly_recording_storage_amount: float = 0.0
    recording_storage_duration: int = 0
    time: float
    duration_ms: int

    def render(self) -> dict[str, Any]:
        return {
            "add_time": self.add_time,
            "call_uuid": self.call_uuid,
            "conference_name": self.conference_name,
            "monthly_recording_storage_amount": self.monthly_recording_storage_amount,
            "recording_duration_ms": self.recording_duration_ms,
            "recording_end_ms": self.recording_end_ms,
            "recording_format": self.recording_format,
            "recording_id": self.id,
            "recording_start_ms": self.recording_start_ms,
            "recording_storage_duration": self.recording_storage_duration,
            "recording_storage_rate": self.recording_storage_rate,
            "recording_type": self.recording_type,
            "recording_url": self.recording_url,
            "resource_uri": f"/v1/Account/{self.owner}/Recording/{self.id}/",
            "rounded_recording_duration": self.rounded_recording_duration,
        }

    @classmethod
    def from_document(cls, doc: Document) -> Recording:
        data = doc.data
        duration_ms = int(data.get("_duration_ms") or 0)
        return cls(
            id=doc.id,
            owner=doc.owner,
            add_time=str(data["add_time"]),
            call_uuid=data.get("call_uuid"),
            conference_name=data.get("conference_name"),
            recording_format=str(data["recording_format"]),
            recording_type=str(data["recording_type"]),
            recording_url=str(data["recording_url"]),
            recording_duration_ms=str(data.get("recording_duration_ms") or plivo_ms(duration_ms)),
            recording_start_ms=str(data["recording_start_ms"]),
            recording_end_ms=str(data["recording_end_ms"]),
            rounded_recording_duration=int(data.get("rounded_recording_duration") or 0),
            recording_storage_rate=float(data.get("recording_storage_rate") or 0.0),
            monthly_recording_storage_amount=float(data.get("monthly_recording_storage_amount") or 0.0),
            recording_storage_duration=int(data.get("recording_storage_duration") or 0),
            time=float(data.get("_time") or doc.created),
            duration_ms=duration_ms,
        )

    def to_data(self) -> dict[str, Any]:
        return {**self.render(), "_time": self.time, "_duration_ms": self.duration_ms}
