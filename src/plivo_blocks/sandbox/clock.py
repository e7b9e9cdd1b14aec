"""The sandbox clock: one notion of time for everything in the sandbox that waits.

Ringing, media (Speak, Play, Wait, Record), digit and speech timeouts, scheduled hangups, time
limits, the message lifecycle, webhook retries and the call queue all wait on this clock, so that
durations in CDRs, recordings and callbacks agree with it in every mode:

- ``real`` (the default of ``plivo-blocks sandbox``): sandbox time is wall time; a call with
  ``<Wait length="60"/>`` is live for a minute, as on Plivo.
- ``scaled:N``: time runs N times faster than the wall clock.
- ``manual``: time stands still until :meth:`SandboxClock.advance` moves it (tests).

**Idleness.** :meth:`SandboxClock.advance` moves time to each due timer in turn and, after each,
waits until the sandbox is *idle*: no tracked task is running. Background work is started with
:meth:`SandboxClock.spawn` (tracked); a tracked task that waits for time or for the outside world
does so through a :class:`Waiter`, which *parks* it (a parked task is not busy). Whatever ends a
wait (a timer, digits typed through the control API, a hangup) wakes the waiter synchronously, so
the task counts as busy again before anyone can look, and ``advance`` never answers while due
work is still running. Real I/O (fetching an answer URL, delivering a callback) is ordinary
``await``: the task stays busy, and ``advance`` waits for it.

Everything here runs on the event loop; nothing is thread-safe and nothing needs to be.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

__all__ = ["ClockMode", "ClockSpec", "SandboxClock", "Timer", "Waiter"]

log = logging.getLogger("plivo_blocks.sandbox.clock")

T = TypeVar("T")

#: ``scaled`` runs at most this many times faster than the wall clock.
MAX_SCALE = 100_000.0
#: The largest single move of ``advance`` (a year): enough for any call, small enough to be sane.
MAX_ADVANCE_SECONDS = 366 * 24 * 3600.0


class ClockMode(StrEnum):
    REAL = "real"
    SCALED = "scaled"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class ClockSpec:
    """A clock mode and its speed (``scale`` is 1 except in ``scaled`` mode)."""

    mode: ClockMode = ClockMode.REAL
    scale: float = 1.0

    @classmethod
    def parse(cls, text: str) -> ClockSpec:
        """``real``, ``manual`` or ``scaled:N`` (the CLI's ``--clock``); ``ValueError`` says why not."""
        mode, _, scale = text.strip().lower().partition(":")
        if mode == ClockMode.SCALED:
            return cls.of(mode, scale or None)
        if scale:
            raise ValueError(f"clock {text!r}: only scaled takes a speed, as in scaled:10")
        return cls.of(mode, None)

    @classmethod
    def of(cls, mode: Any, scale: Any) -> ClockSpec:
        """From the control API's ``{"mode", "scale"}``; ``ValueError`` names the field and the rule."""
        if mode not in tuple(ClockMode):
            raise ValueError(f"mode must be one of {', '.join(ClockMode)}")
        if ClockMode(mode) is not ClockMode.SCALED:
            if scale not in (None, 1, 1.0, "1"):
                raise ValueError("scale applies only to the scaled mode")
            return cls(ClockMode(mode))
        if scale is None:
            raise ValueError("scale is required for the scaled mode, as in scaled:10")
        try:
            value = float(scale)
        except (TypeError, ValueError):
            raise ValueError(f"scale must be a number, got {scale!r}") from None
        if isinstance(scale, bool) or not math.isfinite(value) or not 0 < value <= MAX_SCALE:
            raise ValueError(f"scale must be a number above 0 and at most {MAX_SCALE:g}")
        return cls(ClockMode.SCALED, value)

    @property
    def label(self) -> str:
        return f"scaled:{self.scale:g}" if self.mode is ClockMode.SCALED else str(self.mode)


class Timer:
    """Something to do at a moment of sandbox time. :meth:`cancel` makes it a no-op."""

    __slots__ = ("callback", "cancelled", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], object]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class WaitTimeout(TimeoutError):
    """A :class:`Waiter` reached its timeout before anything woke it."""


class Waiter(Generic[T]):
    """One wait of a task: for time, for input, or for an interruption.

    ``await waiter.wait(timeout)`` parks the task (it is not busy meanwhile) until :meth:`wake`
    gives it a value, :meth:`fail` an exception, or ``timeout`` seconds of sandbox time pass
    (:class:`WaitTimeout`). Waking is synchronous: the task is busy again at once. A waiter is
    used once; waking it again, or after its timeout, does nothing and answers ``False``.
    """

    def __init__(self, clock: SandboxClock) -> None:
        self._clock = clock
        self._future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._task: asyncio.Task[Any] | None = None

    @property
    def done(self) -> bool:
        return self._future.done()

    async def wait(self, timeout: float | None = None) -> T:
        timer = None
        if timeout is not None:
            timer = self._clock.call_later(timeout, lambda: self.fail(WaitTimeout()))
        self._task = asyncio.current_task()
        self._clock._park(self._task)
        try:
            return await self._future
        finally:
            self._clock._unpark(self._task)
            if timer is not None:
                timer.cancel()

    def wake(self, value: T) -> bool:
        if self._future.done():
            return False
        self._clock._unpark(self._task)
        self._future.set_result(value)
        return True

    def fail(self, error: BaseException) -> bool:
        if self._future.done():
            return False
        self._clock._unpark(self._task)
        self._future.set_exception(error)
        return True


class SandboxClock:
    """Sandbox time (epoch seconds), its timers, and the tracking of background work."""

    def __init__(self, spec: ClockSpec | None = None, *, start: float | None = None) -> None:
        self._spec = spec or ClockSpec()
        self._anchor_time = time.time() if start is None else start
        self._anchor_mono = time.monotonic()
        self._timers: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()
        self._tracked: set[asyncio.Task[Any]] = set()
        self._parked: set[asyncio.Task[Any]] = set()
        self._changed: asyncio.Event | None = None  # made on the loop, in start()
        self._timers_changed: asyncio.Event | None = None
        self._advancing: asyncio.Lock | None = None

    def __repr__(self) -> str:
        return f"SandboxClock({self._spec.label}, now={self.datetime().isoformat()})"

    # -- reading ---------------------------------------------------------------------------

    @property
    def spec(self) -> ClockSpec:
        return self._spec

    def now(self) -> float:
        """Sandbox time, in epoch seconds."""
        if self._spec.mode is ClockMode.MANUAL:
            return self._anchor_time
        return self._anchor_time + (time.monotonic() - self._anchor_mono) * self._spec.scale

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def describe(self) -> dict[str, Any]:
        """What ``GET /_sandbox/clock`` shows."""
        return {
            "mode": str(self._spec.mode),
            "scale": self._spec.scale,
            "now": self.datetime().isoformat(sep=" ", timespec="microseconds"),
            "epoch": round(self.now(), 6),
            "pending_timers": sum(1 for _, _, t in self._timers if not t.cancelled),
        }

    # -- changing ----------------------------------------------------------------------------

    def set_spec(self, spec: ClockSpec) -> None:
        """Change mode or speed from now on; sandbox time goes on from where it is."""
        self._reanchor(self.now())
        self._spec = spec
        self._signal_timers()

    def _reanchor(self, moment: float) -> None:
        self._anchor_time = moment
        self._anchor_mono = time.monotonic()

    # -- timers ------------------------------------------------------------------------------

    def call_at(self, deadline: float, callback: Callable[[], object]) -> Timer:
        timer = Timer(deadline, callback)
        heapq.heappush(self._timers, (deadline, next(self._order), timer))
        if self._timers[0][2] is timer:  # the driver waits for an earlier deadline otherwise
            self._signal_timers()
        return timer

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer:
        return self.call_at(self.now() + max(delay, 0.0), callback)

    def waiter(self) -> Waiter[Any]:
        return Waiter(self)

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of sandbox time (parked meanwhile)."""
        waiter: Waiter[None] = Waiter(self)
        timer = self.call_later(seconds, lambda: waiter.wake(None))
        try:
            await waiter.wait()
        finally:
            timer.cancel()

    def _next_deadline(self) -> float | None:
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def _fire_due(self) -> int:
        """Run every timer due by now (including those that due timers add); answers how many."""
        fired = 0
        while True:
            deadline = self._next_deadline()
            if deadline is None or deadline > self.now():
                return fired
            _, _, timer = heapq.heappop(self._timers)
            fired += 1
            try:
                timer.callback()
            except Exception:  # one bad timer must not stop the clock
                log.exception("sandbox timer failed")

    def _signal_timers(self) -> None:
        if self._timers_changed is not None:
            self._timers_changed.set()

    # -- tracked work --------------------------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task[Any]:
        """Run ``work`` in the background as tracked work (``advance`` waits for it)."""
        task = asyncio.get_running_loop().create_task(_logged(work), name=name)
        self._tracked.add(task)
        task.add_done_callback(self._forget)
        self._signal_change()
        return task

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._tracked.discard(task)
        self._parked.discard(task)
        self._signal_change()

    def _park(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None and task in self._tracked:
            self._parked.add(task)
            self._signal_change()

    def _unpark(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None:
            self._parked.discard(task)

    def _signal_change(self) -> None:
        if self._changed is not None:
            self._changed.set()

    @property
    def busy(self) -> int:
        """Tracked tasks running now (neither finished nor parked)."""
        return sum(1 for task in self._tracked if not task.done() and task not in self._parked)

    @property
    def tracked(self) -> int:
        return sum(1 for task in self._tracked if not task.done())

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no tracked task is running, at most ``timeout`` wall seconds; answers
        whether the sandbox got idle. Due timers are fired meanwhile."""
        changed = self._event("_changed")
        deadline = time.monotonic() + timeout
        while True:
            await asyncio.sleep(0)  # let work that was just woken or spawned start
            self._fire_due()
            if not self.busy:
                return True
            changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, 0.05))

    async def advance(self, seconds: float, *, timeout: float = 60.0) -> bool:
        """Move sandbox time ``seconds`` forward, stopping at each due timer to run it and wait
        until the sandbox is idle again. Answers whether it ended idle within ``timeout`` wall
        seconds. Works in every mode (in ``real`` and ``scaled`` it jumps ahead)."""
        if not math.isfinite(seconds) or not 0 <= seconds <= MAX_ADVANCE_SECONDS:
            raise ValueError(f"seconds must be between 0 and {MAX_ADVANCE_SECONDS:g}")
        async with self._lock():
            wall_deadline = time.monotonic() + timeout
            if not await self.wait_idle(timeout):
                return False
            target = self.now() + seconds
            while True:
                deadline = self._next_deadline()
                if deadline is None or deadline > target:
                    break
                if deadline > self.now():
                    self._reanchor(deadline)
                if not await self.wait_idle(wall_deadline - time.monotonic()):
                    return False
            if target > self.now():
                self._reanchor(target)
            return await self.wait_idle(wall_deadline - time.monotonic())

    def _lock(self) -> asyncio.Lock:
        if self._advancing is None:
            self._advancing = asyncio.Lock()
        return self._advancing

    def _event(self, name: str) -> asyncio.Event:
        event: asyncio.Event | None = getattr(self, name)
        if event is None:
            event = asyncio.Event()
            setattr(self, name, event)
        return event

    # -- running -------------------------------------------------------------------------------

    async def run(self) -> None:
        """The driver (a background task for the app's lifetime): fires timers when they fall
        due. In ``manual`` mode only timers already due fire (time moves by :meth:`advance`)."""
        self._event("_changed")
        wake = self._event("_timers_changed")
        while True:
            wake.clear()
            self._fire_due()
            deadline = self._next_deadline()
            wait: float | None = None
            if deadline is not None and self._spec.mode is not ClockMode.MANUAL:
                wait = max((deadline - self.now()) / self._spec.scale, 0.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), wait)

    async def stop(self) -> None:
        """Cancel tracked work and forget timers (the app is stopping, or the sandbox resets)."""
        tasks = [task for task in self._tracked if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._timers.clear()
        self._parked.clear()


async def _logged(work: Coroutine[Any, Any, Any]) -> None:
    # One failing piece of background work must not take the others (or the server) down.
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("sandbox background work failed")
