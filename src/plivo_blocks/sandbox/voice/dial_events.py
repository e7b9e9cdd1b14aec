"""What a ``<Dial>`` tells the outside world: its ``callbackUrl`` events, and the media documents it
fetches (``confirmSound``, ``dialMusic``).

``callbackUrl`` gets, for each event, the A leg's request parameters (``CallUUID`` is the A leg's)
and ``Event`` (``DialAnswer``, ``DialConnected``, ``DialHangup``, ``DialDigitsMatch``),
``DialAction`` (``answer``, ``connected``, ``hangup``, ``digits``), ``DialALegUUID``,
``DialBLegUUID``, ``DialBLegStatus``, ``DialBLegFrom``, ``DialBLegTo``, ``DialBLegPosition``; a
hangup adds ``DialBLegDuration``, ``DialBLegBillDuration`` (billed seconds, by the minute as Plivo
bills), ``DialBLegTotalCost``, ``DialBLegBillRate``, ``DialBLegHangupCause`` (SIP style),
``DialBLegHangupCauseName``, ``DialBLegHangupCauseCode`` and ``DialBLegHangupSource``; a digits
match adds ``DialDigitsMatch`` and ``DialDigitsPressedBy`` (``ALeg`` or ``BLeg``). These are the
parameters of Plivo's XML reference (plivo.com/docs/voice/xml/routing, "Dial Callback URL
Parameters"), with the ``Event`` names of Plivo's hangup-cause reference ("DialHangup events").
"""

from __future__ import annotations

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.cdr import amounts
from plivo_blocks.sandbox.voice.legs import CALLER_GONE, DialAttempt, DialLeg
from plivo_blocks.sandbox.voice.services import CallControl
from plivo_blocks.sandbox.webhooks import Callback, FetchFailed, Outbox

__all__ = ["DialEvents"]

_EVENTS = {
    "answer": "DialAnswer",
    "connected": "DialConnected",
    "hangup": "DialHangup",
    "digits": "DialDigitsMatch",
}


class DialEvents:
    def __init__(self, control: CallControl, outbox: Outbox) -> None:
        self._control = control
        self._outbox = outbox

    async def send(self, attempt: DialAttempt, leg: DialLeg, action: str, **extra: str) -> None:
        """One ``callbackUrl`` event (``DialAction`` ``action``) about ``leg``."""
        dial = attempt.dial
        if dial.callback_url is None:
            return
        params = {
            **self._control.params(attempt.aleg),
            "Event": _EVENTS[action],
            "DialAction": action,
            "DialALegUUID": attempt.aleg.uuid,
            "DialBLegUUID": leg.call.uuid,
            "DialBLegStatus": action,
            "DialBLegFrom": leg.call.from_,
            "DialBLegTo": leg.call.to,
            "DialBLegPosition": str(leg.position),
            **extra,
        }
        await self._control.send(
            dial.callback_url,
            dial.callback_method,
            params,
            auth_id=attempt.aleg.owner,
            kind="dial_callback",
            ref=attempt.aleg.uuid,
        )

    async def hung_up(self, attempt: DialAttempt, leg: DialLeg) -> None:
        """``DialHangup``, with how the B leg ended and what it cost."""
        call = leg.call
        cause = call.cause or CALLER_GONE
        billed = amounts(call)
        await self.send(
            attempt,
            leg,
            "hangup",
            DialBLegDuration=str(call.duration),
            DialBLegBillDuration=str(billed["billed_duration"]),
            DialBLegTotalCost=str(billed["total_amount"]),
            DialBLegBillRate=call.rate,
            DialBLegHangupCause=cause.sip,
            DialBLegHangupCauseName=cause.name,
            DialBLegHangupCauseCode=str(cause.code),
            DialBLegHangupSource=cause.source,
        )

    async def media(self, call: Call, url: str, kind: str) -> list[px.Prompt]:
        """The Play, Speak and Wait of the XML at ``url`` (fetched with POST, as Plivo fetches
        confirmSound and dialMusic; its other elements are ignored, as Plivo documents); nothing
        when it cannot be fetched or read (the call's log says why)."""
        callback = Callback.of(
            url, "POST", self._control.params(call), auth_id=call.owner, kind=kind, ref=call.uuid
        )
        try:
            result = await call.io(self._outbox.fetch(callback))
            if not result.ok:
                raise FetchFailed(f"HTTP {result.status}", result.status)
            instructions = px.parse(result.body)
        except (FetchFailed, px.InvalidXML) as exc:
            call.note(f"{kind}_failed", url=url, error=str(exc))
            return []
        return [step for step in instructions if isinstance(step, px.Speak | px.Play | px.Wait)]
