"""``<PreAnswer>``: early media. Its elements run before an incoming call is answered, so they are
not billed. It takes no attributes (Plivo's engine refuses any); what it may hold is the official
SDK's ``PreAnswerElement._nestable``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plivo_blocks.sandbox.voice.xml.spec import ElementSpec


@dataclass(frozen=True, slots=True)
class PreAnswer:
    steps: tuple[Any, ...] = ()  # Speak, Play, Wait, GetDigits, Redirect, Message, DTMF


PRE_ANSWER = ElementSpec(
    "PreAnswer",
    lambda p: PreAnswer(p.children),
    children=("Speak", "Play", "Wait", "GetDigits", "Redirect", "Message", "DTMF"),
    closed=True,
)

SPECS = (PRE_ANSWER,)
