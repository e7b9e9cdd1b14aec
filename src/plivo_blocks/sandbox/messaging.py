"""Messages over time: the outbound lifecycle on the sandbox clock, status callbacks, inbound SMS.

**Outbound.** ``POST Message/`` stores each message ``queued`` (and answers then), after checking
its sender (:mod:`plivo_blocks.sandbox.senders`). Each message is then ``sent`` when Plivo's queue
lets it go (:mod:`plivo_blocks.sandbox.message_queue`: ``settings.message_queued_seconds`` at
least, the account's rate, its sender's rate), or ``failed`` with error 420 if its
``message_expiry`` runs out first; ``delivered`` ``settings.message_sent_seconds`` after it was
sent. Every step is a timer on the sandbox clock, and one transaction that updates the message
and persists its status callback to the message's ``url`` with the next ``Sequence`` (the outbox
delivers them after the commit, one after another), so a change is never reported twice nor lost
and callbacks arrive in ``Sequence`` order. A message stops in ``settings.message_hold_state`` until
:meth:`MessageCenter.set_final_state` or :meth:`MessageCenter.release_held`;
:meth:`MessageCenter.start` resumes unfinished lifecycles.

**Inbound.** :meth:`MessageCenter.receive_inbound` stores an SMS or MMS to a rented number as
``received`` and sends it to its application's ``message_url``; it ends ``delivered`` when that
URL answered 2xx, ``undelivered`` when the outbox gave up on it (:meth:`MessageCenter.inbound_outcome`,
which the outbox calls), and stays ``received`` when there is no ``message_url``, as on Plivo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.events import EventBus
from plivo_blocks.sandbox.message_queue import MessageQueue
from plivo_blocks.sandbox.models.accounts import charge
from plivo_blocks.sandbox.models.messages import (
    EXPIRED,
    MESSAGE,
    base_message,
    callback_params,
    check_text,
    clean_number,
    count_units,
    media_entries,
    plan_outbound,
    state_changes,
    unit_rate,
)
from plivo_blocks.sandbox.models.numbers import application_for_number
from plivo_blocks.sandbox.responses import bad_request
from plivo_blocks.sandbox.senders import resolve_sender
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.store import ANY_OWNER, Document, Store, Tx
from plivo_blocks.sandbox.tariffs import Country, country_for_number
from plivo_blocks.sandbox.times import format_time
from plivo_blocks.sandbox.webhooks import DELIVERED, Callback, Delivery, Outbox

__all__ = ["INBOUND_KIND", "STATUS_KIND", "MessageCenter", "OutboundRequest"]

STATUS_KIND = "message_status"
INBOUND_KIND = "message_inbound"

#: The automatic steps of an outbound message: from each state, the states it may move on to.
_STEPS = {"queued": ("sent", "failed"), "sent": ("delivered",)}

#: Plivo's standard keywords, for the ``MessageIntent`` of inbound messages.
_INTENTS = {
    "optout": ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"),
    "optin": ("START", "YES", "UNSTOP"),
    "help": ("HELP", "INFO"),
}


@dataclass(frozen=True)
class OutboundRequest:
    """A checked ``POST Message/`` (the sender is checked in the transaction that stores it)."""

    owner: str  # the account the messages belong to
    account: str  # its main account, whose rates apply
    owners: Sequence[str]  # accounts whose numbers this request may send from
    src: str
    destinations: Sequence[tuple[str, Country]]
    text: str
    message_type: str
    media_urls: Sequence[str]
    url: str | None
    method: str
    expiry_seconds: float
    requester_ip: str


def message_intent(text: str) -> str:
    word = text.strip().upper()
    return next((intent for intent, words in _INTENTS.items() if word in words), "")


class MessageCenter:
    def __init__(
        self, store: Store, clock: SandboxClock, settings: SandboxSettings, outbox: Outbox, events: EventBus
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._outbox = outbox
        self._events = events
        self._queue = MessageQueue(settings)

    def __repr__(self) -> str:
        return f"MessageCenter({self._queue!r})"

    # -- outbound ------------------------------------------------------------------------------

    async def create_outbound(self, request: OutboundRequest) -> list[str]:
        """Store the messages (``queued``, charged, their ``queued`` callbacks persisted) and start
        their lifecycles; Plivo's 400 when the sender may not send them."""
        hold = self._settings.message_hold_state
        now = self._clock.now()

        def insert_all(tx: Tx) -> tuple[list[Document], list[Delivery | None]]:
            sender = resolve_sender(
                tx, request.owners, request.src, request.destinations, request.message_type
            )
            planned = plan_outbound(
                src=sender.address,
                destinations=request.destinations,
                text=request.text,
                message_type=request.message_type,
                now=now,
            )
            docs = []
            for body, (_, country) in zip(planned, request.destinations, strict=True):
                body.update(
                    {
                        "_url": request.url,
                        "_method": request.method,
                        "_text": request.text,
                        "_held": hold == "queued",
                        "_account": request.account,
                        "_sender_per_second": sender.per_second(country.iso, request.message_type),
                        "_expires_at": now + request.expiry_seconds,
                        "_requester_ip": request.requester_ip,
                        "_media": media_entries(request.media_urls),
                        "_sequence": 1,  # the queued callback
                    }
                )
                docs.append(tx.insert(MESSAGE, ids.new_uuid(), request.owner, body))
            charge(tx, request.owner, sum((Decimal(d.data["total_amount"]) for d in docs), Decimal(0)))
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
            kind=STATUS_KIND,
            ref=doc.id,
        )
        return self._outbox.enqueue(tx, callback)

    def _schedule_next(self, doc: Document) -> None:
        """Set the timer of the message's next automatic step, if it has one."""
        data = doc.data
        if data.get("_held") or data.get("message_direction") != "outbound":
            return
        state, uuid = data["message_state"], doc.id
        if state == "queued":
            queued_at = float(data.get("_queued_at") or data["_time"])
            expires_at = float(data.get("_expires_at") or float("inf"))
            earliest = max(queued_at + self._settings.message_queued_seconds, self._clock.now())
            sent_at = self._queue.dispatch_time(
                account=str(data.get("_account") or doc.owner),
                message_type=str(data.get("message_type") or "sms"),
                sender_key=f"{data['from_number']} to {data.get('_country')}",
                sender_per_second=float(data.get("_sender_per_second") or 0.0),
                earliest=earliest,
                expires_at=expires_at,
            )
            if sent_at is None:
                self._at(expires_at, uuid, "failed", EXPIRED)
            else:
                self._at(sent_at, uuid, "sent")
        elif state == "sent":
            sent_at = float(data.get("_sent_at") or self._clock.now())
            self._at(sent_at + self._settings.message_sent_seconds, uuid, "delivered")

    def _at(self, moment: float, uuid: str, target: str, error_code: str | None = None) -> None:
        self._clock.call_at(
            max(moment, self._clock.now()), lambda: self._clock.spawn(self._step(uuid, target, error_code))
        )

    async def _step(self, uuid: str, target: str, error_code: str | None) -> None:
        doc = await self.advance(uuid, target, error_code)
        if doc is not None:
            self._schedule_next(doc)

    async def advance(self, uuid: str, to_state: str, error_code: str | None = None) -> Document | None:
        """Take an unheld message's next automatic step (``queued`` -> ``sent`` or ``failed``, ``sent``
        -> ``delivered``) and report it; ``None`` when it cannot (held, moved on already, or gone)."""
        hold = self._settings.message_hold_state
        now = self._clock.now()

        def change(tx: Tx) -> tuple[Document | None, Delivery | None]:
            doc = tx.get(MESSAGE, uuid, ANY_OWNER)
            if doc is None or doc.data.get("_held"):
                return None, None
            if to_state not in _STEPS.get(doc.data["message_state"], ()):
                return None, None
            updated = tx.update(MESSAGE, uuid, state_changes(doc, to_state, error_code, hold, now), ANY_OWNER)
            assert updated is not None
            return updated, self._status_callback(tx, updated)

        return await self._commit_change(change)

    async def set_final_state(self, uuid: str, to_state: str, error_code: str | None) -> Document | None:
        """Give a message its final state (control API), whatever it was, and report it."""
        if to_state in ("failed", "undelivered", "rejected") and not error_code:
            error_code = "1000"
        now = self._clock.now()

        def change(tx: Tx) -> tuple[Document | None, Delivery | None]:
            doc = tx.get(MESSAGE, uuid, ANY_OWNER)
            if doc is None:
                return None, None
            updated = tx.update(MESSAGE, uuid, state_changes(doc, to_state, error_code, None, now), ANY_OWNER)
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
            held = tx.list(MESSAGE, ANY_OWNER, {"_held": True}, newest_first=False)
            return [
                doc for doc in (tx.update(MESSAGE, d.id, {"_held": False}, ANY_OWNER) for d in held) if doc
            ]

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

    async def receive_inbound(
        self, src: str, dst: str, text: str, media_urls: Sequence[str] = ()
    ) -> tuple[Document, str | None]:
        """An SMS (an MMS, with ``media_urls``) from ``src`` to the rented number ``dst``: stored as
        an inbound message of the number's owner and sent to its application's ``message_url``.
        Answers the message and that URL."""
        source = clean_number(src, "from")
        target = clean_number(dst, "to")
        message_type = "mms" if media_urls else "sms"
        check_text(text, message_type)
        now = self._clock.now()

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
                message_type=message_type,
                units=1 if media_urls else count_units(text),
                rate=unit_rate(country, "inbound", message_type),
                country=country,
            )
            body.update({"message_sent_time": body["message_updated_time"], "_text": text})
            body["_media"] = media_entries(media_urls)
            charge(tx, number.owner, Decimal(body["total_amount"]))
            doc = tx.insert(MESSAGE, ids.new_uuid(), number.owner, body)
            url = app.message_url if app else ""
            if not url or app is None:
                return doc, None, None
            method = app.message_method
            params = inbound_params(doc, text)
            callback = Callback.of(url, method, params, auth_id=doc.owner, kind=INBOUND_KIND, ref=doc.id)
            return doc, url, self._outbox.enqueue(tx, callback)

        stored = await self._store.transaction(store_inbound)
        if stored is None:
            raise bad_request(f"{target} is not a number rented in this sandbox")
        doc, url, delivery = stored
        self._outbox.dispatch([delivery])
        self._announce(doc)
        return doc, url

    async def inbound_outcome(self, delivery: Delivery) -> None:
        """The outbox's word on an inbound message's delivery to ``message_url``: ``delivered`` when
        it answered 2xx, else (every try failed) ``undelivered``."""
        uuid = delivery.callback.ref
        if uuid is None:
            return
        state = "delivered" if delivery.status == DELIVERED else "undelivered"
        now = self._clock.datetime()

        def change(tx: Tx) -> Document | None:
            doc = tx.get(MESSAGE, uuid, ANY_OWNER)
            if doc is None or doc.data.get("message_direction") != "inbound":
                return None
            return tx.update(
                MESSAGE,
                uuid,
                {"message_state": state, "message_updated_time": format_time(now, micro=True)},
                ANY_OWNER,
            )

        doc = await self._store.transaction(change)
        if doc is not None:
            self._announce(doc)

    # -- lifecycle of the part -------------------------------------------------------------------

    async def start(self) -> None:
        """Resume the lifecycles a stop left unfinished (in the order the messages were made)."""
        pending = await self._store.list(
            MESSAGE,
            ANY_OWNER,
            {"message_state__in": ["queued", "sent"], "_held": False},
            newest_first=False,
        )
        self._schedule_all(pending)

    def _schedule_all(self, docs: Iterable[Document]) -> None:
        for doc in docs:
            self._schedule_next(doc)

    def reset(self) -> None:
        """The store was wiped: forget the queues' reservations."""
        self._queue.reset()


def inbound_params(doc: Document, text: str) -> dict[str, Any]:
    """What Plivo sends to ``message_url`` ("Handling incoming SMS/MMS"): ``Text`` for an SMS;
    ``Body``, ``MediaCount`` and ``Media1``… for an MMS."""
    data = doc.data
    params: dict[str, Any] = {
        "From": data["from_number"],
        "To": data["to_number"],
        "Type": data["message_type"],
        "MessageUUID": doc.id,
        "Units": str(data["units"]),
        "TotalRate": data["total_rate"],
        "TotalAmount": data["total_amount"],
        "PowerpackUUID": "",
    }
    media = data.get("_media") or []
    if data["message_type"] == "mms":
        params["Body"] = text
        params["MediaCount"] = str(len(media))
        for index, entry in enumerate(media, start=1):
            params[f"Media{index}"] = entry["media_url"]
    else:
        params["Text"] = text
        params["MessageIntent"] = message_intent(text)
    return params
