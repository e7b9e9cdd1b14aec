"""The in-memory side of live voice: calls being run, conferences being held, recordings being made.

Live things are runtime objects (they own tasks and events); what outlives them is persisted by
the engine as documents (call detail records, recordings). Everything here runs on the event loop:
no locks are needed, but any ``await`` is a point where another request may have changed things,
hence :meth:`Call.wait`, which races every wait against the call's interruptions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from plivo_blocks.sandbox.clock import utc_now
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


@dataclass
class Call:
    """One call from ``POST Call/`` (or a simulated inbound call) until its hangup."""

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
    initiated: datetime = field(default_factory=utc_now)
    answered: datetime | None = None
    answered_at: float | None = None  # monotonic
    media_seconds: float = 0.0
    ended: bool = False
    cause: HangupCause | None = None
    activity: str = "queued"
    blocked: bool = False  # waiting on the outside world (digits, a hold, a conference)
    waiting_for_digits: bool = False
    held: bool = False
    playing: list[str] = field(default_factory=list)
    speaking: str | None = None
    log: list[dict[str, Any]] = field(default_factory=list)

    ended_at: datetime | None = None
    duration: int = 0
    documents: int = 0  # XML documents loaded so far

    task: asyncio.Task[Any] | None = None
    timers: list[asyncio.Task[Any]] = field(default_factory=list)
    interrupt: asyncio.Event = field(default_factory=asyncio.Event)
    interruption: Interrupted | None = None
    advance_to: str | None = None
    digits: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    recordings: dict[str, ActiveRecording] = field(default_factory=dict)
    conference: str | None = None  # room name while a member
    member_id: str | None = None

    # -- time ------------------------------------------------------------------------------

    def clock(self) -> float:
        """Seconds of call so far: real time since the answer plus the media the sandbox "played"
        instantly (Speak, Play, Wait, Record run at once but count as if they took their time)."""
        if self.answered_at is None:
            return 0.0
        return self.media_seconds + (time.monotonic() - self.answered_at)

    def note(self, event: str, **details: Any) -> None:
        """Add a line to the call's log (shown by the control API)."""
        self.log.append({"event": event, "at": round(self.clock(), 3), **details})
        del self.log[:-200]

    # -- interruptions ---------------------------------------------------------------------

    def raise_interruption(self, interruption: Interrupted) -> None:
        """Make the call's task stop what it waits for (a hangup always wins over a transfer)."""
        if isinstance(self.interruption, CallEnded):
            return
        self.interruption = interruption
        self.interrupt.set()

    def check(self) -> None:
        """Raise the pending interruption, if any (consuming it unless the call ended)."""
        pending = self.interruption
        if pending is None:
            return
        if not isinstance(pending, CallEnded):
            self.interruption = None
            self.interrupt.clear()
        raise pending

    async def wait(
        self, awaitable: Awaitable[T], *, timeout: float | None = None, blocked: bool = False
    ) -> T:
        """Await ``awaitable`` unless the call is interrupted first (then raise the interruption).
        ``blocked`` marks the call as waiting on the outside world meanwhile; raises
        :class:`TimeoutError` after ``timeout`` seconds."""
        self.check()
        work = asyncio.ensure_future(awaitable)
        stop = asyncio.ensure_future(self.interrupt.wait())
        self.blocked = blocked
        try:
            done, _ = await asyncio.wait({work, stop}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.blocked = False
            stop.cancel()
            if not work.done():
                work.cancel()
        if work in done:
            return work.result()
        self.check()
        raise TimeoutError


@dataclass
class Member:
    member_id: str
    call: Call
    settings: px.Conference
    conference_uuid: str = ""
    joined_at: float = field(default_factory=time.monotonic)
    muted: bool = False
    deaf: bool = False
    playing: str | None = None
    speaking: str | None = None
    left: asyncio.Event = field(default_factory=asyncio.Event)
    leave_reason: str | None = None  # "hangup" (end the call) or "continue" (go on with the XML)


@dataclass
class Conference:
    name: str
    owner: str
    uuid: str
    started_at: float = field(default_factory=time.monotonic)
    members: dict[str, Member] = field(default_factory=dict)
    recording: ActiveRecording | None = None
    callback_url: str | None = None
    callback_method: str = "POST"
    ended: bool = False
    timer: asyncio.TimerHandle | None = None

    def clock(self) -> float:
        return time.monotonic() - self.started_at
