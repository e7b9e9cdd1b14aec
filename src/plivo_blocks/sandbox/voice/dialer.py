"""Running ``<Dial>``: B legs that ring, answer, confirm, connect and hang up on the sandbox clock.

:meth:`Dialer.dial` runs in the A leg's task. It opens one B leg per ``<Number>``/``<User>`` (real
calls, see :mod:`.legs`), each run by its own tracked task (:meth:`Dialer._run_leg`), and parks the A
leg until the attempt is over:

1. **Ringing**: every leg rings at once, as its number's phone script says (:mod:`.ringing`), for at
   most Dial's ``timeout``. A leg that is busy, rejects or is not answered ends (``callbackUrl``
   gets ``DialHangup``).
2. **Answer**: ``callbackUrl`` gets ``DialAnswer``; ``sendDigits`` of its target are played to it.
   With ``confirmSound`` the leg hears that document's Play/Speak/Wait (the other elements are
   ignored, as Plivo documents); with ``confirmKey`` its party must then press that key within
   ``confirmTimeout`` seconds, or the leg is hung up and the others ring on.
3. **Connected**: the first leg to get there wins; the other legs are cancelled (``LOSE_RACE``, no
   callback, as in Plivo's own Dial). ``callbackUrl`` gets ``DialConnected``; ``timeLimit`` starts.
   The caller's ``*`` ends the bridge with ``hangupOnStar``; keys matching ``digitsMatch`` (caller)
   or ``digitsMatchBLeg`` (callee) send ``DialDigitsMatch`` (``DialDigitsPressedBy`` ``ALeg`` or
   ``BLeg``). A pattern matches when the keys pressed since the last match end with it.
4. **End**: when the connected leg hangs up (its party, ``hangupSingleCall``, ``timeLimit``, ``*``)
   or every leg ended unconnected, :meth:`dial` answers Plivo's action parameters (``DialStatus``,
   ``DialRingStatus``, ``DialHangupCause``, ``DialALegUUID``, ``DialBLegUUID``) and the A leg goes
   on. Without a winner, the status and cause are those of the leg that ended last.

The A leg hanging up ends every leg and notifies ``action`` (``DialStatus`` ``completed`` after a
connection, ``cancel`` before). A transfer of the A leg (``legs=aleg``) hangs its B leg up; a
transfer of the B leg (``legs=bleg``/``both``) takes it out of the bridge to run its own XML, and the
A leg goes on. ``dialMusic`` (a URL returning Play/Speak/Wait, or ``real``) is what the caller hears
while the legs ring: fetched and shown in the call's log.

What ``callbackUrl`` gets, and how the media documents are fetched: :mod:`.dial_events`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from plivo_blocks.sandbox.clock import WaitTimeout
from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, CallEnded, Skipped, Transferred
from plivo_blocks.sandbox.voice.caller import CallerInput
from plivo_blocks.sandbox.voice.causes import (
    IN_PROGRESS,
    INTERNAL_ERROR,
    NO_ANSWER,
    RINGING,
    TIME_LIMIT,
    HangupCause,
    unanswered_cause,
)
from plivo_blocks.sandbox.voice.cdr import rate_for
from plivo_blocks.sandbox.voice.dial_events import DialEvents
from plivo_blocks.sandbox.voice.legs import (
    CALLER_CANCEL,
    CALLER_GONE,
    LOST_RACE,
    DialAttempt,
    DialLeg,
    LegState,
    dial_status,
)
from plivo_blocks.sandbox.voice.ringing import ANSWERED, plan, ring
from plivo_blocks.sandbox.voice.services import CallControl
from plivo_blocks.sandbox.voice.xml.elements.dial import sip_headers
from plivo_blocks.sandbox.webhooks import Outbox

__all__ = ["Dialer", "Play"]

log = logging.getLogger("plivo_blocks.sandbox.voice")

#: Plays one prompt on a call (the media runner, handed in by the Dial runner).
Play = Callable[[Call, px.Prompt], Awaitable[object]]
#: Runs a moved call's new XML to its end (the engine hands in the call lifecycle's).
Follow = Callable[[Call, str, str], Awaitable[None]]

#: A connected leg whose party did not press confirmKey in time.
CONFIRM_TIMEOUT = HangupCause("No Answer", 3020, "Plivo", "NO_ANSWER", NO_ANSWER)


class Dialer:
    def __init__(
        self,
        control: CallControl,
        caller: CallerInput,
        outbox: Outbox,
        settings: SandboxSettings,
        follow: Follow,
    ) -> None:
        self._control = control
        self._caller = caller
        self._events = DialEvents(control, outbox)
        self._settings = settings
        self._follow = follow
        self.attempts: dict[str, DialAttempt] = {}  # by A-leg call_uuid, while its Dial runs
        self.legs: dict[str, DialLeg] = {}  # by B-leg call_uuid, while it is in its Dial

    def __repr__(self) -> str:
        return f"Dialer(dials={len(self.attempts)}, legs={len(self.legs)})"

    def clear(self) -> None:
        self.attempts.clear()
        self.legs.clear()

    # -- lookups (routes) --------------------------------------------------------------------

    def partner(self, call: Call) -> Call | None:
        """The other leg of ``call``'s connected bridge, if it is in one."""
        attempt = self.attempts.get(call.uuid)
        if attempt is not None and attempt.winner is not None:
            winner = attempt.winner
            return winner.call if winner.state is LegState.CONNECTED and not winner.transferred else None
        leg = self.legs.get(call.uuid)
        if leg is not None and leg.state is LegState.CONNECTED and not leg.transferred:
            return leg.attempt.aleg
        return None

    def release(self, call: Call) -> None:
        """``call`` is about to be transferred: a B leg leaves its Dial alive instead of being hung up."""
        leg = self.legs.get(call.uuid)
        if leg is not None:
            leg.transferred = True

    # -- the A leg ---------------------------------------------------------------------------

    async def dial(self, call: Call, step: px.Dial, play: Play) -> dict[str, str]:
        """Run ``step`` for ``call`` (the A leg) until it is over; answer the action parameters."""
        attempt = DialAttempt(call, step)
        self.attempts[call.uuid] = attempt
        try:
            await self._music(call, step)
            for position, target in enumerate(step.targets, 1):
                attempt.legs.append(await self._open_leg(attempt, target, position))
            for leg in attempt.legs:
                leg.call.task = self._control.clock.spawn(
                    self._run_leg(leg, play), name=f"leg {leg.call.uuid}"
                )
            while not attempt.over:
                await self._caller_keys(attempt)
                if attempt.over:
                    break
                call.activity = "connected" if attempt.winner else "dialing"
                await call.park(waiting_for="dial")
        except CallEnded:
            await self._abandon(attempt)
            await self._notify_action(attempt)
            raise
        except Transferred:
            await self._abandon(attempt)
            raise
        except Skipped:  # the control API's advance: stop dialing, go on with the XML
            await self._abandon(attempt)
        finally:
            self.attempts.pop(call.uuid, None)
            if attempt.limit is not None:
                attempt.limit.cancel()
        call.activity = "answered"
        return self._result(attempt)

    async def _abandon(self, attempt: DialAttempt) -> None:
        """The A leg left: end every leg still in the Dial (a transferred one lives on)."""
        for leg in attempt.legs:
            if leg.call.ended or leg.transferred:
                continue
            ringing = leg.state is LegState.RINGING
            await self._control.hangup(leg.call, CALLER_CANCEL if ringing else CALLER_GONE)

    async def _notify_action(self, attempt: DialAttempt) -> None:
        """The A leg hung up during the Dial: ``action`` is told (no XML can run any more)."""
        dial = attempt.dial
        if dial.action is None:
            return
        params = self._result(attempt)
        if attempt.winner is None:
            params.update(DialStatus="cancel", DialHangupCause="ORIGINATOR_CANCEL")
        await self._control.send(
            dial.action,
            dial.method,
            {**self._control.params(attempt.aleg), **params},
            auth_id=attempt.aleg.owner,
            kind="action",
            ref=attempt.aleg.uuid,
        )

    def _result(self, attempt: DialAttempt) -> dict[str, str]:
        winner = attempt.winner
        if winner is not None:  # connected: how the bridge ended (a moved leg ended it normally)
            cause = winner.call.cause if winner.call.ended else None
            status, hangup_cause = "completed", cause.sip if cause is not None else "NORMAL_CLEARING"
        else:  # the last leg to end, or the caller stopping the Dial before any did
            last = attempt.last_ended
            cause = last.call.cause if last is not None else None
            status, hangup_cause = dial_status(cause), cause.sip if cause is not None else "ORIGINATOR_CANCEL"
        return {
            "DialStatus": status,
            "DialRingStatus": "true" if any(leg.rang for leg in attempt.legs) else "false",
            "DialHangupCause": hangup_cause,
            "DialALegUUID": attempt.aleg.uuid,
            "DialBLegUUID": winner.call.uuid if winner is not None else "",
        }

    async def _caller_keys(self, attempt: DialAttempt) -> None:
        """Keys the caller pressed: ``*`` with hangupOnStar, digitsMatch (only while connected)."""
        call, dial, winner = attempt.aleg, attempt.dial, attempt.winner
        keys = "".join(call.typed)
        call.typed.clear()
        if not keys or winner is None or winner.state is not LegState.CONNECTED:
            return
        for key in keys:
            if dial.hangup_on_star and key == "*":
                call.note("dial_hangup_on_star", bleg=winner.call.uuid)
                await self._control.hangup(winner.call, CALLER_GONE)
                return
            attempt.keys = await self._match(attempt, winner, attempt.keys + key, dial.digits_match, "ALeg")

    async def _match(
        self, attempt: DialAttempt, leg: DialLeg, keys: str, patterns: str | None, by: str
    ) -> str:
        """Send ``DialDigitsMatch`` when ``keys`` end with a pattern; answers the keys still pending."""
        for pattern in (patterns or "").split(","):
            if pattern and keys.endswith(pattern):
                await self._events.send(
                    attempt, leg, "digits", DialDigitsMatch=pattern, DialDigitsPressedBy=by
                )
                return ""
        return keys[-64:]

    async def _music(self, call: Call, step: px.Dial) -> None:
        if step.dial_music is None or step.dial_music == "real":
            call.note("dial_ringback", music=step.dial_music or "ringing tone")
            return
        prompts = await self._events.media(call, step.dial_music, "dial_music")
        call.note("dial_music", url=step.dial_music, media=[type(p).__name__ for p in prompts])

    # -- the B legs ----------------------------------------------------------------------------

    async def _open_leg(
        self, attempt: DialAttempt, target: px.DialNumber | px.DialUser, position: int
    ) -> DialLeg:
        aleg, dial = attempt.aleg, attempt.dial
        to = target.number if isinstance(target, px.DialNumber) else target.uri
        headers = sip_headers(dial.sip_headers or "")
        if isinstance(target, px.DialUser):
            headers.update(sip_headers(target.sip_headers or ""))
        clock = self._control.clock
        bcall = Call(
            clock=clock,
            uuid=new_uuid(),
            request_uuid=new_uuid(),
            owner=aleg.owner,
            direction="outbound",
            from_=(dial.caller_id or aleg.from_).lstrip("+"),
            to=to,
            caller_name=dial.caller_name or aleg.caller_name,
            answer_url="",
            time_limit=float(dial.time_limit),
            sip_headers=headers,
            parent_call_uuid=aleg.uuid,
            public_base=aleg.public_base,
            rate=rate_for("outbound", to),
            initiated_at=clock.now(),
        )
        leg = DialLeg(call=bcall, target=target, position=position, attempt=attempt)
        self.legs[bcall.uuid] = leg
        await self._control.register(bcall)
        aleg.note("dial_leg", bleg=bcall.uuid, to=to, position=position)
        return leg

    async def _run_leg(self, leg: DialLeg, play: Play) -> None:
        try:
            await self._live_leg(leg, play)
        except CallEnded:
            pass
        except Transferred as moved:
            await self._left_bridge(leg)
            await self._follow(leg.call, moved.url, moved.method)
            return
        except Exception:  # the leg must end, or its caller would wait for it forever
            log.exception("dial leg %s failed in the sandbox", leg.call.uuid)
            await self._control.hangup(leg.call, INTERNAL_ERROR)
        await self._leg_ended(leg)

    async def _live_leg(self, leg: DialLeg, play: Play) -> None:
        """Ring, answer, confirm, connect; returns (or raises ``CallEnded``) once the leg ended."""
        call, attempt = leg.call, leg.attempt
        outcome = await self._ring(leg)
        if outcome != ANSWERED:
            await self._control.hangup(call, unanswered_cause(outcome))
            return
        await self._answer(leg)
        if not await self._confirm(leg, play):
            await self._control.hangup(call, CONFIRM_TIMEOUT)
            return
        if attempt.winner is not None or attempt.aleg.ended:
            await self._control.hangup(call, LOST_RACE)
            return
        await self._connect(leg)
        while True:  # connected until the leg ends (CallEnded) or is moved (Transferred)
            with contextlib.suppress(Skipped):  # advance: nothing to move past while connected
                await call.park(waiting_for="dial")
            await self._callee_keys(leg)

    async def _ring(self, leg: DialLeg) -> str:
        call, target = leg.call, leg.target
        call.status, call.activity = RINGING, "ringing"
        call.note("ringing", dial=leg.attempt.aleg.uuid)
        await self._control.save(call)
        if target.send_digits and target.send_on_preanswer:
            call.note("dtmf_sent", digits=target.send_digits, preanswer=True)
        script = self._caller.script_of(call)
        seconds, outcome = plan(script, self._settings.call_ring_seconds)
        leg.rang = seconds is None or seconds > 0 or outcome == ANSWERED
        return await ring(call, script, self._settings.call_ring_seconds, leg.attempt.dial.ring_limit)

    async def _answer(self, leg: DialLeg) -> None:
        call, target = leg.call, leg.target
        call.status, call.activity = IN_PROGRESS, "answered"
        call.answered_at = self._control.clock.now()
        call.note("answered")
        await self._control.save(call)
        await self._events.send(leg.attempt, leg, "answer")
        if target.send_digits and not target.send_on_preanswer:
            call.note("dtmf_sent", digits=target.send_digits)

    async def _confirm(self, leg: DialLeg, play: Play) -> bool:
        """confirmSound to the callee, then confirmKey within confirmTimeout; answers whether the leg
        may connect."""
        call, dial = leg.call, leg.attempt.dial
        if dial.confirm_sound is None:
            return True
        leg.state = LegState.CONFIRMING
        call.activity = "confirming"
        try:
            return await self._confirmed(leg, play)
        except Skipped:  # the control API's advance: the callee accepts
            call.note("confirmed", key="advance")
            return True

    async def _confirmed(self, leg: DialLeg, play: Play) -> bool:
        call, dial = leg.call, leg.attempt.dial
        for prompt in await self._events.media(call, dial.confirm_sound or "", "confirm_sound"):
            await play(call, prompt)
        if not dial.confirm_key:
            return True
        call.typed.clear()
        scripted = self._caller.expect(call, keys=True)
        try:
            while True:
                if dial.confirm_key in "".join(call.typed):
                    call.note("confirmed", key=dial.confirm_key)
                    return True
                call.typed.clear()
                await call.park(dial.confirm_timeout, waiting_for="confirm")
        except WaitTimeout:
            call.note("not_confirmed", key=dial.confirm_key)
            return False
        finally:
            for timer in scripted:
                timer.cancel()

    async def _connect(self, leg: DialLeg) -> None:
        """``leg`` wins: the others are cancelled, the bridge starts, timeLimit runs."""
        attempt, call, clock = leg.attempt, leg.call, self._control.clock
        attempt.winner, leg.state = leg, LegState.CONNECTED
        attempt.bridged_at = clock.now()
        call.activity = "connected"
        call.typed.clear()
        attempt.aleg.note("dial_connected", bleg=call.uuid, to=call.to)
        self._wake_caller(attempt)
        for other in attempt.legs:
            if other is not leg and not other.call.ended:
                await self._control.hangup(other.call, LOST_RACE)

        def time_up() -> None:
            if not call.ended:
                clock.spawn(self._control.hangup(call, TIME_LIMIT))

        attempt.limit = clock.call_later(attempt.dial.time_limit, time_up)
        call.timers.append(attempt.limit)
        await self._events.send(attempt, leg, "connected")

    async def _callee_keys(self, leg: DialLeg) -> None:
        keys = "".join(leg.call.typed)
        leg.call.typed.clear()
        for key in keys:
            leg.keys = await self._match(
                leg.attempt, leg, leg.keys + key, leg.attempt.dial.digits_match_b_leg, "BLeg"
            )

    async def _left_bridge(self, leg: DialLeg) -> None:
        """A transfer took the leg out of its Dial: it is an ordinary call from now on."""
        self.legs.pop(leg.call.uuid, None)
        if leg.attempt.limit is not None and leg is leg.attempt.winner:
            leg.attempt.limit.cancel()
        leg.call.note("left_dial", aleg=leg.attempt.aleg.uuid)
        self._wake_caller(leg.attempt)

    async def _leg_ended(self, leg: DialLeg) -> None:
        attempt = leg.attempt
        leg.state = LegState.ENDED
        self.legs.pop(leg.call.uuid, None)
        if leg is not attempt.winner:
            attempt.last_ended = leg
        if leg.call.cause is not LOST_RACE:
            await self._events.hung_up(attempt, leg)
        self._wake_caller(attempt)

    def _wake_caller(self, attempt: DialAttempt) -> None:
        """Something changed in the Dial: the A leg looks again, if it still waits in this Dial (a
        wake must never cut short whatever the A leg does after it)."""
        if self.attempts.get(attempt.aleg.uuid) is attempt and attempt.aleg.waiting_for == "dial":
            attempt.aleg.wake("dial")
