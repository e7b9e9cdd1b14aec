"""Dial legs: the typed state of a ``<Dial>`` while it runs.

A B leg is a real :class:`~.call.Call`: its own ``call_uuid`` and request UUID, ``parent_call_uuid``
set to the A leg, listed among live calls while it rings and talks, hung up through
``VoiceEngine.hangup`` like any call (so it leaves a call detail record, billed from its own answer).
What only a Dial needs (which ``<Number>`` or ``<User>`` it rings, its position, whether it rang, the
keys its party pressed) is kept beside the call in a :class:`DialLeg`, and the whole attempt (the A
leg, the legs, the winner, how the bridge ended) in a :class:`DialAttempt`. B legs run no XML of
their own unless ``transferCall`` moves them (``legs=bleg`` or ``both``), after which they are
ordinary calls.

Hangup causes of B legs that Plivo's hangup-cause reference does not name for this case are the
sandbox's choices (see the README's coverage table): a leg that loses a simultaneous dial is
``Canceled`` with the SIP cause ``LOSE_RACE`` (FreeSWITCH's, which Plivo's Dial is built on); a leg
whose caller left is hung up with source ``Caller``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from plivo_blocks.sandbox.clock import Timer
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.causes import BUSY, CANCEL, COMPLETED, FAILED, NO_ANSWER, HangupCause

__all__ = [
    "CALLER_CANCEL",
    "CALLER_GONE",
    "LOST_RACE",
    "DialAttempt",
    "DialLeg",
    "LegState",
    "dial_status",
]

#: A ringing leg cancelled because the A leg hung up (or was moved) first.
CALLER_CANCEL = HangupCause("Canceled", 1000, "Caller", "ORIGINATOR_CANCEL", CANCEL)
#: A ringing or answered leg that lost the race to another target of the same Dial.
LOST_RACE = HangupCause("Canceled", 1000, "Plivo", "LOSE_RACE", CANCEL)
#: A connected leg hung up because its caller left the bridge (hung up, pressed *, was moved).
CALLER_GONE = HangupCause("Normal Hangup", 4000, "Caller")

#: DialStatus by the final status of a leg that did not connect (Plivo's DialStatus values).
_DIAL_STATUS = {
    BUSY: "busy",
    NO_ANSWER: "no-answer",
    FAILED: "failed",
    CANCEL: "cancel",
    COMPLETED: "completed",
}


def dial_status(cause: HangupCause | None) -> str:
    """Plivo's ``DialStatus`` for a Dial whose last leg ended with ``cause`` without connecting
    (``None``: no leg ended; the caller stopped the Dial first)."""
    if cause is None:
        return "cancel"
    return _DIAL_STATUS.get(cause.status or COMPLETED, "failed")


class LegState(StrEnum):
    RINGING = "ringing"
    CONFIRMING = "confirming"  # answered; confirmSound playing, waiting for confirmKey
    CONNECTED = "connected"
    ENDED = "ended"


@dataclass(eq=False)
class DialLeg:
    call: Call  # the B leg: a real call whose parent is the A leg
    target: px.DialNumber | px.DialUser
    position: int  # 1-based place of its <Number>/<User> in the Dial (DialBLegPosition)
    attempt: DialAttempt = field(repr=False)
    state: LegState = LegState.RINGING
    rang: bool = False
    transferred: bool = False  # moved by transferCall: it leaves the bridge alive
    keys: str = ""  # keys its party pressed while connected (digitsMatchBLeg)

    @property
    def to(self) -> str:
        return self.target.number if isinstance(self.target, px.DialNumber) else self.target.uri


@dataclass(eq=False)
class DialAttempt:
    aleg: Call
    dial: px.Dial
    legs: list[DialLeg] = field(default_factory=list)
    winner: DialLeg | None = None
    last_ended: DialLeg | None = None  # the leg that ended last without connecting
    bridged_at: float | None = None
    keys: str = ""  # keys the A leg pressed while connected (hangupOnStar, digitsMatch)
    limit: Timer | None = None  # timeLimit of the connected bridge

    @property
    def ringing(self) -> list[DialLeg]:
        return [leg for leg in self.legs if leg.state in (LegState.RINGING, LegState.CONFIRMING)]

    @property
    def over(self) -> bool:
        """Nothing more can happen: the winner's bridge ended, or every leg ended unconnected."""
        if self.winner is not None:
            return self.winner.state is LegState.ENDED or self.winner.transferred
        return all(leg.state is LegState.ENDED for leg in self.legs)
