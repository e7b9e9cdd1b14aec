"""A live call's state: what the engine knows of a call while it runs, and how it waits.

A :class:`Call` is a dataclass: its fields are the call as Plivo shows it (uuids, numbers, status,
times on the sandbox clock) plus what the engine needs to run it (its task, timers, current wait).
What outlives it is written by the engine as its call detail record (:mod:`.cdr`).

Waiting: a call's task waits through :meth:`Call.park` (time or the outside world; the task is not
busy meanwhile, so ``POST /_sandbox/clock/advance`` can tell when the sandbox is idle) or
:meth:`Call.io` (real I/O such as fetching XML; busy). Either is cut short by an interruption
(:class:`CallEnded`, :class:`Transferred`, :class:`Skipped`), which the engine raises from outside
the call's task with :meth:`Call.raise_interruption`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from plivo_blocks.sandbox.clock import SandboxClock, Timer, Waiter, WaitTimeout
from plivo_blocks.sandbox.times import from_epoch
from plivo_blocks.sandbox.voice.amd import MachineDetection
from plivo_blocks.sandbox.voice.causes import QUEUED, HangupCause

if TYPE_CHECKING:
    from plivo_blocks.sandbox.voice.recordings import ActiveRecording

T = TypeVar("T")

#: What :meth:`Call.cut_media` wakes a media wait with (any other wake only re-arms it).
CUT_MEDIA = object()


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
    source_ip: str = ""  # where the call came from: the API client, or the inbound caller's side
    amd: MachineDetection | None = None  # machine_detection asked for by POST Call/

    status: str = QUEUED
    initiated_at: float = 0.0  # sandbox epoch seconds
    answered_at: float | None = None
    ended_at: float | None = None
    ended: bool = False
    cause: HangupCause | None = None
    activity: str = "queued"
    on_note: Callable[[Call, dict[str, Any]], None] | None = field(default=None, repr=False)
    main_auth_id: str = ""  # the owner's main account (its limits and rates apply)
    starts_at: float | None = None  # sandbox time the call leaves Plivo's queue (calls per second)
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
    heard: list[str] = field(default_factory=list)  # words the other party said, not yet read
    machine: bool | None = None  # what machine detection found (None: not analysed)
    recordings: dict[str, ActiveRecording] = field(default_factory=dict)
    conference: str | None = None  # room name while a member
    member_id: str | None = None
    media_until: float | None = None  # when the media element running now ends (sandbox epoch)
    api_media_until: float | None = None  # when audio played by the Play or Speak API ends
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
        """Add a line to the call's log (shown by the control API and the inspector), and tell
        :attr:`on_note` (the engine publishes it as an event: the console's line)."""
        entry = {"event": event, "at": round(self.seconds(), 3), **details}
        self.log.append(entry)
        del self.log[:-200]
        if self.on_note is not None:
            self.on_note(self, entry)

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

    def cut_media(self) -> bool:
        """End the media playing now (wait music, a wait sound) before its time: the room started."""
        return self.waiting_for == "media" and self.wake(CUT_MEDIA)

    async def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of sandbox time pass on the call (media, ringing), unless interrupted or
        cut short (:meth:`cut_media`).

        Audio the Play or Speak API plays holds the XML: a media element starting meanwhile starts
        after it, and one running when it starts is paused for its length (:attr:`media_until`
        moves; see :mod:`.live_media`)."""
        now = self.clock.now()
        start = max(now, self.api_media_until or now)
        self.media_until = start + seconds
        try:
            while (remaining := self.media_until - self.clock.now()) > 0:
                with contextlib.suppress(WaitTimeout):
                    if await self.park(remaining, waiting_for="media") is CUT_MEDIA:
                        return
        finally:
            self.media_until = None

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
