"""What a test sandbox is made of: the options ``mock_plivo`` and ``plivo_sandbox_server`` share."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette

from plivo_blocks.sandbox import ClockMode, ClockSpec, SandboxSettings, create_app
from plivo_blocks.testing.apps import AppFailures, routing_transport

__all__ = ["ClockOption", "SandboxOptions", "clock_spec"]

#: ``"manual"``, ``"real"``, ``"scaled:N"`` or a :class:`ClockSpec`.
ClockOption = str | ClockSpec


def clock_spec(clock: ClockOption) -> ClockSpec:
    """``ValueError`` names the rule a clock text broke."""
    if isinstance(clock, ClockSpec):
        return clock
    if not isinstance(clock, str):
        raise TypeError(
            f"clock must be 'manual', 'real', 'scaled:N' or a ClockSpec, not {type(clock).__name__}"
        )
    try:
        return ClockSpec.parse(clock)
    except ValueError as exc:
        raise ValueError(f"clock {clock!r}: {exc}") from None


def _settings(settings: SandboxSettings | Mapping[str, Any] | None) -> SandboxSettings | None:
    if settings is None or isinstance(settings, SandboxSettings):
        return settings
    if not isinstance(settings, Mapping):
        raise TypeError(f"settings must be a SandboxSettings or a mapping, not {type(settings).__name__}")
    made = SandboxSettings()
    try:
        made.apply(settings)
    except ValueError as exc:
        raise ValueError(f"settings: {exc}") from None
    return made


@dataclass(frozen=True)
class SandboxOptions:
    """``apps``: base URL -> WSGI/ASGI app (or httpx async transport); ``clock``: manual unless
    said; ``state``: a database file to keep the sandbox in (default: memory, fresh each time);
    ``auth_id``/``auth_token``: the main account (default: the sandbox's own); ``settings``: a
    :class:`SandboxSettings` or the changes ``PATCH /_sandbox/settings`` takes, as a mapping."""

    apps: Mapping[str, Any] = field(default_factory=dict)
    clock: ClockSpec = field(default_factory=lambda: ClockSpec(ClockMode.MANUAL))
    state: str | None = None
    auth_id: str | None = field(default=None)
    auth_token: str | None = field(default=None, repr=False)
    settings: SandboxSettings | None = None

    @classmethod
    def of(
        cls,
        *,
        apps: Mapping[str, Any] | None = None,
        clock: ClockOption = "manual",
        state: str | os.PathLike[str] | None = None,
        auth_id: str | None = None,
        auth_token: str | None = None,
        settings: SandboxSettings | Mapping[str, Any] | None = None,
    ) -> SandboxOptions:
        if apps is not None and not isinstance(apps, Mapping):
            raise TypeError(f"apps must be a mapping of base URL to app, not {type(apps).__name__}")
        return cls(
            apps=dict(apps or {}),
            clock=clock_spec(clock),
            state=os.fspath(state) if state is not None else None,
            auth_id=auth_id,
            auth_token=auth_token,
            settings=_settings(settings),
        )

    def create_app(self, failures: AppFailures) -> Starlette:
        """The sandbox app: its callbacks routed to ``apps``, unknown ``MA…`` credentials adopted."""
        return create_app(
            self.state or ":memory:",
            auth_id=self.auth_id,
            auth_token=self.auth_token,
            settings=self.settings.copy() if self.settings is not None else None,
            clock=self.clock,
            webhook_transport=routing_transport(self.apps, failures),
            adopt_unknown_accounts=True,
        )
