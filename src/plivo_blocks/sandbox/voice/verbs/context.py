"""What an element's runner works with: the engine's services for one sandbox, typed.

Every runner is ``async def run(ctx: VerbContext, call: Call, step: <Element>) -> Outcome``: it does
what the element does to ``call``, then answers ``None`` (go on with the next element) or the next
document to run (an ``action`` URL's XML, a ``Redirect``). Ending the call raises ``CallEnded``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.events import EventBus
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.conferences import ConferenceBridge
from plivo_blocks.sandbox.voice.documents import DocumentLoader
from plivo_blocks.sandbox.voice.recordings import Recorder
from plivo_blocks.sandbox.voice.services import CallControl

#: What a runner answers: ``None`` to go on, or the next document's instructions.
Outcome = list[px.Instruction] | None


@dataclass(frozen=True)
class VerbContext:
    control: CallControl
    clock: SandboxClock
    settings: SandboxSettings
    events: EventBus
    documents: DocumentLoader
    bridge: ConferenceBridge
    recorder: Recorder

    async def action(
        self, call: Call, url: str | None, method: str, redirect: bool, params: Mapping[str, str]
    ) -> Outcome:
        """What most elements do when they finish: with ``redirect``, fetch ``url``'s XML and run it
        next; without, notify ``url`` (with the call's parameters) and go on."""
        if url is None:
            return None
        if redirect:
            return await self.documents.load(call, url, method, "action", params)
        await self.control.send(
            url,
            method,
            {**self.control.params(call), **params},
            auth_id=call.owner,
            kind="action",
            ref=call.uuid,
        )
        return None
