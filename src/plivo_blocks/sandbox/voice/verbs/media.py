"""``<Speak>``, ``<Play>`` and ``<Wait>``: media that takes time on the call's clock.

Durations: Speak takes ``ceil(characters / 15)`` seconds (at least 1; about 150 words a minute),
Play :data:`PLAY_SECONDS` per loop (the sandbox does not fetch the file), Wait its ``length``. A
``loop`` of 0 plays until the call is hung up, transferred or advanced.
"""

from __future__ import annotations

import contextlib
import math

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, Skipped
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext

SPEAK_CHARS_PER_SECOND = 15
PLAY_SECONDS = 5.0


def speak_seconds(text: str) -> float:
    return max(1.0, math.ceil(len(text) / SPEAK_CHARS_PER_SECOND))


async def run_media(ctx: VerbContext, call: Call, step: px.Speak | px.Play | px.Wait) -> Outcome:
    if isinstance(step, px.Speak):
        call.activity = "speaking"
        call.note("speak", text=step.text, voice=step.voice, language=step.language)
        loops, seconds = step.loop, speak_seconds(step.text)
    elif isinstance(step, px.Play):
        call.activity = "playing"
        call.note("play", url=step.url)
        loops, seconds = step.loop, PLAY_SECONDS
    else:
        call.activity = "waiting"
        call.note("wait", length=step.length)
        loops, seconds = 1, float(step.length)
    if loops == 0:  # loop forever: until the call is hung up, moved or advanced
        with contextlib.suppress(Skipped):
            await call.park()
        return None
    await call.sleep(seconds * loops)
    return None
