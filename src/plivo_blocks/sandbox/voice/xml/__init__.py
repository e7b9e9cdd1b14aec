"""Plivo XML (the documents an answer URL returns), checked as Plivo checks it and read into typed
instructions the call engine runs.

``parse(document) -> list[Instruction]`` raises :class:`InvalidXML` for a document Plivo would refuse
(see :mod:`.parse`). Elements are specified as data in :mod:`.elements` (attributes with their rules
in :mod:`.rules`, nesting from the official SDK's ``plivoxml``), gathered in :mod:`.schema`.
"""

from __future__ import annotations

from typing import Any

from plivo_blocks.sandbox.voice.xml.elements.conference import Conference
from plivo_blocks.sandbox.voice.xml.elements.digits import GetDigits
from plivo_blocks.sandbox.voice.xml.elements.flow import Hangup, Redirect
from plivo_blocks.sandbox.voice.xml.elements.media import Play, Prompt, Speak, Wait
from plivo_blocks.sandbox.voice.xml.elements.pending import Unsupported
from plivo_blocks.sandbox.voice.xml.elements.record import Record
from plivo_blocks.sandbox.voice.xml.parse import MAX_XML_BYTES, InvalidXML, parse_document
from plivo_blocks.sandbox.voice.xml.schema import SCHEMA

__all__ = [
    "MAX_XML_BYTES",
    "Conference",
    "GetDigits",
    "Hangup",
    "Instruction",
    "InvalidXML",
    "Play",
    "Prompt",
    "Record",
    "Redirect",
    "Speak",
    "Unsupported",
    "Wait",
    "parse",
]

Instruction = Speak | Play | Wait | GetDigits | Record | Conference | Redirect | Hangup | Unsupported


def parse(document: str | bytes) -> list[Instruction]:
    """The instructions of a Plivo XML ``<Response>``, in order (:class:`InvalidXML` if Plivo would
    refuse it)."""
    instructions: list[Any] = parse_document(document, SCHEMA)
    return instructions
