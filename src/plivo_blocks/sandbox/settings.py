"""Behaviour knobs of the sandbox: lifecycle timings and holds.

Timings are seconds of sandbox time (:mod:`plivo_blocks.sandbox.clock`): in ``manual`` mode they
pass only when the clock is advanced, so tests stay deterministic whatever the delays.

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
    # -- Messages (sandbox-core) --------------------------------------------------------------
    #: Seconds a new outbound message stays ``queued`` before it is ``sent``.
    message_queued_seconds: float = 0.0
    #: Seconds a message stays ``sent`` before it is ``delivered``.
    message_sent_seconds: float = 0.0
    #: When set (``queued`` or ``sent``), new outbound messages stop in that state until the
    #: control API gives them a final state or releases the hold.
    message_hold_state: str | None = None

    # -- Voice (owned by sandbox-voice; add voice knobs here, all immediate by default) ------
    #: Seconds an outbound call rings before it is answered.
    call_ring_seconds: float = 0.0
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


def _coerce(name: str, value: Any) -> Any:
    if name in _OPTIONAL_SECONDS and value is None:
        return None
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
