"""How the control API and the inspector show one message beyond Plivo's fields: its encoding and
segments, and its state timeline (``GET /_sandbox/messages/{uuid}``).

The timeline is read from the message's own times, as Plivo reports them: ``message_time`` (it was
queued, or received), ``message_sent_time`` (it left) and ``message_updated_time`` (its latest
state). The callbacks reporting each state are in the delivery log (``/_sandbox/webhooks?ref=``).
"""

from __future__ import annotations

from typing import Any

from plivo_blocks.sandbox.models.message_rules import encoding
from plivo_blocks.sandbox.models.messages import Message

__all__ = ["message_detail", "message_timeline"]

#: States a message passes after ``sent`` (so it has a sent moment before them).
_AFTER_SENT = ("delivered", "undelivered", "read")


def message_timeline(message: Message) -> list[dict[str, Any]]:
    """``[{"state", "time"}]`` from the message's times, oldest first."""
    state = message.message_state
    if message.message_direction == "inbound":
        return [{"state": state, "time": message.message_time}]
    steps: list[dict[str, Any]] = [{"state": "queued", "time": message.message_time}]
    if state == "sent" or (state in _AFTER_SENT and message.message_sent_time):
        steps.append({"state": "sent", "time": message.message_sent_time})
    if state not in ("queued", "sent"):
        steps.append({"state": state, "time": message.message_updated_time})
    return steps


def message_detail(view: dict[str, Any], message: Message) -> dict[str, Any]:
    """``view`` (the control API's message) with its encoding, segments and state timeline."""
    return {
        **view,
        "encoding": encoding(message.text),
        "segments": message.units,
        "timeline": message_timeline(message),
    }
