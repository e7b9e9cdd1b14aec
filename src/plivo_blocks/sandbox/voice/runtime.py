"""The in-memory side of live voice: calls being run, conferences being held, recordings being made.

Live things are runtime objects (they own tasks and waits); what outlives them is persisted by
the engine as documents (call detail records, recordings). Everything here runs on the event loop:
no locks are needed, but any ``await`` is a point where another request may have changed things,
hence :meth:`Call.park` and :meth:`Call.io`, which race every wait against the call's
interruptions. Time is the sandbox clock's: a call parks (is not busy) while it waits for time or
for the outside world, so ``POST /_sandbox/clock/advance`` can tell when it is idle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from plivo_blocks.sandbox.clock import SandboxClock, Timer, Waiter, WaitTimeout
from plivo_blocks.sandbox.times import from_epoch
from plivo_blocks.sandbox.voice import xml as px

T = TypeVar("T")

# Call statuses as Plivo names them.
QUEUED, RINGING, IN_PROGRESS = "queued", "ringing", "in-progress"
COMPLETED, BUSY, FAILED, NO_ANSWER, CANCELED = "completed", "busy", "failed", "no-answer", "canceled"
LIVE_STATUSES = (QUEUED, RINGING, IN_PROGRESS)


@dataclass(frozen=True)
class HangupCause:
    """Why a call ended, as Plivo reports it (name and code in CDRs and hangup callbacks)."""

    name: str
    code: int
    source: str
    sip: str = "NORMAL_CLEARING"  # the ``HangupCause`` callback parameter
    status: str | None = None  # final CallStatus when not simply completed/answered


NORMAL_API = HangupCause("Normal Hangup", 4000, "API Request")
NORMAL_XML = HangupCause("Normal Hangup", 4000, "Answer XML")
END_OF_XML = HangupCause("End Of XML Instructions", 4010, "Plivo")
CANCELED_API = HangupCause("Canceled", 1000, "API Request", "ORIGINATOR_CANCEL", CANCELED)
TIME_LIMIT = HangupCause("Scheduled Hangup", 6000, "Plivo", "ALLOTTED_TIMEOUT")
RING_TIMEOUT = HangupCause("Ring Timeout Reached", 6010, "Plivo", "NO_ANSWER", NO_ANSWER)
BUSY_LINE = HangupCause("Busy Line", 3000, "Callee", "USER_BUSY", BUSY)
NO_ANSWER_CAUSE = HangupCause("No Answer", 3020, "Callee", "NO_ANSWER", NO_ANSWER)
REJECTED = HangupCause("Rejected", 3010, "Callee", "CALL_REJECTED", BUSY)
UNREACHABLE = HangupCause("Destination Out Of Service", 2010, "Carrier", "DESTINATION_OUT_OF_ORDER", FAILED)
SANDBOX_RESTART = HangupCause("Internal Error", 5010, "Plivo", "NORMAL_CLEARING", FAILED)
INTERNAL_ERROR = SANDBOX_RESTART
URL_ERRORS = {
    "answer": HangupCause("Error Reaching Answer URL", 7011, "Error"),
    "action": HangupCause("Error Reaching Action URL", 7012, "Error"),
    "transfer": HangupCause("Error Reaching Transfer URL", 7013, "Error"),
    "redirect": HangupCause("Error Reaching Redirect URL", 7014, "Error"),
}
XML_ERRORS = {
    "answer": HangupCause("Invalid Answer XML", 8011, "Error"),
    "action": HangupCause("Invalid Action XML", 8012, "Error"),
    "transfer": HangupCause("Invalid Transfer XML", 8013, "Error"),
    "redirect": HangupCause("Invalid Redirect XML", 8014, "Error"),
}


def remote_hangup(direction: str) -> HangupCause:
    """The other party hung up (the control API's "end"): the callee of an outbound call, the caller
    of an inbound one."""
    return HangupCause("Normal Hangup", 4000, "Callee" if direction == "outbound" else "Caller")


# -- interruptions -----------------------------------------------------------------------------


class Interrupted(Exception):
    """Raised out of :meth:`Call.wait` when something outside the call's task changed its course."""


class CallEnded(Interrupted):
    """The call was hung up (its detail record is already written)."""


class Transferred(Interrupted):
    """``POST Call/{uuid}/`` moved the call to new XML."""

    def __init__(self, url: str, method: str) -> None:
        super().__init__(url)
        self.url = url
        self.method = method


class Skipped(Interrupted):
    """The control API's "advance": stop waiting (for digits, in a hold, in a conference)."""


# -- recordings ----------------------------------------------------------------------------------


@dataclass
class ActiveRecording:
    """A recording in progress. ``clock`` is a function giving the recorded thing's media seconds."""

    id: str
    owner: str
    recording_type: str  # "call" or "conference"
    file_format: str
    url: str
    call_uuid: str | None
    conference_name: str | None
    started_clock: float
    started_ms: int
    time_limit: float | None = None
    callback_url: str | None = None
    callback_method: str = "POST"
    callback_style: str = "api_call"  # api_call | api_conference | xml_record | xml_conference
    api_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


# -- calls ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class Call:
    """One call from ``POST Call/`` (or a simulated inbound call) until its hangup."""

    clock: SandboxClock = field(repr=False)
    uuid: str
    request_uuid: str
    owner: str
    direction: str
    from_: str
    to: str
    caller_name: str
    answer_url: str
    answer_method: str = "POST"
    ring_url: str | None = None
    ring_method: str = "POST"
    hangup_url: str | None = None
    hangup_method: str = "POST"
    fallback_url: str | None = None
    fallback_method: str = "POST"
    time_limit: float = 14400
    hangup_on_ring: int | None = None
    ring_timeout: int = 120
    sip_headers: dict[str, str] = field(default_factory=dict)
    parent_call_uuid: str | None = None
    send_digits: str | None = None
    public_base: str = ""
    rate: str = "0.00000"

    status: str = QUEUED
    initiated_at: float = 0.0  # sandbox epoch seconds
    answered_at: float | None = None
    ended_at: float | None = None
    ended: bool = False
    cause: HangupCause | None = None
    activity: str = "queued"
    held: bool = False
    playing: list[str] = field(default_factory=list)
    speaking: str | None = None
    log: list[dict[str, Any]] = field(default_factory=list)
    duration: int = 0
    documents: int = 0  # XML documents loaded so far

    task: asyncio.Task[Any] | None = None
    timers: list[Timer] = field(default_factory=list)
    interruption: Interrupted | None = None
    advance_to: str | None = None
    waiter: Waiter[Any] | None = None  # the call's current wait, woken by input or interruptions
    waiting_for: str | None = None  # what the current wait takes as input: "digits", or None
    typed: list[str] = field(default_factory=list)  # digits typed and not yet read
    recordings: dict[str, ActiveRecording] = field(default_factory=dict)
    conference: str | None = None  # room name while a member
    member_id: str | None = None
    _interrupted: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    # -- time ------------------------------------------------------------------------------

    @property
    def initiated(self) -> datetime:
        return from_epoch(self.initiated_at)

    @property
    def answered(self) -> datetime | None:
        return from_epoch(self.answered_at) if self.answered_at is not None else None

    @property
    def ended_time(self) -> datetime | None:
        return from_epoch(self.ended_at) if self.ended_at is not None else None

    def seconds(self) -> float:
        """Seconds since the answer, on the sandbox clock (0 before it)."""
        if self.answered_at is None:
            return 0.0
        end = self.ended_at if self.ended_at is not None else self.clock.now()
        return max(end - self.answered_at, 0.0)

    @property
    def blocked(self) -> bool:
        """Waiting on the outside world or on time (parked)."""
        return self.waiter is not None

    def note(self, event: str, **details: Any) -> None:
        """Add a line to the call's log (shown by the control API and the inspector)."""
        self.log.append({"event": event, "at": round(self.seconds(), 3), **details})
        del self.log[:-200]

    # -- interruptions ---------------------------------------------------------------------

    def raise_interruption(self, interruption: Interrupted) -> None:
        """Make the call's task stop what it waits for (a hangup always wins over a transfer)."""
        if isinstance(self.interruption, CallEnded):
            return
        self.interruption = interruption
        self._interrupted.set()
        if self.waiter is not None:
            self.waiter.fail(interruption)

    def check(self) -> None:
        """Raise the pending interruption, if any (consuming it unless the call ended)."""
        pending = self.interruption
        if pending is None:
            return
        if not isinstance(pending, CallEnded):
            self.interruption = None
            self._interrupted.clear()
        raise pending

    async def park(self, timeout: float | None = None, *, waiting_for: str | None = None) -> Any:
        """Wait (not busy) until woken by input, an interruption (raised) or ``timeout`` seconds of
        sandbox time (:class:`~plivo_blocks.sandbox.clock.WaitTimeout`)."""
        self.check()
        waiter: Waiter[Any] = self.clock.waiter()
        self.waiter, self.waiting_for = waiter, waiting_for
        try:
            return await waiter.wait(timeout)
        except Interrupted:
            self.check()  # raises the pending interruption, consuming it (unless the call ended)
            raise
        finally:
            if self.waiter is waiter:
                self.waiter, self.waiting_for = None, None

    def wake(self, value: Any = None) -> bool:
        """End the current wait with ``value`` (input arrived, a conference let the call go)."""
        return self.waiter.wake(value) if self.waiter is not None else False

    async def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of sandbox time pass on the call (media, ringing), unless interrupted."""
        try:
            await self.park(seconds)
        except WaitTimeout:
            return

    async def io(self, work: Coroutine[Any, Any, T]) -> T:
        """Run real I/O (a fetch) unless the call is interrupted first (then raise it)."""
        self.check()
        job = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self._interrupted.wait())
        try:
            await asyncio.wait({job, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not job.done():
                job.cancel()
        if job.done() and not job.cancelled():
            return job.result()
        self.check()
        raise CallEnded


@dataclass
class Member:
    member_id: str
    call: Call
    settings: px.Conference
    joined_at: float  # sandbox epoch seconds
    conference_uuid: str = ""
    muted: bool = False
    deaf: bool = False
    playing: str | None = None
    speaking: str | None = None
    left: bool = False
    leave_reason: str | None = None  # "hangup" (end the call) or "continue" (go on with the XML)


@dataclass
class Conference:
    name: str
    owner: str
    uuid: str
    clock: SandboxClock = field(repr=False)
    started_at: float  # sandbox epoch seconds
    members: dict[str, Member] = field(default_factory=dict)
    recording: ActiveRecording | None = None
    callback_url: str | None = None
    callback_method: str = "POST"
    ended: bool = False
    timer: Timer | None = None

    def seconds(self) -> float:
        return max(self.clock.now() - self.started_at, 0.0)
