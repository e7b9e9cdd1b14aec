"""What the parts of the voice engine may ask of it, as a protocol (the engine implements it).

Conferences, recordings, the document loader and every element's runner are given a
:class:`CallControl` rather than the engine itself, so none of them imports the engine: the engine
imports them, and the arrows point one way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.causes import HangupCause


class CallControl(Protocol):
    @property
    def clock(self) -> SandboxClock: ...

    async def send(
        self,
        url: str | None,
        method: str,
        params: Mapping[str, str],
        *,
        auth_id: str,
        kind: str,
        ref: str | None,
    ) -> None:
        """Persist a callback in the outbox (delivered in the background)."""

    async def hangup(self, call: Call, cause: HangupCause) -> None:
        """End ``call`` (idempotent): its detail record, its hangup callback."""

    async def save(self, call: Call) -> None:
        """Write ``call``'s current state to its record."""

    def params(self, call: Call, **extra: str) -> dict[str, str]:
        """The parameters every request about ``call`` carries (CallUUID, From, To, …)."""
