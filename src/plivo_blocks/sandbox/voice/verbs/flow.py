"""``<Redirect>`` (run another document) and ``<Hangup>`` (end the call, now or on a schedule)."""

from __future__ import annotations

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, CallEnded
from plivo_blocks.sandbox.voice.causes import NORMAL_XML, TIME_LIMIT
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext


async def run_redirect(ctx: VerbContext, call: Call, step: px.Redirect) -> Outcome:
    call.note("redirect", url=step.url)
    return await ctx.documents.load(call, step.url, step.method, "redirect", {"Event": "Redirect"})


async def run_hangup(ctx: VerbContext, call: Call, step: px.Hangup) -> Outcome:
    if step.schedule > 0:
        timer = ctx.clock.call_later(float(step.schedule), lambda: _hang_up_later(ctx, call))
        call.timers.append(timer)
        call.note("hangup_scheduled", seconds=step.schedule)
        return None
    call.note("hangup", reason=step.reason)
    await ctx.control.hangup(call, NORMAL_XML)
    raise CallEnded


def _hang_up_later(ctx: VerbContext, call: Call) -> None:
    if not call.ended:
        ctx.clock.spawn(ctx.control.hangup(call, TIME_LIMIT))
