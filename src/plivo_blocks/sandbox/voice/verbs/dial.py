"""``<Dial>``: ring the Numbers and Users, connect the first to answer, then tell ``action``.

The legs and the bridge are :mod:`plivo_blocks.sandbox.voice.dialer`'s; this runner plays the media
a Dial needs (confirmSound, to the B leg) with the media runner, and ends as most elements do:
``action`` with Plivo's Dial parameters (``DialStatus``, ``DialRingStatus``, ``DialHangupCause``,
``DialALegUUID``, ``DialBLegUUID``), fetched and run with ``redirect``, notified without; without
``action`` the call goes on with the next element.
"""

from __future__ import annotations

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext
from plivo_blocks.sandbox.voice.verbs.media import run_media


async def run_dial(ctx: VerbContext, call: Call, step: px.Dial) -> Outcome:
    async def play(leg: Call, prompt: px.Prompt) -> None:
        await run_media(ctx, leg, prompt)

    params = await ctx.dialer.dial(call, step, play)
    call.note("dial_ended", status=params["DialStatus"], bleg=params["DialBLegUUID"])
    return await ctx.action(call, step.action, step.method, step.redirect, params)
