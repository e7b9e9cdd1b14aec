"""Every Plivo XML element the sandbox knows, by tag: the one table the parser reads.

``Response`` may hold what the official SDK's ``ResponseElement`` allows (its ``_nestable``).
"""

from __future__ import annotations

from plivo_blocks.sandbox.voice.xml.elements import conference, digits, flow, media, pending, record
from plivo_blocks.sandbox.voice.xml.spec import ElementSpec

RESPONSE = ElementSpec(
    "Response",
    lambda p: p.children,
    children=(
        "Conference",
        "Dial",
        "DTMF",
        "GetDigits",
        "GetInput",
        "Hangup",
        "Message",
        "Play",
        "PreAnswer",
        "Record",
        "Redirect",
        "Speak",
        "Wait",
        "MultiPartyCall",
        "Stream",
    ),
)

SCHEMA: dict[str, ElementSpec] = {
    spec.tag: spec
    for spec in (
        RESPONSE,
        *media.SPECS,
        *digits.SPECS,
        *record.SPECS,
        *conference.SPECS,
        *flow.SPECS,
        *pending.SPECS,
    )
}
