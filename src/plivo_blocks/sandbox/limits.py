"""Plivo's API request limit: at most ``settings.api_requests_per_5s`` requests (300 by default) in
any 5 seconds per main account, its subaccounts' requests counting toward it.

Plivo counts every API request except those that start a call (``POST Call/``, which has its own
limit, :mod:`plivo_blocks.sandbox.call_queue`), and answers the others beyond the limit ``429 Too
Many Requests`` without carrying them out. The sandbox does the same on its clock (a sliding
window of the admitted requests' times), so a test on the manual clock sees the 301st request
refused whatever the wall clock does, and admitted again once ``POST /_sandbox/clock/advance`` has
moved time 5 s past the oldest request in the window. The answer carries ``Retry-After``: the whole
seconds of sandbox time until a request would be admitted again.

Only authenticated ``/v1`` requests count (a request that fails authentication is refused before);
the control API (``/_sandbox/...``) never counts.
"""

from __future__ import annotations

import math
from collections import deque

from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.responses import PlivoError
from plivo_blocks.sandbox.settings import SandboxSettings

__all__ = ["WINDOW_SECONDS", "RequestLimiter", "too_many_requests"]

WINDOW_SECONDS = 5.0


def too_many_requests(limit: int, retry_after: int) -> PlivoError:
    """Plivo's 429 (its body is the usual ``{"api_id", "error"}``; Plivo does not document the text)."""
    return PlivoError(
        429,
        f"too many requests: this account made {limit} API requests in the last 5 seconds, the limit; "
        f"retry after {retry_after} s",
        {"Retry-After": str(retry_after)},
    )


def counts_toward_limit(method: str, resource_path: str) -> bool:
    """Whether a request counts: everything but starting calls (``POST Call/``)."""
    return not (method.upper() == "POST" and resource_path.strip("/") == "Call")


class RequestLimiter:
    """The admitted requests of each main account in the last 5 s of sandbox time."""

    def __init__(self, clock: SandboxClock, settings: SandboxSettings) -> None:
        self._clock = clock
        self._settings = settings
        self._admitted: dict[str, deque[float]] = {}

    def __repr__(self) -> str:
        return f"RequestLimiter(limit={self._settings.api_requests_per_5s}, accounts={len(self._admitted)})"

    def admit(self, main_auth_id: str) -> None:
        """Count one request of ``main_auth_id`` or raise Plivo's 429 (the request then does not count)."""
        limit = self._settings.api_requests_per_5s
        if limit <= 0:
            return
        now = self._clock.now()
        window = self._admitted.setdefault(main_auth_id, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        while len(window) > limit:  # the limit was lowered: the oldest no longer matter
            window.popleft()
        if len(window) >= limit:
            # Free again once the request that filled the window leaves it.
            reopens = window[len(window) - limit] + WINDOW_SECONDS
            raise too_many_requests(limit, max(1, math.ceil(reopens - now)))
        window.append(now)

    def reset(self) -> None:
        self._admitted.clear()
