"""Plivo's audio-stream protocol as data: the JSON messages the sandbox sends over a ``<Stream>``'s
WebSocket and reads the server's messages from.

Shapes follow Plivo's "Stream Event Protocol" reference and the official stream SDKs' schemas
(plivo-stream-sdk-node ``src/types.ts``, plivo-stream-sdk-java ``event/*``):

* ``start`` (sequence number 1): ``{"event", "sequenceNumber", "start": {"callId", "streamId",
  "accountId", "tracks", "mediaFormat": {"encoding", "sampleRate"}}, "extra_headers"}``.
* ``media``: ``{"event", "sequenceNumber", "streamId", "media": {"track", "timestamp" (epoch ms, a
  string), "chunk" (per track, from 1), "payload" (base64)}, "extra_headers"}``; one per track every
  :data:`FRAME_SECONDS` (20 ms).
* ``dtmf``: ``{"event", "sequenceNumber", "streamId", "dtmf": {"track", "digit", "timestamp"},
  "extra_headers"}``, for each key the caller presses.
* ``playedStream`` / ``clearedAudio``: the answers to the server's ``checkpoint`` and ``clearAudio``.
* ``stop``: ``{"event", "sequenceNumber", "streamId", "reason"}`` before Plivo closes the socket (named
  by Plivo's XML page and parsed by the Java stream SDK; the protocol reference does not list it).

From the server: ``playAudio`` (``media``: ``contentType``, ``sampleRate``, base64 ``payload``),
``checkpoint`` (``name``), ``clearAudio``, ``sendDTMF``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

FRAME_SECONDS = 0.02
#: Bytes per sample of each encoding: 16-bit linear PCM, 8-bit mu-law.
SAMPLE_WIDTH = {"audio/x-l16": 2, "audio/x-mulaw": 1}
#: What silence is in each encoding: 0 in linear PCM, 0xFF in mu-law (the code of a zero sample).
SILENT_BYTE = {"audio/x-l16": 0x00, "audio/x-mulaw": 0xFF}


def silence(encoding: str, sample_rate: int, seconds: float = FRAME_SECONDS) -> bytes:
    """``seconds`` of silence in ``encoding`` at ``sample_rate`` (160 bytes of mu-law for a 20 ms frame
    at 8 kHz, 320 of 16-bit PCM, 640 at 16 kHz)."""
    samples = round(sample_rate * seconds)
    return bytes([SILENT_BYTE[encoding]]) * (samples * SAMPLE_WIDTH[encoding])


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def start_message(
    *,
    call_uuid: str,
    stream_id: str,
    account_id: str,
    tracks: tuple[str, ...],
    encoding: str,
    sample_rate: int,
    extra_headers: str,
) -> dict[str, Any]:
    return {
        "event": "start",
        "sequenceNumber": 1,
        "start": {
            "callId": call_uuid,
            "streamId": stream_id,
            "accountId": account_id,
            "tracks": list(tracks),
            "mediaFormat": {"encoding": encoding, "sampleRate": sample_rate},
        },
        "extra_headers": extra_headers,
    }


def media_message(
    sequence: int, stream_id: str, track: str, timestamp_ms: int, chunk: int, audio: bytes, extra_headers: str
) -> dict[str, Any]:
    return {
        "event": "media",
        "sequenceNumber": sequence,
        "streamId": stream_id,
        "media": {
            "track": track,
            "timestamp": str(timestamp_ms),
            "chunk": chunk,
            "payload": base64.b64encode(audio).decode("ascii"),
        },
        "extra_headers": extra_headers,
    }


def dtmf_message(
    sequence: int, stream_id: str, digit: str, timestamp_ms: int, extra_headers: str
) -> dict[str, Any]:
    return {
        "event": "dtmf",
        "sequenceNumber": sequence,
        "streamId": stream_id,
        "dtmf": {"track": "inbound", "digit": digit, "timestamp": str(timestamp_ms)},
        "extra_headers": extra_headers,
    }


def played_message(sequence: int, stream_id: str, name: str) -> dict[str, Any]:
    return {"event": "playedStream", "sequenceNumber": sequence, "streamId": stream_id, "name": name}


def cleared_message(sequence: int, stream_id: str) -> dict[str, Any]:
    return {"event": "clearedAudio", "sequenceNumber": sequence, "streamId": stream_id}


def stop_message(sequence: int, stream_id: str, reason: str) -> dict[str, Any]:
    return {"event": "stop", "sequenceNumber": sequence, "streamId": stream_id, "reason": reason}


# -- from the server ---------------------------------------------------------------------------


class BadMessage(ValueError):
    """A server message the sandbox cannot read (the reason is logged on the call)."""


@dataclass(frozen=True, slots=True)
class PlayAudio:
    content_type: str
    sample_rate: int
    audio: bytes

    @property
    def seconds(self) -> float:
        """How long the audio plays: bytes / (rate x sample width)."""
        width = SAMPLE_WIDTH[self.content_type]
        return len(self.audio) / (self.sample_rate * width)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    name: str


@dataclass(frozen=True, slots=True)
class ClearAudio:
    pass


@dataclass(frozen=True, slots=True)
class SendDTMF:
    digits: str


ServerMessage = PlayAudio | Checkpoint | ClearAudio | SendDTMF

#: playAudio's allowed (contentType, sampleRate) pairs: l16 at 8 or 16 kHz, mu-law at 8 kHz.
PLAY_FORMATS = {("audio/x-l16", 8000), ("audio/x-l16", 16000), ("audio/x-mulaw", 8000)}


def read_server_message(raw: str | bytes) -> ServerMessage:
    """One message from the server, checked (:class:`BadMessage` says what is wrong)."""
    try:
        message = json.loads(raw)
    except ValueError:
        raise BadMessage("not JSON") from None
    if not isinstance(message, dict):
        raise BadMessage("not a JSON object")
    event = message.get("event")
    if event == "playAudio":
        return _play_audio(message.get("media"))
    if event == "checkpoint":
        name = message.get("name")
        if not isinstance(name, str) or not name:
            raise BadMessage("checkpoint needs a name")
        return Checkpoint(name)
    if event == "clearAudio":
        return ClearAudio()
    if event == "sendDTMF":
        digits = message.get("dtmf")
        if not isinstance(digits, str) or not digits:
            raise BadMessage("sendDTMF needs dtmf digits")
        return SendDTMF(digits)
    raise BadMessage(f"unknown event {event!r}")


def _play_audio(media: object) -> PlayAudio:
    if not isinstance(media, dict):
        raise BadMessage("playAudio needs a media object")
    content_type = media.get("contentType")
    try:
        sample_rate = int(media.get("sampleRate"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadMessage("playAudio media.sampleRate must be 8000 or 16000") from None
    if (content_type, sample_rate) not in PLAY_FORMATS:
        raise BadMessage(
            f"playAudio media.contentType/sampleRate {content_type!r}/{sample_rate} is not one of "
            "audio/x-l16 at 8000 or 16000, audio/x-mulaw at 8000"
        )
    payload = media.get("payload")
    if not isinstance(payload, str):
        raise BadMessage("playAudio media.payload must be base64 text")
    try:
        audio = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise BadMessage("playAudio media.payload is not valid base64") from None
    return PlayAudio(str(content_type), sample_rate, audio)
