"""``<Conference>``: the call joins a room (see :mod:`plivo_blocks.sandbox.voice.conferences`) and
stays until it leaves; then ``action`` (when given) learns how it left, and the XML goes on."""

from __future__ import annotations

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, CallEnded
from plivo_blocks.sandbox.voice.conferences import HANGUP
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext


async def run_conference(ctx: VerbContext, call: Call, step: px.Conference) -> Outcome:
    member = await ctx.bridge.join(call, step)
    call.activity = "answered"
    if member is None:
        return None
    if member.leave_reason == HANGUP:
        raise CallEnded
    call.check()
    params = ctx.bridge.action_params(member)
    return await ctx.action(call, step.action, step.method, step.redirect, params)
