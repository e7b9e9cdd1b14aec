"""Run one scenario through both :class:`Client` and :class:`AsyncClient` (for parametrised tests).

``Twin("sync" | "async", upstream).run(lambda client: client.send_message(...))`` builds a fresh
client pointed at the upstream with fake credentials (``FAKE_AUTH_ID`` / ``FAKE_AUTH_TOKEN``),
runs the action (awaiting it for the async client) and closes the client. The injected sleep
records each retry delay in ``twin.sleeps`` instead of waiting.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from plivo_blocks import AsyncClient, Client
from support.upstream import RecordingUpstream

FAKE_AUTH_ID = "MAFAKEAUTHID00000001"
FAKE_AUTH_TOKEN = "tok-S3cr3t-never-show-me-0123456789"


@dataclass
class Twin:
    """Runs ``action(client)`` through a fresh Client or AsyncClient (awaiting it for the latter).

    The client points at the upstream with fake credentials, and its injected sleep records
    each delay instead of waiting.
    """

    kind: str
    upstream: RecordingUpstream
    sleeps: list[float] = field(default_factory=list)

    def settings(self, **overrides: Any) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "auth_id": FAKE_AUTH_ID,
            "auth_token": FAKE_AUTH_TOKEN,
            "base_url": self.upstream.url,
        }
        settings.update(overrides)
        return settings

    def run(self, action: Callable[[Any], Any], **overrides: Any) -> Any:
        settings = self.settings(**overrides)
        if self.kind == "sync":
            settings.setdefault("sleep", self.sleeps.append)
            with Client(**settings) as client:
                return action(client)

        async def record(delay: float) -> None:
            self.sleeps.append(delay)

        async def main() -> Any:
            settings.setdefault("sleep", record)
            async with AsyncClient(**settings) as client:
                result = action(client)
                return await result if inspect.isawaitable(result) else result

        return anyio.run(main)

    def collect(self, action: Callable[[Any], Any], **overrides: Any) -> list[Any]:
        """Like :meth:`run` for an action answering an iterator (sync) or async iterator: the items, as a list."""

        async def drain(items: AsyncIterator[Any]) -> list[Any]:
            return [item async for item in items]

        def consume(client: Any) -> Any:
            items = action(client)
            return drain(items) if hasattr(items, "__aiter__") else list(items)

        result: list[Any] = self.run(consume, **overrides)
        return result
