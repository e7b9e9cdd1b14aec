"""``<Message>``: sends an SMS during the call (Plivo's messaging XML reference). The text is the
element's; ``src`` must be a number of the account, ``dst`` one number or several joined by ``<``;
``type`` is ``sms``; ``callbackUrl`` gets the message's delivery reports."""

from __future__ import annotations

from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.rules import Choice, Method, Pattern, Url
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    src: str
    dst: str
    type: str = "sms"
    callback_url: str | None = None
    callback_method: str = "POST"


MESSAGE = ElementSpec(
    "Message",
    lambda p: Message(p.text, p["src"], p["dst"], p["type"], p["callbackUrl"], p["callbackMethod"]),
    attrs=(
        Attr("src", Pattern(r"\+?\d{3,16}", "a phone number, such as 14155550100"), required=True),
        Attr(
            "dst",
            Pattern(r"\+?\d{3,16}(<\+?\d{3,16})*", "a phone number, or several joined by <"),
            required=True,
        ),
        Attr("type", Choice(("sms",)), "sms"),
        Attr("callbackUrl", Url()),
        Attr("callbackMethod", Method(), "POST"),
    ),
    content="text",
)

SPECS = (MESSAGE,)
