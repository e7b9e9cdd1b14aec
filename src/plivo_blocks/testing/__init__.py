"""Testing a Plivo app without Plivo: ``mock_plivo()`` and the pytest plugin.

- :func:`mock_plivo` (:mod:`.mock`): the sandbox in the test's process; the official SDK,
  ``plivo_blocks`` clients and plain ``requests``/``httpx`` calls to Plivo's hosts reach it; your
  own web app is called in-process for its answer URLs and callbacks (``apps=``).
- :class:`SandboxServer` (:mod:`.server`): the same sandbox on a loopback port, for other processes.
- The pytest plugin (:mod:`.plugin`, registered through the ``pytest11`` entry point): fixtures
  ``plivo_sandbox`` and ``plivo_sandbox_server``, option ``--plivo-sandbox-clock``, marker
  ``plivo_sandbox(apps=..., clock=...)``.

The names below load on first use: pytest imports the plugin in every run of every project that has
plivo-blocks installed, and the sandbox behind them takes a third of a second to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plivo_blocks.testing.apps import AppFailure, PlivoAppError
    from plivo_blocks.testing.controls import SandboxBusy, SandboxControlError, SandboxControls
    from plivo_blocks.testing.hosts import SERVED_HOSTS, PlivoHostNotSimulated
    from plivo_blocks.testing.httpx_hook import AsyncSandboxTransport, SandboxTransport
    from plivo_blocks.testing.mock import MockPlivo, mock_plivo
    from plivo_blocks.testing.server import SandboxServer

_HOMES = {
    "AppFailure": "apps",
    "PlivoAppError": "apps",
    "SandboxBusy": "controls",
    "SandboxControlError": "controls",
    "SandboxControls": "controls",
    "SERVED_HOSTS": "hosts",
    "PlivoHostNotSimulated": "hosts",
    "AsyncSandboxTransport": "httpx_hook",
    "SandboxTransport": "httpx_hook",
    "MockPlivo": "mock",
    "mock_plivo": "mock",
    "SandboxServer": "server",
}

__all__ = [
    "SERVED_HOSTS",
    "AppFailure",
    "AsyncSandboxTransport",
    "MockPlivo",
    "PlivoAppError",
    "PlivoHostNotSimulated",
    "SandboxBusy",
    "SandboxControlError",
    "SandboxControls",
    "SandboxServer",
    "SandboxTransport",
    "mock_plivo",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'plivo_blocks.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"plivo_blocks.testing.{home}"), name)
    globals()[name] = value
    return value
