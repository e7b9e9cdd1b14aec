"""Behaviour knobs of the sandbox: lifecycle timings, holds, and Plivo's limits.

Timings are seconds of sandbox time (:mod:`plivo_blocks.sandbox.clock`): in ``manual`` mode they
pass only when the clock is advanced, so tests stay deterministic whatever the delays.

The defaults are Plivo's, so that what would be throttled, queued or slow on Plivo is so locally
first: 300 API requests per 5 s per main account, 2 calls per second, 5 SMS (and 0.25 MMS) per
second per account, each sender number's own throughput, and a message that is ``sent`` about a
second after it is queued and ``delivered`` two seconds later. For the limits, 0 means no limit.

The settings object is mutable on purpose: the control API (``PATCH /_sandbox/settings``)
changes it while the sandbox runs, through :meth:`SandboxSettings.apply`, which checks field
names and types. ``/_sandbox/reset`` restores the values the app was created with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MESSAGE_HOLD_STATES = ("queued", "sent")
CALL_HOLD_STATES = ("ringing",)


@dataclass
class SandboxSettings:
    # -- Messages ----------------------------------------------------------------------------
    #: Seconds a new outbound message stays ``queued`` before it is ``sent`` (at least: a sender's
    #: throughput may keep it queued longer). Plivo dispatches within about a second.
    message_queued_seconds: float = 1.0
    #: Seconds a message stays ``sent`` before the carrier's delivery report makes it ``delivered``.
    message_sent_seconds: float = 2.0
    #: When set (``queued`` or ``sent``), new outbound messages stop in that state until the
    #: control API gives them a final state or releases the hold.
    message_hold_state: str | None = None

    #: Outbound SMS the account dispatches per second (Plivo's default MPS is 5); subaccounts
    #: share their main account's. 0: no limit.
    messages_per_second: float = 5.0
    #: Outbound MMS the account dispatches per second (Plivo's default is 0.25). 0: no limit.
    mms_per_second: float = 0.25
    #: Whether each sender number also has its own throughput as on Plivo (a US long code sends
    #: one message per second, a toll-free number 25, …; see ``sandbox.message_queue``).
    sender_throughput: bool = True

    # -- Plivo's limits ------------------------------------------------------------------------
    #: API requests a main account (with its subaccounts) may make in any 5 s of sandbox time;
    #: beyond that Plivo answers 429 with ``Retry-After``. ``POST Call/`` does not count (calls
    #: have their own limit). 0: no limit.
    api_requests_per_5s: int = 300
    #: Outbound calls a main account (with its subaccounts) starts per second; ``POST Call/`` is
    #: accepted at once and further calls wait ``queued``, started in order. 0: no limit.
    calls_per_second: int = 2

    # -- Voice -------------------------------------------------------------------------------
    #: Seconds a phone without a script rings before it answers (a makeCall destination, a Dial
    #: target): "a short ring". Incoming calls are not rung: Plivo answers them (fetches the answer
    #: URL) at once. 0: answered at once.
    call_ring_seconds: float = 2.0
    #: Seconds between ``answer`` and fetching ``answer_url`` (kept for symmetry; normally 0).
    call_answer_seconds: float = 0.0
    #: When set (e.g. ``ringing``), new calls stop in that state until the control API advances them.
    call_hold_state: str | None = None
    #: Caps the read timeout for webhook receivers (callbacks and answer_url fetches); ``None``:
    #: Plivo's own (40 s, or the URL's ``#rt=`` fragment). Network time, not sandbox time.
    webhook_timeout_seconds: float | None = None
    #: Sandbox seconds between a failed callback and its retry (Plivo's retry policy decides
    #: whether it is retried: see ``sandbox.webhooks.policy``).
    webhook_retry_seconds: float = 1.0
    #: Public base URL of the sandbox (``http://host:port``), used to build absolute URLs such as
    #: ``recording_url``. ``None``: derived from the request that caused it.
    public_url: str | None = None
    #: Free-form extra knobs for extensions, so they need no schema change here.
    extra: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> SandboxSettings:
        return dataclasses.replace(self, extra=dict(self.extra))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def apply(self, changes: Mapping[str, Any]) -> None:
        """Change fields by name; raises ``ValueError`` naming the first bad field (nothing is changed then)."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        staged: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in fields:
                raise ValueError(f"unknown setting {name!r}")
            staged[name] = _coerce(name, value)
        for name, value in staged.items():
            setattr(self, name, value)


_OPTIONAL_SECONDS = ("webhook_timeout_seconds",)
#: Limits: whole numbers, 0 meaning no limit.
_COUNTS = {"api_requests_per_5s": 1_000_000, "calls_per_second": 10_000}
#: Rates per second, 0 meaning no limit.
_RATES = {"messages_per_second": 100_000.0, "mms_per_second": 100_000.0}
_FLAGS = ("sender_throughput",)


def _coerce(name: str, value: Any) -> Any:
    if name in _OPTIONAL_SECONDS and value is None:
        return None
    if name in _COUNTS:
        return _count(name, value, _COUNTS[name])
    if name in _RATES:
        return _rate(name, value, _RATES[name])
    if name in _FLAGS:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if name.endswith("_seconds"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{name} must be a number of seconds")
        try:
            seconds = float(value)
        except ValueError:
            raise ValueError(f"{name} must be a number of seconds") from None
        if not 0 <= seconds <= 3600:
            raise ValueError(f"{name} must be between 0 and 3600")
        return seconds
    holds = {"message_hold_state": MESSAGE_HOLD_STATES, "call_hold_state": CALL_HOLD_STATES}
    if name in holds:
        if value in (None, "", "none"):
            return None
        if value not in holds[name]:
            raise ValueError(f"{name} must be one of {', '.join(holds[name])} or null")
        return value
    if name == "extra":
        if not isinstance(value, dict):
            raise ValueError("extra must be an object")
        return dict(value)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or null")
    return value or None


def _count(name: str, value: Any, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{name} must be a whole number (0: no limit)")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number (0: no limit)") from None
    if not 0 <= number <= most:
        raise ValueError(f"{name} must be between 0 (no limit) and {most}")
    return number


def _rate(name: str, value: Any, most: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number per second (0: no limit)")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number per second (0: no limit)") from None
    if not 0 <= number <= most:
        raise ValueError(f"{name} must be between 0 (no limit) and {most:g}")
    return number
