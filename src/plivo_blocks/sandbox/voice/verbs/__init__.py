"""How each Plivo XML element runs: one module per group of elements, and :func:`run_step`, which
hands an instruction to its runner.

=================  ==========================================
module             elements
=================  ==========================================
``media``          Speak, Play, Wait
``digits``         GetDigits
``record``         Record
``conference``     Conference
``flow``           Redirect, Hangup
=================  ==========================================
"""

from __future__ import annotations

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.verbs.conference import run_conference
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext
from plivo_blocks.sandbox.voice.verbs.digits import run_get_digits
from plivo_blocks.sandbox.voice.verbs.flow import run_hangup, run_redirect
from plivo_blocks.sandbox.voice.verbs.media import run_media
from plivo_blocks.sandbox.voice.verbs.record import run_record

__all__ = ["Outcome", "VerbContext", "run_step"]


async def run_step(ctx: VerbContext, call: Call, step: px.Instruction) -> Outcome:
    """Run one instruction on ``call``; answer the next document when it moves the call elsewhere."""
    call.check()
    match step:
        case px.Speak() | px.Play() | px.Wait():
            return await run_media(ctx, call, step)
        case px.GetDigits():
            return await run_get_digits(ctx, call, step)
        case px.Record():
            return await run_record(ctx, call, step)
        case px.Conference():
            return await run_conference(ctx, call, step)
        case px.Redirect():
            return await run_redirect(ctx, call, step)
        case px.Hangup():
            return await run_hangup(ctx, call, step)
        case px.Unsupported():
            call.note("skipped", verb=step.tag)
            return None
