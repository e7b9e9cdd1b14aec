"""The running sandbox: store, settings, accounts, webhooks and background work.

``app.state.sandbox`` is a :class:`SandboxState`. What extensions (the voice engine, the webhook
outbox) use:

- ``state.store`` (:class:`~plivo_blocks.sandbox.store.Store`), ``state.settings``
  (:class:`~plivo_blocks.sandbox.settings.SandboxSettings`), ``state.faults``;
- ``state.main_auth_id`` / ``state.main_auth_token``;
- ``state.webhooks``: a :class:`WebhookSender`; ``send(url, method, params, *, auth_id, kind)``
  enqueues one callback without blocking; the sender signs it with the auth_token of ``auth_id``
  (look it up with ``await state.get_account(auth_id)``). Until an outbox is installed this is a
  :class:`RecordingWebhookSender`, which only records. Replace it by assigning ``state.webhooks``.
- ``await state.get_account(auth_id) -> Account | None``, ``await state.visible_owners(account)``;
- lifecycle hooks, all taking an ``async`` function with no arguments:
  ``on_startup(fn)`` (awaited in order when the app starts), ``on_shutdown(fn)`` (awaited in reverse
  order when it stops), ``background(fn)`` (a long-running task started in the app's task group at
  startup and cancelled at shutdown), ``on_reset(fn)`` (awaited after ``/_sandbox/reset`` cleared the
  store, to drop in-memory state);
- ``state.spawn(fn, *args)``: start a one-off task in the app's task group (only while the app runs,
  i.e. inside its lifespan; ``state.running`` tells).

Accounts are documents of kind ``account`` (id = auth_id; owner = the main account's auth_id; the
main account owns itself). :class:`Account` is the read-only view the routes use.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from anyio.abc import TaskGroup

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.clock import format_date, utc_now
from plivo_blocks.sandbox.faults import FaultInjector
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.store import Document, Store, Tx

log = logging.getLogger("plivo_blocks.sandbox")

ACCOUNT = "account"
MAIN_AUTH_ID_KEY = "main_auth_id"

AsyncHook = Callable[[], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Account:
    """An account as authentication sees it. ``auth_token`` never shows in reprs."""

    auth_id: str
    auth_token: str = field(repr=False)
    parent_id: str | None
    name: str
    enabled: bool

    @property
    def is_main(self) -> bool:
        return self.parent_id is None

    @property
    def main_id(self) -> str:
        return self.parent_id or self.auth_id

    @classmethod
    def from_document(cls, doc: Document) -> Account:
        return cls(
            auth_id=doc.id,
            auth_token=str(doc.data["_auth_token"]),
            parent_id=doc.data.get("_parent"),
            name=str(doc.data.get("name", "")),
            enabled=bool(doc.data.get("enabled", True)),
        )


class WebhookSender(Protocol):
    def send(self, url: str, method: str, params: Mapping[str, str], *, auth_id: str, kind: str) -> None: ...


@dataclass(frozen=True)
class WebhookCall:
    url: str
    method: str
    params: dict[str, str]
    auth_id: str
    kind: str


class RecordingWebhookSender:
    """Stand-in sender: records what would be sent, delivers nothing."""

    def __init__(self) -> None:
        self.sent: list[WebhookCall] = []

    def send(self, url: str, method: str, params: Mapping[str, str], *, auth_id: str, kind: str) -> None:
        self.sent.append(WebhookCall(url, method.upper(), dict(params), auth_id, kind))


def main_account_data(name: str, token: str) -> dict[str, Any]:
    return {
        "_auth_token": token,
        "_parent": None,
        "account_type": "standard",
        "address": "",
        "auto_recharge": False,
        "billing_mode": "prepaid",
        "cash_credits": "100.00000",
        "city": "",
        "name": name,
        "state": "",
        "timezone": "UTC",
        "enabled": True,
        "created": format_date(utc_now()),
    }


def resolve_main_credentials(store: Store, auth_id: str | None, auth_token: str | None) -> tuple[str, str]:
    """Arguments, else ``PLIVO_AUTH_ID``/``PLIVO_AUTH_TOKEN``, else the stored demo credentials, else
    new ones (stored, so a restart reuses them). The main account document is created or updated."""
    auth_id = auth_id or os.environ.get("PLIVO_AUTH_ID") or None
    auth_token = auth_token or os.environ.get("PLIVO_AUTH_TOKEN") or None
    if bool(auth_id) != bool(auth_token):
        raise ValueError("give both the main auth_id and auth_token, or neither")
    if auth_id and not ids.is_main_auth_id(auth_id):
        raise ValueError("the main auth_id must be 'MA' followed by 18 uppercase letters or digits")

    def bootstrap(tx: Tx) -> tuple[str, str]:
        chosen_id, chosen_token = auth_id, auth_token
        if not chosen_id:
            stored = tx.get_meta(MAIN_AUTH_ID_KEY)
            doc = tx.get(ACCOUNT, stored) if stored else None
            if doc is not None:
                return doc.id, str(doc.data["_auth_token"])
            chosen_id, chosen_token = ids.new_auth_id("MA"), ids.new_auth_token()
        assert chosen_id and chosen_token
        existing = tx.get(ACCOUNT, chosen_id)
        if existing is None:
            tx.insert(ACCOUNT, chosen_id, chosen_id, main_account_data("Sandbox Account", chosen_token))
        elif existing.data.get("_auth_token") != chosen_token:
            tx.update(ACCOUNT, chosen_id, {"_auth_token": chosen_token})
        tx.set_meta(MAIN_AUTH_ID_KEY, chosen_id)
        return chosen_id, chosen_token

    return store.run_sync(bootstrap)


class SandboxState:
    def __init__(
        self, store: Store, settings: SandboxSettings, main_auth_id: str, main_auth_token: str
    ) -> None:
        self.store = store
        self.settings = settings
        self.initial_settings = settings.copy()
        self.main_auth_id = main_auth_id
        self._main_auth_token = main_auth_token
        self.faults = FaultInjector()
        self.webhooks: WebhookSender = RecordingWebhookSender()
        self._startup: list[AsyncHook] = []
        self._shutdown: list[AsyncHook] = []
        self._background: list[AsyncHook] = []
        self._reset: list[AsyncHook] = []
        self._task_group: TaskGroup | None = None

    def __repr__(self) -> str:
        return f"SandboxState(db={self.store.path!r}, main_auth_id={self.main_auth_id!r})"

    @property
    def main_auth_token(self) -> str:
        return self._main_auth_token

    # -- accounts --------------------------------------------------------------------------

    async def get_account(self, auth_id: str) -> Account | None:
        doc = await self.store.get(ACCOUNT, auth_id)
        return Account.from_document(doc) if doc else None

    async def visible_owners(self, account: Account) -> list[str]:
        """Owners whose resources ``account`` sees: a subaccount itself; the main account itself and
        all its subaccounts."""
        if not account.is_main:
            return [account.auth_id]
        subs = await self.store.list(ACCOUNT, filters={"_parent": account.auth_id})
        return [account.auth_id, *(d.id for d in subs)]

    # -- lifecycle hooks -------------------------------------------------------------------

    def on_startup(self, fn: AsyncHook) -> None:
        self._startup.append(fn)

    def on_shutdown(self, fn: AsyncHook) -> None:
        self._shutdown.append(fn)

    def background(self, fn: AsyncHook) -> None:
        self._background.append(fn)
        if self._task_group is not None:
            self._task_group.start_soon(_guarded, fn)

    def on_reset(self, fn: AsyncHook) -> None:
        self._reset.append(fn)

    @property
    def running(self) -> bool:
        return self._task_group is not None

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        if self._task_group is None:
            raise RuntimeError("the sandbox is not running: background work needs the app's lifespan")
        self._task_group.start_soon(_guarded, fn, *args)

    async def start(self, task_group: TaskGroup) -> None:
        self._task_group = task_group
        for hook in self._startup:
            await hook()
        for fn in self._background:
            task_group.start_soon(_guarded, fn)

    async def stop(self) -> None:
        try:
            for hook in reversed(self._shutdown):
                await hook()
        finally:
            self._task_group = None

    async def reset(self) -> None:
        """Back to a fresh sandbox: no documents but the main account (same credentials), no
        faults, the settings the app was created with."""
        token = self._main_auth_token
        main_id = self.main_auth_id

        def wipe(tx: Tx) -> None:
            tx.clear()
            tx.insert(ACCOUNT, main_id, main_id, main_account_data("Sandbox Account", token))
            tx.set_meta(MAIN_AUTH_ID_KEY, main_id)

        await self.store.transaction(wipe)
        self.faults.clear()
        initial = self.initial_settings.copy()
        for name, value in initial.as_dict().items():
            setattr(self.settings, name, value)
        for hook in self._reset:
            await hook()


async def _guarded(fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
    # One failing background task must not cancel the app's task group (and so the server).
    try:
        await fn(*args)
    except Exception:
        log.exception("sandbox background task failed")
