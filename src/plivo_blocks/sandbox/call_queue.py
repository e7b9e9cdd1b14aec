"""Plivo's calls per second: when each outbound call may start.

Plivo accepts every ``POST Call/`` at once, queues the calls, and starts them at the account's calls
per second (CPS, 2 by default): "All outbound Call API requests are queued upon acceptance, then
dequeued and initiated as per the calls per second (CPS) configured for your Plivo account". A
queued call shows as Plivo shows it (``call_status`` ``queued``, ``GET Call/?status=queued``) until
its turn. :meth:`CallQueue.admit` gives each call its start time on the sandbox clock, in the order
the calls were made: at most ``settings.calls_per_second`` calls start in any second, so with the
default the third call made in one second starts a second later. The limit is per main account,
its subaccounts' calls counting toward it (as for the API request limit). Inbound calls are not
paced.
"""

from __future__ import annotations

from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.pacing import Pacer
from plivo_blocks.sandbox.settings import SandboxSettings

__all__ = ["CallQueue"]


class CallQueue:
    """The start times given to each main account's calls (:class:`~plivo_blocks.sandbox.pacing.Pacer`)."""

    def __init__(self, clock: SandboxClock, settings: SandboxSettings) -> None:
        self._clock = clock
        self._settings = settings
        self._pacer = Pacer()

    def __repr__(self) -> str:
        return f"CallQueue(cps={self._settings.calls_per_second})"

    def admit(self, main_auth_id: str) -> float:
        """The sandbox time at which the next call of ``main_auth_id`` may start (now, or later when
        ``calls_per_second`` calls already start within a second of it), reserved for that call."""
        return self._pacer.take(main_auth_id, self._clock.now(), self._settings.calls_per_second)

    def reset(self) -> None:
        self._pacer.reset()
