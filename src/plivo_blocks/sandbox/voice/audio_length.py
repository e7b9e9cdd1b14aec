"""How long an audio file plays: WAV and MP3, decoded from their headers (no audio library).

* **WAV**: the standard library's :mod:`wave` for PCM; other encodings Plivo plays (8 kHz mu-law or
  A-law, common for telephone prompts) by reading the RIFF ``fmt`` chunk's byte rate and the
  ``data`` chunk's size.
* **MP3**: MPEG-1, 2 and 2.5, layers I-III, frame by frame: each frame header gives its bitrate,
  sample rate and padding, hence its length in bytes and in samples; a Xing/Info header (VBR files)
  gives the frame count at once. ID3v2 tags in front and an ID3v1 tag at the end are skipped.

:func:`audio_seconds` answers ``None`` when the bytes are neither (or are damaged), so that the
caller can fall back to a documented default.
"""

from __future__ import annotations

import io
import struct
import wave

__all__ = ["audio_seconds", "mp3_seconds", "wav_seconds"]

# Bitrates in kbit/s by (version is MPEG-1, layer) and index; MPEG-2 and 2.5 share their tables.
_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def audio_seconds(data: bytes) -> float | None:
    """The playing time of a WAV or MP3 file, or None when it is neither (or is damaged)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return wav_seconds(data)
    return mp3_seconds(data)


def wav_seconds(data: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(data)) as reader:
            rate = reader.getframerate()
            return reader.getnframes() / rate if rate else None
    except (wave.Error, EOFError):
        return _riff_seconds(data)


def _riff_seconds(data: bytes) -> float | None:
    """Duration from the chunks themselves: any encoding, via the byte rate."""
    position, byte_rate, size = 12, 0, None
    while position + 8 <= len(data):
        chunk, length = data[position : position + 4], struct.unpack_from("<I", data, position + 4)[0]
        body = position + 8
        if chunk == b"fmt " and length >= 16:
            byte_rate = int(struct.unpack_from("<I", data, body + 8)[0])
        elif chunk == b"data":
            size = min(int(length), len(data) - body)
            break
        position = body + length + (length & 1)
    if not byte_rate or size is None:
        return None
    return size / byte_rate


def _frame(header: bytes) -> tuple[int, int, int] | None:
    """(frame bytes, samples, sample rate) of an MPEG audio frame header, or None."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version = (header[1] >> 3) & 0b11  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
    layer = 4 - ((header[1] >> 1) & 0b11)  # 1, 2, 3 (4: reserved)
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 0b11
    if version == 1 or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    mpeg1 = version == 3
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = _SAMPLE_RATES[version][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4, 384, rate
    samples = 1152 if layer == 2 or mpeg1 else 576
    return samples // 8 * bitrate // rate + padding, samples, rate


def _skip_id3v2(data: bytes) -> int:
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = (data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F)
    return 10 + size + (10 if data[5] & 0x10 else 0)


def _xing_frames(data: bytes, position: int) -> int | None:
    """The frame count a Xing or Info header (in the first frame of VBR files) declares."""
    header = data[position : position + 4]
    mpeg1, mono = (header[1] >> 3) & 0b11 == 3, header[3] >> 6 == 3
    side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    tag = position + 4 + side
    if data[tag : tag + 4] in (b"Xing", b"Info") and len(data) >= tag + 12:
        flags = struct.unpack_from(">I", data, tag + 4)[0]
        if flags & 1:
            frames: int = struct.unpack_from(">I", data, tag + 8)[0]
            return frames
    return None


def mp3_seconds(data: bytes) -> float | None:
    position = _skip_id3v2(data)
    end = len(data) - (128 if data[-128:-125] == b"TAG" else 0)
    # The first frame: a header whose next frame starts where it says (not a stray 0xFF).
    while position + 4 <= end:
        first = _frame(data[position : position + 4])
        if first is not None and (position + first[0] >= end or _frame(data[position + first[0] :][:4])):
            break
        position += 1
    else:
        return None
    declared = _xing_frames(data, position)
    if declared:
        _, samples, rate = first
        return declared * samples / rate
    seconds = 0.0
    while position + 4 <= end:
        frame = _frame(data[position : position + 4])
        if frame is None:
            break
        size, samples, rate = frame
        seconds += samples / rate
        position += size
    return seconds or None
