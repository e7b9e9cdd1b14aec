"""``<Message>``: sends an SMS from the call through the sandbox's messaging model (the same
planning, pricing, lifecycle and status callbacks as ``POST Message/``), owned by the call's
account; ``callbackUrl`` gets the delivery reports. A message Plivo would not send (a destination
with no route, a source equal to the destination) is not sent: the call log says why
(``message_failed``) and the call goes on."""

from __future__ import annotations

from plivo_blocks.sandbox.models.messages import plan_outbound
from plivo_blocks.sandbox.responses import PlivoError
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext


async def run_message(ctx: VerbContext, call: Call, step: px.Message) -> Outcome:
    try:
        planned = plan_outbound(step.src, step.dst, step.text, step.type, now=ctx.clock.datetime())
    except PlivoError as refused:
        call.note("message_failed", src=step.src, dst=step.dst, error=str(refused.error))
        return None
    uuids = await ctx.messages.create_outbound(
        call.owner, planned, step.callback_url, step.callback_method, step.text
    )
    call.note("message", src=step.src, dst=step.dst, message_uuids=uuids)
    return None
