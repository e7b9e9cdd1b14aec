"""How long media plays on a call: ``<Play>`` files (fetched and measured) and spoken text.

* **Play**: the file is fetched through the outbox (signed and logged like every request the
  sandbox makes; kind ``play_audio``) under the fixed policy Plivo uses for audio files, which URL
  fragments do not change: 2 s to connect, 120 s to read, one retry, on any failure. Its length is
  read from the file (:mod:`.audio_length`: WAV and MP3). A file that cannot be fetched, is not
  2xx, is larger than Plivo's 10 MB limit for Play files, or is neither WAV nor MP3 plays for
  :data:`PLAY_DEFAULT_SECONDS` instead (the call log says why).
* **Speak**: :func:`speak_seconds`: about 150 words a minute, i.e. ``ceil(characters / 15)``
  seconds, at least 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urldefrag

from plivo_blocks.sandbox.voice.audio_length import audio_seconds
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.webhooks import Callback, CallbackPolicy, FetchFailed, Outbox

__all__ = ["MAX_AUDIO_BYTES", "PLAY_DEFAULT_SECONDS", "AudioLengths", "Measured", "speak_seconds"]

PLAY_DEFAULT_SECONDS = 5.0
MAX_AUDIO_BYTES = 10 * 1024 * 1024
SPEAK_CHARS_PER_SECOND = 15


def speak_seconds(text: str) -> float:
    return max(1.0, float(math.ceil(len(text) / SPEAK_CHARS_PER_SECOND)))


def audio_policy(url: str) -> CallbackPolicy:
    return CallbackPolicy(
        url=urldefrag(url.strip())[0],
        connect_timeout=2.0,
        read_timeout=120.0,
        total_timeout=2 * (2.0 + 120.0),
        retries=1,
        retry_on=frozenset({"ct", "rt", "4xx", "5xx"}),
    )


@dataclass(frozen=True)
class Measured:
    seconds: float
    source: str  # "file", or why the default applies


class AudioLengths:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def measure(self, call: Call, url: str, *, in_call: bool = True) -> Measured:
        """The playing time of the file at ``url``: fetched as the call's own real I/O (cut short
        when the call is interrupted), or, for the API (``in_call=False``), on the side."""
        callback = Callback.of(url, "GET", {}, auth_id=call.owner, kind="play_audio", ref=call.uuid)
        fetch = self._outbox.fetch(callback, policy=audio_policy(url), limit=MAX_AUDIO_BYTES)
        try:
            result = await (call.io(fetch) if in_call else fetch)
        except FetchFailed as exc:
            return Measured(PLAY_DEFAULT_SECONDS, f"default: not fetched ({exc.reason})")
        if not result.ok:
            return Measured(PLAY_DEFAULT_SECONDS, f"default: HTTP {result.status}")
        if result.truncated:
            return Measured(PLAY_DEFAULT_SECONDS, f"default: larger than {MAX_AUDIO_BYTES} bytes")
        seconds = audio_seconds(result.body)
        if seconds is None:
            return Measured(PLAY_DEFAULT_SECONDS, "default: neither WAV nor MP3")
        return Measured(seconds, "file")
