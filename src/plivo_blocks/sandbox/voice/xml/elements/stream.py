"""``<Stream>``: the call's audio, forked to a WebSocket server (Plivo's audio-stream protocol).

Attributes, allowed values and defaults are those of Plivo's XML reference (docs "Audio Streaming":
``bidirectional``, ``audioTrack``, ``streamTimeout``, ``statusCallbackUrl``/``Method``,
``contentType``, ``extraHeaders``, ``keepCallAlive``, ``noiseCancellation``/``Level``). The text is
the WebSocket URL (``ws://`` or ``wss://``). Plivo's note "when bidirectional is true, audioTrack
should not be outbound or both" is enforced: such a document is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.parse import InvalidXML
from plivo_blocks.sandbox.voice.xml.rules import Boolean, Choice, Integer, Method, Text, Url, WebSocketUrl
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec, Parsed

#: ``contentType`` -> (encoding as the start event names it, sample rate).
CONTENT_TYPES: dict[str, tuple[str, int]] = {
    "audio/x-l16;rate=8000": ("audio/x-l16", 8000),
    "audio/x-l16;rate=16000": ("audio/x-l16", 16000),
    "audio/x-mulaw;rate=8000": ("audio/x-mulaw", 8000),
}

#: Plivo: "Key-value pairs ... Example: test1=12,test2=123. Max length: 512 bytes. Only characters
#: [A-Z], [a-z], [0-9] allowed" (in keys and values; ``=`` and ``,`` join them).
_EXTRA_HEADERS = re.compile(r"[A-Za-z0-9]+=[A-Za-z0-9]+(,[A-Za-z0-9]+=[A-Za-z0-9]+)*\Z")


@dataclass(frozen=True, slots=True)
class Stream:
    url: str
    bidirectional: bool = False
    audio_track: str = "inbound"
    stream_timeout: int = 86400
    status_callback_url: str | None = None
    status_callback_method: str = "POST"
    content_type: str = "audio/x-l16;rate=8000"
    extra_headers: str = ""
    keep_call_alive: bool = False
    noise_cancellation: bool = False
    noise_cancellation_level: int = 85

    @property
    def encoding(self) -> str:
        return CONTENT_TYPES[self.content_type][0]

    @property
    def sample_rate(self) -> int:
        return CONTENT_TYPES[self.content_type][1]

    @property
    def tracks(self) -> tuple[str, ...]:
        return ("inbound", "outbound") if self.audio_track == "both" else (self.audio_track,)


def _build(p: Parsed) -> Stream:
    try:
        url = WebSocketUrl().parse(p.text)
    except ValueError as exc:
        raise InvalidXML(f"<Stream> {exc}, got {p.text!r}") from None
    if p["bidirectional"] and p["audioTrack"] != "inbound":
        raise InvalidXML(
            f'<Stream> with bidirectional="true" streams the inbound track only, not audioTrack={p["audioTrack"]!r}'
        )
    return Stream(
        url,
        p["bidirectional"],
        p["audioTrack"],
        p["streamTimeout"],
        p["statusCallbackUrl"],
        p["statusCallbackMethod"],
        p["contentType"],
        p["extraHeaders"],
        p["keepCallAlive"],
        p["noiseCancellation"],
        p["noiseCancellationLevel"],
    )


STREAM = ElementSpec(
    "Stream",
    _build,
    attrs=(
        Attr("bidirectional", Boolean(), False),
        Attr("audioTrack", Choice(("inbound", "outbound", "both"), fold_case=False), "inbound"),
        Attr("streamTimeout", Integer(minimum=1), 86400),
        Attr("statusCallbackUrl", Url()),
        Attr("statusCallbackMethod", Method(), "POST"),
        Attr("contentType", Choice(tuple(CONTENT_TYPES), fold_case=False), "audio/x-l16;rate=8000"),
        Attr(
            "extraHeaders",
            Text(
                max_length=512,
                check=lambda text: bool(_EXTRA_HEADERS.match(text)),
                describe="key=value pairs separated by commas, keys and values of letters and digits",
            ),
            "",
        ),
        Attr("keepCallAlive", Boolean(), False),
        Attr("noiseCancellation", Boolean(), False),
        Attr("noiseCancellationLevel", Integer(minimum=60, maximum=100), 85),
    ),
    content="text",
)

SPECS = (STREAM,)
