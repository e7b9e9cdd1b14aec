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
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.events import EventBus
from plivo_blocks.sandbox.message_queue import MessageQueue
from plivo_blocks.sandbox.models.accounts import charge
from plivo_blocks.sandbox.models.base import insert, load, load_all, modify, save, stored_fields
from plivo_blocks.sandbox.models.message_rules import check_text, clean_number, count_units
from plivo_blocks.sandbox.models.messages import EXPIRED, Message, new_message, plan_outbound, unit_rate
from plivo_blocks.sandbox.models.numbers import application_for_number
from plivo_blocks.sandbox.responses import bad_request
from plivo_blocks.sandbox.senders import resolve_sender
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.store import ANY_OWNER, Store, Tx
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

        def insert_all(tx: Tx) -> tuple[list[Message], list[Delivery | None]]:
            sender = resolve_sender(
                tx, request.owners, request.src, request.destinations, request.message_type
            )
            planned = plan_outbound(
                owner=request.owner,
                src=sender.address,
                destinations=request.destinations,
                text=request.text,
                message_type=request.message_type,
                media_urls=request.media_urls,
                now=now,
            )
            messages = [
                insert(
                    tx,
                    replace(
                        message,
                        url=request.url,
                        method=request.method,
                        held=hold == "queued",
                        account=request.account,
                        sender_per_second=sender.per_second(country.iso, request.message_type),
                        expires_at=now + request.expiry_seconds,
                        requester_ip=request.requester_ip,
                        sequence=1,  # the queued callback
                    ),
                )
                for message, (_, country) in zip(planned, request.destinations, strict=True)
            ]
            charge(tx, request.owner, sum((Decimal(m.total_amount) for m in messages), Decimal(0)))
            return messages, [self._status_callback(tx, message) for message in messages]

        messages, deliveries = await self._store.transaction(insert_all)
        self._outbox.dispatch(deliveries)
        for message in messages:
            self._announce(message)
            self._schedule_next(message)
        return [message.id for message in messages]

    def _status_callback(self, tx: Tx, message: Message) -> Delivery | None:
        if not message.url:
            return None
        callback = Callback.of(
            message.url,
            message.method or "POST",
            message.callback_params(),
            auth_id=message.owner,
            kind=STATUS_KIND,
            ref=message.id,
        )
        return self._outbox.enqueue(tx, callback)

    def _schedule_next(self, message: Message) -> None:
        """Set the timer of the message's next automatic step, if it has one."""
        if message.held or message.message_direction != "outbound":
            return
        state, uuid = message.message_state, message.id
        if state == "queued":
            expires_at = message.expires_at or float("inf")
            earliest = max(message.queued_at + self._settings.message_queued_seconds, self._clock.now())
            sent_at = self._queue.dispatch_time(
                account=message.account or message.owner,
                message_type=message.message_type,
                sender_key=f"{message.from_number} to {message.country}",
                sender_per_second=message.sender_per_second,
                earliest=earliest,
                expires_at=expires_at,
            )
            if sent_at is None:
                self._at(expires_at, uuid, "failed", EXPIRED)
            else:
                self._at(sent_at, uuid, "sent")
        elif state == "sent":
            sent_at = message.sent_at or self._clock.now()
            self._at(sent_at + self._settings.message_sent_seconds, uuid, "delivered")

    def _at(self, moment: float, uuid: str, target: str, error_code: str | None = None) -> None:
        self._clock.call_at(
            max(moment, self._clock.now()), lambda: self._clock.spawn(self._step(uuid, target, error_code))
        )

    async def _step(self, uuid: str, target: str, error_code: str | None) -> None:
        message = await self.advance(uuid, target, error_code)
        if message is not None:
            self._schedule_next(message)

    async def advance(self, uuid: str, to_state: str, error_code: str | None = None) -> Message | None:
        """Take an unheld message's next automatic step (``queued`` -> ``sent`` or ``failed``, ``sent``
        -> ``delivered``) and report it; ``None`` when it cannot (held, moved on already, or gone)."""
        hold = self._settings.message_hold_state
        now = self._clock.now()

        def change(tx: Tx) -> tuple[Message | None, Delivery | None]:
            message = load(tx, Message, uuid, ANY_OWNER)
            if message is None or message.held:
                return None, None
            if to_state not in _STEPS.get(message.message_state, ()):
                return None, None
            updated = message.moved_to(to_state, error_code, hold, now)
            save(tx, updated)
            return updated, self._status_callback(tx, updated)

        return await self._commit_change(change)

    async def set_final_state(self, uuid: str, to_state: str, error_code: str | None) -> Message | None:
        """Give a message its final state (control API), whatever it was, and report it."""
        if to_state in ("failed", "undelivered", "rejected") and not error_code:
            error_code = "1000"
        now = self._clock.now()

        def change(tx: Tx) -> tuple[Message | None, Delivery | None]:
            updated = modify(
                tx, Message, uuid, ANY_OWNER, lambda m: m.moved_to(to_state, error_code, None, now)
            )
            return updated, self._status_callback(tx, updated) if updated else None

        return await self._commit_change(change)

    async def _commit_change(
        self, change: Callable[[Tx], tuple[Message | None, Delivery | None]]
    ) -> Message | None:
        message, delivery = await self._store.transaction(change)
        self._outbox.dispatch([delivery])
        if message is not None:
            self._announce(message)
        return message

    async def release_held(self) -> int:
        """Let held messages continue their lifecycle; answers how many were released."""

        def release(tx: Tx) -> list[Message]:
            held = load_all(
                tx, Message, ANY_OWNER, stored_fields(Message, {"held": True}), newest_first=False
            )
            released = [replace(message, held=False) for message in held]
            for message in released:
                save(tx, message)
            return released

        released = await self._store.transaction(release)
        for doc in released:
            self._schedule_next(doc)
        return len(released)

    def _announce(self, message: Message) -> None:
        self._events.publish(
            "message",
            f"message {message.message_direction} {message.from_number} -> {message.to_number}: "
            f"{message.message_state}",
            ref=message.id,
            auth_id=message.owner,
            state=message.message_state,
        )

    # -- inbound -------------------------------------------------------------------------------

    async def receive_inbound(
        self, src: str, dst: str, text: str, media_urls: Sequence[str] = ()
    ) -> tuple[Message, str | None]:
        """An SMS (an MMS, with ``media_urls``) from ``src`` to the rented number ``dst``: stored as
        an inbound message of the number's owner and sent to its application's ``message_url``.
        Answers the message and that URL."""
        source = clean_number(src, "from")
        target = clean_number(dst, "to")
        message_type = "mms" if media_urls else "sms"
        check_text(text, message_type)
        now = self._clock.now()

        def store_inbound(tx: Tx) -> tuple[Message, str | None, Delivery | None] | None:
            found = application_for_number(tx, target)
            if found is None:
                return None
            number, app = found
            country = country_for_number(target)
            message = new_message(
                owner=number.owner,
                now=now,
                from_number=source,
                to_number=target,
                direction="inbound",
                state="received",
                message_type=message_type,
                text=text,
                media_urls=media_urls,
                units=1 if media_urls else count_units(text),
                rate=unit_rate(country, "inbound", message_type),
                country=country,
            )
            message = replace(message, message_sent_time=message.message_updated_time)
            charge(tx, number.owner, Decimal(message.total_amount))
            insert(tx, message)
            url = app.message_url if app else ""
            if not url or app is None:
                return message, None, None
            params = inbound_params(message)
            callback = Callback.of(
                url, app.message_method, params, auth_id=message.owner, kind=INBOUND_KIND, ref=message.id
            )
            return message, url, self._outbox.enqueue(tx, callback)

        stored = await self._store.transaction(store_inbound)
        if stored is None:
            raise bad_request(f"{target} is not a number rented in this sandbox")
        message, url, delivery = stored
        self._outbox.dispatch([delivery])
        self._announce(message)
        return message, url

    async def inbound_outcome(self, delivery: Delivery) -> None:
        """The outbox's word on an inbound message's delivery to ``message_url``: ``delivered`` when
        it answered 2xx, else (every try failed) ``undelivered``."""
        uuid = delivery.callback.ref
        if uuid is None:
            return
        state = "delivered" if delivery.status == DELIVERED else "undelivered"
        now = self._clock.datetime()

        def change(tx: Tx) -> Message | None:
            message = load(tx, Message, uuid, ANY_OWNER)
            if message is None or message.message_direction != "inbound":
                return None
            updated = replace(message, message_state=state, message_updated_time=format_time(now, micro=True))
            save(tx, updated)
            return updated

        message = await self._store.transaction(change)
        if message is not None:
            self._announce(message)

    # -- lifecycle of the part -------------------------------------------------------------------

    async def start(self) -> None:
        """Resume the lifecycles a stop left unfinished (in the order the messages were made)."""
        unfinished = stored_fields(Message, {"message_state__in": ["queued", "sent"], "held": False})
        pending = await self._store.transaction(
            lambda tx: load_all(tx, Message, ANY_OWNER, unfinished, newest_first=False)
        )
        self._schedule_all(pending)

    def _schedule_all(self, messages: Iterable[Message]) -> None:
        for message in messages:
            self._schedule_next(message)

    def reset(self) -> None:
        """The store was wiped: forget the queues' reservations."""
        self._queue.reset()


def inbound_params(message: Message) -> dict[str, Any]:
    """What Plivo sends to ``message_url`` ("Handling incoming SMS/MMS"): ``Text`` for an SMS;
    ``Body``, ``MediaCount`` and ``Media1``… for an MMS."""
    params: dict[str, Any] = {
        "From": message.from_number,
        "To": message.to_number,
        "Type": message.message_type,
        "MessageUUID": message.id,
        "Units": str(message.units),
        "TotalRate": message.total_rate,
        "TotalAmount": message.total_amount,
        "PowerpackUUID": "",
    }
    if message.message_type == "mms":
        params["Body"] = message.text
        params["MediaCount"] = str(len(message.media))
        for index, medium in enumerate(message.media, start=1):
            params[f"Media{index}"] = medium.media_url
    else:
        params["Text"] = message.text
        params["MessageIntent"] = message_intent(message.text)
    return params
