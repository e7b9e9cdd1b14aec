"""``<Speak>`` (with its SSML), ``<Play>`` and ``<Wait>``."""

from __future__ import annotations

from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.rules import Boolean, Choice, Integer, Pattern, Text
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec, Parsed
from plivo_blocks.sandbox.voice.xml.voices import Language, Voice, voice_problem


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


def _speak_problem(parsed: Parsed) -> str | None:
    return voice_problem(parsed["voice"], parsed["language"], parsed.text)


SPEAK = ElementSpec(
    "Speak",
    lambda p: Speak(p.text, p["voice"], p["language"], p["loop"]),
    attrs=(
        Attr("voice", Voice(), "WOMAN"),
        Attr("language", Language(), "en-US"),
        Attr("loop", Integer(minimum=0), 1),
    ),
    children=("break", "cont", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w"),
    content="speech",
    check=_speak_problem,
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

# SSML inside <Speak>: the tags and attribute values of Amazon Polly's SSML, which Plivo's SSML
# support is (docs "SSML"; Plivo leaves out Polly's amazon:effect and amazon:auto-breaths).
_TIME = Pattern(r"\d+(\.\d+)?(ms|s)", "a time such as 500ms or 2s")
_BREAK_STRENGTH = Choice(("none", "x-weak", "weak", "medium", "strong", "x-strong"), fold_case=False)
_VOLUME = Pattern(
    r"(default|silent|x-soft|soft|medium|loud|x-loud|[+-]\d+(\.\d+)?dB)",
    "default, silent, x-soft, soft, medium, loud, x-loud, or a change in dB such as +6dB",
)
_RATE = Pattern(
    r"(x-slow|slow|medium|fast|x-fast|\d+%)", "x-slow, slow, medium, fast, x-fast, or a percentage"
)
_PITCH = Pattern(
    r"(default|x-low|low|medium|high|x-high|[+-]\d+(\.\d+)?%)",
    "default, x-low, low, medium, high, x-high, or a change in percent such as +5%",
)
_INTERPRET_AS = Choice(
    (
        "characters",
        "spell-out",
        "cardinal",
        "number",
        "ordinal",
        "digits",
        "fraction",
        "unit",
        "date",
        "time",
        "address",
        "expletive",
        "telephone",
    ),
    fold_case=False,
)
_DATE_FORMAT = Choice(
    ("mdy", "dmy", "ymd", "md", "dm", "ym", "my", "d", "m", "y", "yyyymmdd"), fold_case=False
)
_ROLE = Choice(
    ("amazon:VB", "amazon:VBD", "amazon:DT", "amazon:IN", "amazon:JJ", "amazon:NN", "amazon:SENSE_1"),
    fold_case=False,
)
_LANG_FAILURE = Choice(("changevoice", "ignoretext", "ignorelang", "processorchoice"), fold_case=False)


def _ssml(tag: str, children: tuple[str, ...] = (), *attrs: Attr[str]) -> ElementSpec:
    return ElementSpec(tag, lambda p: Ssml(p.tag), attrs=attrs, children=children, content="optional")


_INLINE = ("break", "emphasis", "lang", "phoneme", "prosody", "say-as", "sub", "w")
SSML = (
    _ssml("break", (), Attr("strength", _BREAK_STRENGTH), Attr("time", _TIME)),
    _ssml("cont", (*_INLINE, "p", "s", "cont")),
    _ssml("emphasis", _INLINE, Attr("level", Choice(("strong", "moderate", "reduced"), fold_case=False))),
    _ssml(
        "lang",
        (*_INLINE, "p", "s"),
        Attr("xml:lang", Language(), required=True),
        Attr("onlangfailure", _LANG_FAILURE),
    ),
    _ssml("p", (*_INLINE, "s")),
    _ssml(
        "phoneme",
        (),
        Attr("alphabet", Choice(("ipa", "x-sampa"), fold_case=False), required=True),
        Attr("ph", Text(), required=True),
    ),
    _ssml(
        "prosody", (*_INLINE, "p", "s"), Attr("volume", _VOLUME), Attr("rate", _RATE), Attr("pitch", _PITCH)
    ),
    _ssml("s", _INLINE),
    _ssml("say-as", (), Attr("interpret-as", _INTERPRET_AS, required=True), Attr("format", _DATE_FORMAT)),
    _ssml("sub", (), Attr("alias", Text(), required=True)),
    _ssml("w", ("break", "emphasis", "phoneme", "prosody", "say-as", "sub"), Attr("role", _ROLE)),
)

SPECS = (SPEAK, PLAY, WAIT, *SSML)
