"""``<DTMF>``: sends tones on the call, shown in the call log (``dtmf_sent``).

Sending takes time on the clock: :data:`TONE_SECONDS` per key, 0.5 s per ``w`` and 1 s per ``W``.
With ``async`` (Plivo's default) the next element starts at once while the tones go out; with
``async="false"`` the call waits until the last tone is sent.
"""

from __future__ import annotations

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext

#: A tone and the gap after it (telephone keypads send about 100 ms of tone and 100 ms of silence).
TONE_SECONDS = 0.2
PAUSES = {"w": 0.5, "W": 1.0}


def dtmf_seconds(digits: str) -> float:
    return sum(PAUSES.get(key, TONE_SECONDS) for key in digits)


async def run_dtmf(ctx: VerbContext, call: Call, step: px.DTMF) -> Outcome:
    seconds = dtmf_seconds(step.digits)
    call.note("dtmf_sent", digits=step.digits, async_=step.async_, seconds=round(seconds, 3))
    if not step.async_:
        call.activity = "sending digits"
        await call.sleep(seconds)
    return None
