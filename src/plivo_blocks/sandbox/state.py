"""The running sandbox: its parts, each a typed attribute, wired here and nowhere else.

``app.state.sandbox`` is a :class:`SandboxState`:

==============  =====================================================================
``store``       the document store (:mod:`.store`, SQLite)
``settings``    behaviour knobs (:mod:`.settings`), changed by ``PATCH /_sandbox/settings``
``clock``       sandbox time, its timers and tracked background work (:mod:`.clock`)
``accounts``    credentials and the cached account directory (:mod:`.accounts`)
``faults``      injected faults (:mod:`.faults`)
``limits``      Plivo's API request limit, on the sandbox clock (:mod:`.limits`)
``call_queue``  Plivo's calls per second: when each outbound call may start (:mod:`.call_queue`)
``events``      what happens, for the console and the inspector (:mod:`.events`)
``outbox``      every callback, persisted, signed, delivered and logged (:mod:`.webhooks`)
``messaging``   the message lifecycle and inbound SMS (:mod:`.messaging`)
``voice``       calls, conferences and recordings (:mod:`.voice`)
==============  =====================================================================

Each part is given the parts it uses (nothing reaches back through the state), so the wiring
below is the whole map. :meth:`SandboxState.start`, :meth:`stop` and :meth:`reset` run the
parts' own in the order they depend on each other.
"""

from __future__ import annotations

import httpx
from anyio.abc import TaskGroup

from plivo_blocks.sandbox.accounts import MAIN_AUTH_ID_KEY, AccountDirectory, MainCredentials
from plivo_blocks.sandbox.call_queue import CallQueue
from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.events import EventBus
from plivo_blocks.sandbox.faults import FaultInjector
from plivo_blocks.sandbox.limits import RequestLimiter
from plivo_blocks.sandbox.messaging import INBOUND_KIND, MessageCenter
from plivo_blocks.sandbox.models.accounts import AccountDocument
from plivo_blocks.sandbox.models.base import insert
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.store import Store, Tx
from plivo_blocks.sandbox.voice.engine import VoiceEngine
from plivo_blocks.sandbox.webhooks import Outbox


class SandboxState:
    def __init__(
        self,
        store: Store,
        settings: SandboxSettings,
        clock: SandboxClock,
        main: MainCredentials,
        *,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        adopt_unknown_accounts: bool = False,
    ) -> None:
        self.store = store
        self.settings = settings
        self.initial_settings = settings.copy()
        self.clock = clock
        self.accounts = AccountDirectory(store, main, adopt_unknown=adopt_unknown_accounts)
        self.faults = FaultInjector()
        self.limits = RequestLimiter(clock, settings)
        self.call_queue = CallQueue(clock, settings)
        self.events = EventBus(clock.now)
        self.outbox = Outbox(store, clock, settings, self.accounts, self.events, transport=webhook_transport)
        self.messaging = MessageCenter(store, clock, settings, self.outbox, self.events)
        self.outbox.on_finished(INBOUND_KIND, self.messaging.inbound_outcome)
        self.voice = VoiceEngine(
            store, clock, settings, self.outbox, self.events, self.messaging, call_queue=self.call_queue
        )
        self._running = False

    def __repr__(self) -> str:
        return (
            f"SandboxState(db={self.store.path!r}, main_auth_id={self.main_auth_id!r}, clock={self.clock!r})"
        )

    @property
    def main_auth_id(self) -> str:
        return self.accounts.main.auth_id

    @property
    def main_auth_token(self) -> str:
        return self.accounts.main.auth_token

    @property
    def running(self) -> bool:
        return self._running

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self, task_group: TaskGroup) -> None:
        """Start the clock's driver in ``task_group``, then the parts (resuming unfinished work)."""
        task_group.start_soon(self.clock.run)
        self._running = True
        await self.voice.start()
        await self.outbox.start()
        await self.messaging.start()

    async def stop(self) -> None:
        self._running = False
        await self.clock.stop()
        await self.voice.stop()
        await self.outbox.stop()

    async def reset(self) -> None:
        """Back to a fresh sandbox: no documents but the main account (same credentials), no
        faults, no live calls or pending work, the settings and clock mode it was created with."""
        await self.clock.stop()
        await self.voice.stop()
        self.outbox.reset()
        main_id = self.main_auth_id

        def wipe(tx: Tx) -> None:
            tx.clear(keep_meta=(MAIN_AUTH_ID_KEY, "main_auth_token"))
            insert(tx, AccountDocument.new_main(main_id, tx.now()))

        await self.store.transaction(wipe)
        self.faults.clear()
        self.limits.reset()
        self.call_queue.reset()
        self.messaging.reset()
        initial = self.initial_settings.copy()
        for name, value in initial.as_dict().items():
            setattr(self.settings, name, value)
