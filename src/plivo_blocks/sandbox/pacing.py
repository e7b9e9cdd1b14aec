"""Pacing: at most N starts per period for each key, in the order they were asked for.

Plivo's throughputs are rates (2 calls per second, 5 messages per second, one message every four
seconds): "if a user has an allocated outbound limit of 5 MPS and places 10 API messages in a
second, the first 5 messages will be dispatched simultaneously, and the remaining 5 messages will
be queued and executed during the next available MPS interval". :class:`Pacer` gives each request
its start time on the sandbox clock accordingly: a rate of ``r`` per second allows ``r`` starts in
any second when ``r >= 1`` (rounded), and one start every ``1 / r`` seconds below that.
"""

from __future__ import annotations

from collections import deque

__all__ = ["Pacer"]


def _allowance(per_second: float) -> tuple[int, float]:
    """(starts, in seconds) for a rate."""
    if per_second >= 1:
        return max(1, round(per_second)), 1.0
    return 1, 1.0 / per_second


class Pacer:
    """The most recent start times of each key (as many as its allowance counts)."""

    def __init__(self) -> None:
        self._starts: dict[str, deque[float]] = {}

    def __repr__(self) -> str:
        return f"Pacer(keys={len(self._starts)})"

    def peek(self, key: str, earliest: float, per_second: float) -> float:
        """When a start of ``key`` asked for at ``earliest`` would be (nothing is reserved)."""
        if per_second <= 0:
            return earliest
        count, period = _allowance(per_second)
        starts = self._starts.get(key, deque())
        start = max(earliest, starts[-1]) if starts else earliest  # never before an earlier one
        if len(starts) >= count and starts[-count] > start - period:
            start = starts[-count] + period  # the period before is full: wait for a place in it
        return start

    def take(self, key: str, earliest: float, per_second: float) -> float:
        """Reserve the start :meth:`peek` answers, and answer it."""
        start = self.peek(key, earliest, per_second)
        if per_second > 0:
            count, _ = _allowance(per_second)
            starts = self._starts.get(key)
            if starts is None or starts.maxlen != count:  # new, or the rate changed
                starts = self._starts[key] = deque(starts or (), maxlen=count)
            starts.append(start)
        return start

    def reset(self) -> None:
        self._starts.clear()
