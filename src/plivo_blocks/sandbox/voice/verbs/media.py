"""``<Speak>``, ``<Play>`` and ``<Wait>``: media that takes time on the call's clock.

Durations (:mod:`..playback`): Speak about 150 words a minute (``ceil(characters / 15)`` seconds,
at least 1); Play the length of the file, fetched and measured (WAV, MP3), or
:data:`~..playback.PLAY_DEFAULT_SECONDS` when it cannot be; Wait its ``length``. Each times
``loop``; a ``loop`` of 0 plays until the call is hung up, transferred or advanced.
"""

from __future__ import annotations

import contextlib

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, Skipped
from plivo_blocks.sandbox.voice.playback import speak_seconds
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext


async def run_media(ctx: VerbContext, call: Call, step: px.Speak | px.Play | px.Wait) -> Outcome:
    if isinstance(step, px.Speak):
        call.activity = "speaking"
        call.note("speak", text=step.text, voice=step.voice, language=step.language)
        loops, seconds = step.loop, speak_seconds(step.text)
    elif isinstance(step, px.Play):
        call.activity = "playing"
        measured = await ctx.audio.measure(call, step.url)
        call.note("play", url=step.url, seconds=round(measured.seconds, 3), length=measured.source)
        loops, seconds = step.loop, measured.seconds
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
