"""``<Conference>``: the call joins a room (see :mod:`plivo_blocks.sandbox.voice.conferences`) and
stays until it leaves; then ``action`` (when given) learns how it left, and the XML goes on.

While the room waits to start (``startConferenceOnEnter="false"`` members only), the caller hears
``waitSound``: the Play, Speak and Wait of the XML at that URL (fetched with POST, as Plivo fetches
it), in a loop, on the sandbox clock; the room starting cuts it short.
"""

from __future__ import annotations

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, CallEnded, Skipped, Transferred
from plivo_blocks.sandbox.voice.conferences import CONTINUE, HANGUP, Member
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext
from plivo_blocks.sandbox.voice.verbs.media import run_media


async def run_conference(ctx: VerbContext, call: Call, step: px.Conference) -> Outcome:
    member = await ctx.bridge.enter(call, step)
    if member is None:
        return None
    try:
        if member.waiting and step.wait_sound:
            await _wait_sound(ctx, call, member, step.wait_sound)
        await ctx.bridge.stay(member)
    except Skipped:  # the control API's advance: leave, go on with the XML
        await ctx.bridge.leave(member, CONTINUE)
    except Transferred:  # the call moves to other XML: out of the room first
        await ctx.bridge.leave(member, CONTINUE)
        raise
    call.activity = "answered"
    if member.leave_reason == HANGUP:
        raise CallEnded
    call.check()
    params = ctx.bridge.action_params(member)
    return await ctx.action(call, step.action, step.method, step.redirect, params)


async def _wait_sound(ctx: VerbContext, call: Call, member: Member, url: str) -> None:
    prompts = await call.io(ctx.documents.fetch_sound(call, url, "POST"))
    call.note("wait_sound", url=url, played=[type(p).__name__ for p in prompts])
    while prompts and member.waiting and not member.left:
        for prompt in prompts:
            if not member.waiting or member.left:
                return
            await run_media(ctx, call, prompt)
