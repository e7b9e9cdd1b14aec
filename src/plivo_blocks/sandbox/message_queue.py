"""When each outbound message leaves Plivo's queue (becomes ``sent``), or expires in it.

Plivo's support article on outgoing rate limits: "All messages are put into the primary queue and
dequeued based on the account-level messages per second rate configured for your account.
Messages are then throttled for final delivery by our smart queue based on the source type and
destination country", with "a dedicated queue for each of your source numbers", in order. So a
message is dispatched at the earliest moment that

1. is ``settings.message_queued_seconds`` after it was queued (Plivo's own processing),
2. has a place in the account's rate (``messages_per_second``, 5 by default;
   ``mms_per_second``, 0.25, for MMS; the main account's, shared with its subaccounts),
3. then has a place in its sender's rate towards its destination country
   (:meth:`~plivo_blocks.sandbox.senders.Sender.per_second`, unless ``sender_throughput`` is off).

A message still queued when its ``message_expiry`` runs out (3 hours by default) is not sent: it
fails with error 420, "Message Expired" ("Messages remaining in queue after 3 hours expire
automatically ... marked as failed, error code 420").
"""

from __future__ import annotations

from plivo_blocks.sandbox.pacing import Pacer
from plivo_blocks.sandbox.settings import SandboxSettings

__all__ = ["DEFAULT_EXPIRY_SECONDS", "MessageQueue"]

#: Plivo expires messages left in its queue after three hours.
DEFAULT_EXPIRY_SECONDS = 3 * 3600


class MessageQueue:
    def __init__(self, settings: SandboxSettings) -> None:
        self._settings = settings
        self._accounts = Pacer()
        self._senders = Pacer()

    def __repr__(self) -> str:
        return f"MessageQueue(accounts={self._accounts!r}, senders={self._senders!r})"

    def dispatch_time(
        self,
        *,
        account: str,
        message_type: str,
        sender_key: str,
        sender_per_second: float,
        earliest: float,
        expires_at: float,
    ) -> float | None:
        """The sandbox time the message is sent at, reserved; ``None`` when it would expire first."""
        settings = self._settings
        account_rate = settings.mms_per_second if message_type == "mms" else settings.messages_per_second
        moment = self._accounts.take(f"{account} {message_type}", earliest, account_rate)
        rate = sender_per_second if settings.sender_throughput else 0.0
        if self._senders.peek(sender_key, moment, rate) > expires_at:
            return None
        moment = self._senders.take(sender_key, moment, rate)
        return moment

    def reset(self) -> None:
        self._accounts.reset()
        self._senders.reset()
