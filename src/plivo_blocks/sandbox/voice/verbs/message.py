"""``<Message>``: sends an SMS from the call through the sandbox's messaging model (the same sender
rules, pricing, lifecycle and status callbacks as ``POST Message/``), owned by the call's account;
``callbackUrl`` gets the delivery reports. A message Plivo would not send (a destination with no
route, a sender the account may not use) is not sent: the call log says why (``message_failed``)
and the call goes on."""

from __future__ import annotations

from plivo_blocks.sandbox.message_queue import DEFAULT_EXPIRY_SECONDS
from plivo_blocks.sandbox.messaging import OutboundRequest
from plivo_blocks.sandbox.models.message_rules import check_text, parse_destinations
from plivo_blocks.sandbox.responses import PlivoError
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext


async def run_message(ctx: VerbContext, call: Call, step: px.Message) -> Outcome:
    try:
        check_text(step.text, step.type)
        request = OutboundRequest(
            owner=call.owner,
            account=call.main_auth_id or call.owner,
            owners=(call.owner,),
            src=step.src,
            destinations=parse_destinations(step.dst),
            text=step.text,
            message_type=step.type,
            media_urls=(),
            url=step.callback_url,
            method=step.callback_method,
            expiry_seconds=float(DEFAULT_EXPIRY_SECONDS),
            requester_ip="",
        )
        uuids = await ctx.messages.create_outbound(request)
    except PlivoError as refused:
        call.note("message_failed", src=step.src, dst=step.dst, error=str(refused.error))
        return None
    call.note("message", src=step.src, dst=step.dst, message_uuids=uuids)
    return None
