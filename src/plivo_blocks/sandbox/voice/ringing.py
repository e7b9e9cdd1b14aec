"""How long a phone rings and how the ringing ends, from the called number's script (:mod:`.phones`).

================  ==========================================================================
script answer     the ringing ends
================  ==========================================================================
``answer``        answered after ``after_seconds`` (default: ``settings.call_ring_seconds``)
``busy``          busy after ``after_seconds`` (default 0: the line is busy at once)
``reject``        rejected after ``after_seconds`` (default 0)
``no-answer``     never: the phone rings until the caller gives up (``ring_timeout`` of
                  ``makeCall``, Dial's ``timeout``), which ends it as ``ring-timeout``
================  ==========================================================================

When the caller's limit comes first, the outcome is ``ring-timeout`` whatever the script says.
The control API's "advance" (``POST /_sandbox/calls/{uuid}/advance`` with ``to``) ends a ringing
phone at once with the outcome it names.
"""

from __future__ import annotations

from plivo_blocks.sandbox.voice.call import Call, Skipped
from plivo_blocks.sandbox.voice.phones import PhoneScript

__all__ = ["ANSWERED", "RING_TIMEOUT", "ring"]

ANSWERED, RING_TIMEOUT = "answered", "ring-timeout"
_OUTCOMES = {"answer": ANSWERED, "busy": "busy", "reject": "rejected", "no-answer": RING_TIMEOUT}


def plan(script: PhoneScript | None, default_ring: float) -> tuple[float | None, str]:
    """Seconds of ringing before the phone's own outcome (``None``: it rings on) and that outcome."""
    if script is None:
        return default_ring, ANSWERED
    outcome = _OUTCOMES[script.answer]
    if outcome == RING_TIMEOUT:
        return None, RING_TIMEOUT
    if script.after_seconds is not None:
        return script.after_seconds, outcome
    return (default_ring if outcome == ANSWERED else 0.0), outcome


async def ring(call: Call, script: PhoneScript | None, default_ring: float, limit: float | None) -> str:
    """Let ``call`` ring as its callee's script says, for at most ``limit`` seconds (``None``: no limit
    of the caller's). Answers ``answered``, ``busy``, ``rejected``, ``ring-timeout`` or an advance
    target of the control API."""
    seconds, outcome = plan(script, default_ring)
    if seconds is None or (limit is not None and limit < seconds):
        seconds, outcome = limit, RING_TIMEOUT
    try:
        if seconds is None:
            await call.park(waiting_for="ringing")
        elif seconds > 0:
            await call.sleep(seconds)
    except Skipped:
        return call.advance_to or ANSWERED
    return outcome
