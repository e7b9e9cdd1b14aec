"""A call's life, from ``POST Call/`` (or a simulated inbound call) to its hangup.

It waits in Plivo's calls-per-second queue when it has to, rings (``ring_url`` notified; as the
callee's phone script says, :mod:`.ringing`; or held by the control API), is answered (machine
detection runs when asked for, :mod:`.detection`), fetches ``answer_url`` (``fallback_url`` when that
fails) with Plivo's parameters, runs the XML it gets element by element (:mod:`.verbs`), and hangs up
at the end of the XML (``End Of XML Instructions``) unless an element, the API or a timer ended it
first. An incoming
call fetches its answer URL while it still rings, and is answered by the first element that needs
the answer (``<PreAnswer>`` plays early media; ``<Hangup>`` rejects the call). A transfer
(``POST Call/{uuid}/``) stops whatever the call is doing and runs the transfer URL's XML instead.
"""

from __future__ import annotations

import contextlib
import logging

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, CallEnded, Skipped, Transferred
from plivo_blocks.sandbox.voice.causes import (
    END_OF_XML,
    IN_PROGRESS,
    INTERNAL_ERROR,
    RINGING,
    TIME_LIMIT,
    HangupCause,
    unanswered_cause,
)
from plivo_blocks.sandbox.voice.detection import detect
from plivo_blocks.sandbox.voice.phones import PhoneScript
from plivo_blocks.sandbox.voice.ringing import ANSWERED, ring
from plivo_blocks.sandbox.voice.verbs import run_step
from plivo_blocks.sandbox.voice.verbs.context import VerbContext
from plivo_blocks.sandbox.voice.verbs.preanswer import run_unanswered

log = logging.getLogger("plivo_blocks.sandbox.voice")


class CallLifecycle:
    def __init__(self, ctx: VerbContext) -> None:
        self._ctx = ctx

    async def run(self, call: Call) -> None:
        ctx = self._ctx
        try:
            await self._wait_in_queue(call)
            await self._ring(call)
            if call.direction == "inbound":
                instructions = await self._before_answer(call)
                if not instructions:  # the document ended before anything answered the call
                    await ctx.control.hangup(call, END_OF_XML)
                    return
                await self._answer(call)
            else:
                await self._answer(call)
                try:
                    callee = self._callee(call)
                    await detect(ctx.control, call, is_machine=callee is not None and callee.machine)
                    instructions = await self._answer_document(call)
                except Transferred as moved:  # moved before its answer XML ran
                    call.note("transferred", url=moved.url)
                    await self.follow(call, moved.url, moved.method)
                    return
            await self.execute(call, instructions)
            await ctx.control.hangup(call, END_OF_XML)
        except CallEnded:
            pass
        except Exception:
            log.exception("call %s failed in the sandbox", call.uuid)
            await ctx.control.hangup(call, INTERNAL_ERROR)

    async def _wait_in_queue(self, call: Call) -> None:
        """A call Plivo's calls-per-second queue holds stays ``queued`` until its turn."""
        now = self._ctx.clock.now()
        if call.starts_at is not None and call.starts_at > now:
            call.note("queued", until=round(call.starts_at, 3))
            await call.sleep(call.starts_at - now)

    async def _answer_document(self, call: Call) -> list[px.Instruction]:
        return await self._ctx.documents.load(
            call, call.answer_url, call.answer_method, "answer", {"Event": "StartApp"}
        )

    async def _before_answer(self, call: Call) -> list[px.Instruction]:
        """An incoming call: Plivo fetches the answer URL while it rings and answers it at the
        first element that needs an answer (see :mod:`.verbs.preanswer`)."""
        return await run_unanswered(self._ctx, call, await self._answer_document(call), run_step)

    async def _ring(self, call: Call) -> None:
        ctx, settings = self._ctx, self._ctx.settings
        call.status, call.activity = RINGING, "ringing"
        call.note("ringing")
        await ctx.control.save(call)
        call.check()
        await ctx.control.send(
            call.ring_url,
            call.ring_method,
            ctx.control.params(call, Event="Ring"),
            auth_id=call.owner,
            kind="ring",
            ref=call.uuid,
        )
        if call.hangup_on_ring is not None:
            if call.hangup_on_ring <= 0:
                await ctx.control.hangup(call, TIME_LIMIT)
                raise CallEnded
            self.hang_up_after(call, float(call.hangup_on_ring), TIME_LIMIT)
        if settings.call_hold_state == "ringing" or call.held:
            call.held, call.activity = True, "held ringing"
            with contextlib.suppress(Skipped):
                await call.park()
            call.held = False
            outcome = call.advance_to or "answered"
            if outcome != "answered":
                await ctx.control.hangup(call, unanswered_cause(outcome))
                raise CallEnded
            return
        # The callee's phone script decides how the ringing ends (an inbound caller's does not).
        # An incoming call rang Plivo's number, and Plivo takes it at once: only outbound calls ring.
        default_ring = settings.call_ring_seconds if call.direction == "outbound" else 0.0
        outcome = await ring(call, self._callee(call), default_ring, call.ring_timeout)
        if outcome != ANSWERED:
            await ctx.control.hangup(call, unanswered_cause(outcome))
            raise CallEnded

    def _callee(self, call: Call) -> PhoneScript | None:
        return self._ctx.caller.script_of(call) if call.direction == "outbound" else None

    async def _answer(self, call: Call) -> None:
        ctx = self._ctx
        call.check()
        call.status, call.activity = IN_PROGRESS, "answered"
        call.answered_at = ctx.clock.now()
        call.note("answered")
        await ctx.control.save(call)
        self.hang_up_after(call, call.time_limit, TIME_LIMIT)
        if call.send_digits:
            call.note("send_digits", digits=call.send_digits)
        if ctx.settings.call_answer_seconds > 0:
            await call.sleep(ctx.settings.call_answer_seconds)

    def hang_up_after(self, call: Call, seconds: float, cause: HangupCause) -> None:
        """A timer that hangs ``call`` up after ``seconds`` of sandbox time (cancelled at hangup)."""
        ctx = self._ctx

        def due() -> None:
            if not call.ended:
                ctx.clock.spawn(ctx.control.hangup(call, cause))

        call.timers.append(ctx.clock.call_later(seconds, due))

    async def execute(self, call: Call, instructions: list[px.Instruction]) -> None:
        """Run ``instructions``, following the documents they lead to and any transfer."""
        ctx = self._ctx
        current: list[px.Instruction] | None = instructions
        transfer: tuple[str, str] | None = None
        while True:
            try:
                if current is None:
                    assert transfer is not None
                    current = await ctx.documents.load(
                        call, transfer[0], transfer[1], "transfer", {"Event": "Transfer"}
                    )
                following: list[px.Instruction] | None = None
                for step in current:
                    following = await run_step(ctx, call, step)
                    if following is not None:
                        break
                if following is None:
                    return
                current = following
            except Transferred as moved:
                call.note("transferred", url=moved.url)
                current, transfer = None, (moved.url, moved.method)

    async def follow(self, call: Call, url: str, method: str) -> None:
        """Run the XML a call was moved to (a Dial's B leg after ``transferCall``) until its end."""
        ctx = self._ctx
        try:
            while True:
                try:
                    document = await ctx.documents.load(call, url, method, "transfer", {"Event": "Transfer"})
                    await self.execute(call, document)
                    break
                except Transferred as moved:
                    url, method = moved.url, moved.method
            await ctx.control.hangup(call, END_OF_XML)
        except CallEnded:
            pass
        except Exception:
            log.exception("call %s failed in the sandbox", call.uuid)
            await ctx.control.hangup(call, INTERNAL_ERROR)
