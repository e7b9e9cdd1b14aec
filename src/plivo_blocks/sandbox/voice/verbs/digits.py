"""``<GetDigits>``: prompts, then the caller's keys until ``numDigits``, ``finishOnKey`` or a timeout.

Keys come from the other party (``POST /_sandbox/calls/{uuid}/digits``; today also
``POST Call/{uuid}/DTMF/``). With digits, ``action`` gets them (``Digits``); without, the call goes
on with the next element. The control API's "advance" ends the wait as if nothing was typed.
"""

from __future__ import annotations

from plivo_blocks.sandbox.clock import WaitTimeout
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, Skipped
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext
from plivo_blocks.sandbox.voice.verbs.media import run_media


async def run_get_digits(ctx: VerbContext, call: Call, step: px.GetDigits) -> Outcome:
    digits: str | None = None
    for attempt in range(1, step.retries + 1):
        for prompt in step.prompts:
            await run_media(ctx, call, prompt)
        try:
            digits = await collect_digits(call, step)
        except Skipped:
            digits = None
            break
        call.note("digits", attempt=attempt, digits=digits)
        if digits:
            break
    if not digits:
        return None
    return await ctx.action(call, step.action, step.method, step.redirect, {"Digits": digits})


async def collect_digits(call: Call, step: px.GetDigits) -> str | None:
    """Keys until ``numDigits``, ``finishOnKey`` or a timeout; ``None`` when an invalid key was
    pressed."""
    call.typed.clear()
    call.activity = "waiting for digits"
    collected = ""
    timeout = float(step.timeout)
    while True:
        if not call.typed:
            try:
                await call.park(timeout, waiting_for="digits")
            except WaitTimeout:
                return collected
        burst = "".join(call.typed)
        call.typed.clear()
        for key in burst:
            if step.finish_on_key and key in step.finish_on_key:
                return collected
            if key not in step.valid_digits:
                return None
            collected += key
            if len(collected) >= step.num_digits:
                return collected
        timeout = float(step.digit_timeout)
