"""Messages over time: the outbound lifecycle on the sandbox clock, status callbacks, inbound SMS.

Outbound messages are stored ``queued`` (``POST Message/`` answers then), become ``sent`` after
``settings.message_queued_seconds`` and ``delivered`` after ``settings.message_sent_seconds`` more,
each step a timer on the sandbox clock. Every change is one transaction that updates the message
and persists its status callback to the message's ``url`` (the outbox delivers it after the
commit), so a change is never reported twice nor lost. A message stops in
``settings.message_hold_state`` until :meth:`MessageCenter.set_final_state` or
:meth:`MessageCenter.release_held`; :meth:`MessageCenter.start` resumes unfinished lifecycles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.events import EventBus
from plivo_blocks.sandbox.models.accounts import charge
from plivo_blocks.sandbox.models.messages import (
    MAX_TEXT,
    MESSAGE,
    PROGRESS,
    base_message,
    callback_params,
    clean_number,
    count_units,
    state_changes,
)
from plivo_blocks.sandbox.models.numbers import application_for_number
from plivo_blocks.sandbox.responses import bad_request
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.store import Document, Store, Tx
from plivo_blocks.sandbox.tariffs import country_for_number, message_rate
from plivo_blocks.sandbox.webhooks import Callback, Delivery, Outbox

__all__ = ["MessageCenter"]

#: The step after each lifecycle state, and the setting that says how long the state lasts.
_NEXT = {"queued": ("sent", "message_queued_seconds"), "sent": ("delivered", "message_sent_seconds")}


class MessageCenter:
    def __init__(
        self, store: Store, clock: SandboxClock, settings: SandboxSettings, outbox: Outbox, events: EventBus
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._outbox = outbox
        self._events = events

    def __repr__(self) -> str:
        return "MessageCenter()"

    # -- outbound ------------------------------------------------------------------------------

    async def create_outbound(
        self, owner: str, planned: list[dict[str, Any]], url: str | None, method: str, text: str
    ) -> list[str]:
        """Store the planned messages (``queued``, charged, their ``queued`` callbacks persisted)
        and start their lifecycles."""
        hold = self._settings.message_hold_state

        def insert_all(tx: Tx) -> tuple[list[Document], list[Delivery | None]]:
            docs = []
            for body in planned:
                body.update({"_url": url, "_method": method, "_text": text, "_held": hold == "queued"})
                docs.append(tx.insert(MESSAGE, ids.new_uuid(), owner, body))
            charge(tx, owner, sum((Decimal(d.data["total_amount"]) for d in docs), Decimal(0)))
            return docs, [self._status_callback(tx, doc) for doc in docs]

        docs, deliveries = await self._store.transaction(insert_all)
        self._outbox.dispatch(deliveries)
        for doc in docs:
            self._announce(doc)
            self._schedule_next(doc)
        return [doc.id for doc in docs]

    def _status_callback(self, tx: Tx, doc: Document) -> Delivery | None:
        url = doc.data.get("_url")
        if not url:
            return None
        callback = Callback.of(
            str(url),
            str(doc.data.get("_method") or "POST"),
            callback_params(doc),
            auth_id=doc.owner,
            kind="message_status",
            ref=doc.id,
        )
        return self._outbox.enqueue(tx, callback)

    def _schedule_next(self, doc: Document) -> None:
        state = doc.data["message_state"]
        if doc.data.get("_held") or state not in _NEXT or doc.data.get("message_direction") != "outbound":
            return
        target, delay_setting = _NEXT[state]
        delay = float(getattr(self._settings, delay_setting))
        uuid = doc.id
        self._clock.call_later(delay, lambda: self._clock.spawn(self._step(uuid, target)))

    async def _step(self, uuid: str, target: str) -> None:
        doc = await self.advance(uuid, target)
        if doc is not None:
            self._schedule_next(doc)

    async def advance(self, uuid: str, to_state: str) -> Document | None:
        """Move an unheld, unfinished message forward to ``to_state`` and report it; ``None`` when
        it cannot move (held, final, already there, or gone)."""
        hold = self._settings.message_hold_state
        now = self._clock.datetime()

        def change(tx: Tx) -> tuple[Document | None, Delivery | None]:
            doc = tx.get(MESSAGE, uuid)
            if doc is None or doc.data.get("_held"):
                return None, None
            current = doc.data["message_state"]
            if current not in PROGRESS or PROGRESS.index(to_state) <= PROGRESS.index(current):
                return None, None
            updated = tx.update(MESSAGE, uuid, state_changes(doc, to_state, None, hold, now))
            assert updated is not None
            return updated, self._status_callback(tx, updated)

        return await self._commit_change(change)

    async def set_final_state(self, uuid: str, to_state: str, error_code: str | None) -> Document | None:
        """Give a message its final state (control API), whatever it was, and report it."""
        if to_state in ("failed", "undelivered", "rejected") and not error_code:
            error_code = "1000"
        now = self._clock.datetime()

        def change(tx: Tx) -> tuple[Document | None, Delivery | None]:
            doc = tx.get(MESSAGE, uuid)
            if doc is None:
                return None, None
            updated = tx.update(MESSAGE, uuid, state_changes(doc, to_state, error_code, None, now))
            assert updated is not None
            return updated, self._status_callback(tx, updated)

        return await self._commit_change(change)

    async def _commit_change(
        self, change: Callable[[Tx], tuple[Document | None, Delivery | None]]
    ) -> Document | None:
        doc, delivery = await self._store.transaction(change)
        self._outbox.dispatch([delivery])
        if doc is not None:
            self._announce(doc)
        return doc

    async def release_held(self) -> int:
        """Let held messages continue their lifecycle; answers how many were released."""

        def release(tx: Tx) -> list[Document]:
            held = tx.list(MESSAGE, filters={"_held": True})
            return [doc for doc in (tx.update(MESSAGE, d.id, {"_held": False}) for d in held) if doc]

        released = await self._store.transaction(release)
        for doc in released:
            self._schedule_next(doc)
        return len(released)

    def _announce(self, doc: Document) -> None:
        data = doc.data
        self._events.publish(
            "message",
            f"message {data['message_direction']} {data['from_number']} -> {data['to_number']}: "
            f"{data['message_state']}",
            ref=doc.id,
            auth_id=doc.owner,
            state=data["message_state"],
        )

    # -- inbound -------------------------------------------------------------------------------

    async def receive_inbound(self, src: str, dst: str, text: str) -> tuple[Document, str | None]:
        """An SMS from ``src`` to the rented number ``dst``: stored as an inbound message of the
        number's owner and delivered to its application's ``message_url``. Answers the message and
        that URL."""
        source = clean_number(src, "from")
        target = clean_number(dst, "to")
        if len(text) > MAX_TEXT:
            raise bad_request(f"text can be at most {MAX_TEXT} characters")
        now = self._clock.datetime()

        def store_inbound(tx: Tx) -> tuple[Document, str | None, Delivery | None] | None:
            found = application_for_number(tx, target)
            if found is None:
                return None
            number, app = found
            country = country_for_number(target)
            body = base_message(
                now=now,
                from_number=source,
                to_number=target,
                direction="inbound",
                state="received",
                units=count_units(text),
                rate=message_rate(country, "inbound") if country else Decimal(0),
                country=country,
            )
            body["message_sent_time"] = body["message_updated_time"]
            body["_text"] = text
            charge(tx, number.owner, Decimal(body["total_amount"]))
            doc = tx.insert(MESSAGE, ids.new_uuid(), number.owner, body)
            url = str(app.data.get("message_url") or "") if app else ""
            if not url or app is None:
                return doc, None, None
            params = {
                "From": source,
                "To": target,
                "Text": text,
                "Type": "sms",
                "MessageUUID": doc.id,
                "Units": str(doc.data["units"]),
                "TotalRate": doc.data["total_rate"],
                "TotalAmount": doc.data["total_amount"],
                "MessageIntent": "",
            }
            method = str(app.data.get("message_method") or "POST")
            callback = Callback.of(url, method, params, auth_id=doc.owner, kind="message_inbound", ref=doc.id)
            return doc, url, self._outbox.enqueue(tx, callback)

        stored = await self._store.transaction(store_inbound)
        if stored is None:
            raise bad_request(f"{target} is not a number rented in this sandbox")
        doc, url, delivery = stored
        self._outbox.dispatch([delivery])
        self._announce(doc)
        return doc, url

    # -- lifecycle of the part -------------------------------------------------------------------

    async def start(self) -> None:
        """Resume the lifecycles a stop left unfinished."""
        pending = await self._store.list(
            MESSAGE, filters={"message_state__in": ["queued", "sent"], "_held": False}
        )
        self._schedule_all(pending)

    def _schedule_all(self, docs: Iterable[Document]) -> None:
        for doc in docs:
            self._schedule_next(doc)
