"""``<PreAnswer>``: early media, and the part of an incoming call's document that runs before the
answer.

Plivo fetches an incoming call's answer URL while the call still rings (``CallStatus=ringing``)
and answers it only when an element needs the answer. :func:`run_unanswered` runs the document's
leading ``<PreAnswer>`` elements (their Speak, Play, Wait, ... take time on the clock but are not
billed: the call has no ``answer_time`` yet) and ``<Hangup>`` elements (which reject the call, see
:mod:`.flow`); the first other element is where the call is answered. On a call already answered
(an outbound call, or later in a call) ``<PreAnswer>``'s elements simply run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.verbs.context import Outcome, VerbContext

Runner = Callable[[VerbContext, Call, px.Instruction], Awaitable[Outcome]]


async def run_pre_answer(ctx: VerbContext, call: Call, step: px.PreAnswer, run: Runner) -> Outcome:
    early = call.answered_at is None
    call.note("preanswer", early_media=early)
    for inner in step.steps:
        outcome = await run(ctx, call, inner)
        if outcome is not None:
            return outcome
    return None


async def run_unanswered(
    ctx: VerbContext, call: Call, instructions: list[px.Instruction], run: Runner
) -> list[px.Instruction]:
    """Run what an unanswered call runs (leading PreAnswer and Hangup elements, following the
    documents they lead to); answer the rest, which runs once the call is answered."""
    current = instructions
    while current and isinstance(current[0], px.PreAnswer | px.Hangup):
        outcome = await run(ctx, call, current[0])
        current = outcome if outcome is not None else current[1:]
    return current
