"""Real, silent audio for the sandbox's recordings, made on demand (nothing is stored).

* **WAV**: 8 kHz, 16-bit, mono PCM of zeros, written with the standard library's :mod:`wave`.
* **MP3**: a run of MPEG-1 Layer III frames that decode to silence. Each frame is a 4-byte header
  ``FF FB 14 C0`` (sync, MPEG-1, Layer III, no CRC; 32 kbit/s; 48 kHz; no padding; mono) followed by
  17 bytes of side information that are all zero (``main_data_begin`` 0 and, for both granules,
  ``part2_3_length`` 0 and ``big_values`` 0: no Huffman-coded spectrum, so every sample decodes to 0)
  and zero filler up to the frame length, ``144 * 32000 / 48000 = 96`` bytes. A frame holds 1152
  samples, i.e. 24 ms, so the file's length is the asked duration rounded up to a whole frame.

Durations are capped (:data:`MAX_SECONDS`): a sandbox recording is a stand-in, not a tape.
"""

from __future__ import annotations

import io
import math
import wave

__all__ = ["MAX_SECONDS", "MEDIA_TYPES", "mp3_frame", "silent_audio", "silent_mp3", "silent_wav"]

MAX_SECONDS = 60
MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}

_WAV_RATE = 8000
_MP3_RATE = 48000
_MP3_BITRATE = 32000
_MP3_SAMPLES_PER_FRAME = 1152
_MP3_FRAME_BYTES = 144 * _MP3_BITRATE // _MP3_RATE  # 96
_MP3_HEADER = bytes((0xFF, 0xFB, 0x14, 0xC0))
_MP3_SIDE_INFO_BYTES = 17  # MPEG-1, mono


def mp3_frame() -> bytes:
    """One silent MPEG-1 Layer III frame (see the module docstring for its layout)."""
    return _MP3_HEADER + bytes(_MP3_FRAME_BYTES - len(_MP3_HEADER))


def _seconds(duration_ms: int) -> float:
    return min(max(duration_ms, 1), MAX_SECONDS * 1000) / 1000


def silent_mp3(duration_ms: int) -> bytes:
    frames = math.ceil(_seconds(duration_ms) * _MP3_RATE / _MP3_SAMPLES_PER_FRAME)
    return mp3_frame() * frames


def silent_wav(duration_ms: int) -> bytes:
    samples = math.ceil(_seconds(duration_ms) * _WAV_RATE)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(_WAV_RATE)
        out.writeframes(bytes(2 * samples))
    return buffer.getvalue()


def silent_audio(file_format: str, duration_ms: int) -> bytes:
    """Silent audio of ``duration_ms`` (at least 1 ms, at most :data:`MAX_SECONDS`) as ``mp3`` or ``wav``."""
    if file_format == "wav":
        return silent_wav(duration_ms)
    if file_format == "mp3":
        return silent_mp3(duration_ms)
    raise ValueError(f"unsupported audio format {file_format!r}")
