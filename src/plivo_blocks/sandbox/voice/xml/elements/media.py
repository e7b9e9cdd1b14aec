"""``<Speak>`` (with its SSML), ``<Play>`` and ``<Wait>``."""

from __future__ import annotations

from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.rules import Boolean, Integer, Text
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec


@dataclass(frozen=True, slots=True)
class Speak:
    text: str
    voice: str = "WOMAN"
    language: str = "en-US"
    loop: int = 1


@dataclass(frozen=True, slots=True)
class Play:
    url: str
    loop: int = 1


@dataclass(frozen=True, slots=True)
class Wait:
    length: int = 1
    silence: bool = False
    min_silence: int = 2000
    beep: bool = False


@dataclass(frozen=True, slots=True)
class Ssml:
    """An SSML element inside ``<Speak>``: checked, its text part of what is spoken."""

    tag: str


Prompt = Speak | Play | Wait

SPEAK = ElementSpec(
    "Speak",
    lambda p: Speak(p.text, p["voice"], p["language"], p["loop"]),
    attrs=(
        Attr("voice", Text(), "WOMAN"),
        Attr("language", Text(), "en-US"),
        Attr("loop", Integer(minimum=0), 1),
    ),
    children=("break", "cont", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w"),
    content="speech",
)

PLAY = ElementSpec(
    "Play",
    lambda p: Play(p.text, p["loop"]),
    attrs=(Attr("loop", Integer(minimum=0), 1),),
    content="url",
)

WAIT = ElementSpec(
    "Wait",
    lambda p: Wait(p["length"], p["silence"], p["minSilence"], p["beep"]),
    attrs=(
        Attr("length", Integer(minimum=1), 1),
        Attr("silence", Boolean(), False),
        Attr("minSilence", Integer(minimum=0), 2000),
        Attr("beep", Boolean(), False),
    ),
)


def _ssml(tag: str, children: tuple[str, ...] = ()) -> ElementSpec:
    return ElementSpec(tag, lambda p: Ssml(p.tag), children=children, content="optional")


_INLINE = ("break", "emphasis", "lang", "phoneme", "prosody", "say-as", "sub", "w")
SSML = (
    _ssml("break"),
    _ssml("cont", (*_INLINE, "p", "s", "cont")),
    _ssml("emphasis", _INLINE),
    _ssml("lang", (*_INLINE, "p", "s")),
    _ssml("p", (*_INLINE, "s")),
    _ssml("phoneme"),
    _ssml("prosody", (*_INLINE, "p", "s")),
    _ssml("s", _INLINE),
    _ssml("say-as"),
    _ssml("sub"),
    _ssml("w", ("break", "emphasis", "phoneme", "prosody", "say-as", "sub")),
)

SPECS = (SPEAK, PLAY, WAIT, *SSML)
