"""``<Redirect>`` and ``<Hangup>``."""

from __future__ import annotations

from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.rules import Choice, Integer, Method
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec


@dataclass(frozen=True, slots=True)
class Redirect:
    url: str
    method: str = "POST"


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: str | None = None
    schedule: int = 0


REDIRECT = ElementSpec(
    "Redirect",
    lambda p: Redirect(p.text, p["method"]),
    attrs=(Attr("method", Method(), "POST"),),
    content="url",
)

HANGUP = ElementSpec(
    "Hangup",
    lambda p: Hangup(p["reason"], p["schedule"]),
    attrs=(Attr("reason", Choice(("rejected", "busy"))), Attr("schedule", Integer(minimum=0), 0)),
)

SPECS = (REDIRECT, HANGUP)
