"""``<GetInput>``: prompts (Speak, Play, Wait inside it, as the official SDK nests them), then the
caller's speech or keys.

Attributes, allowed values and defaults follow Plivo's XML reference (the GetInput section of
plivo.com/docs/voice/xml/input): ``action`` is required; ``inputType`` has no default there, so the
sandbox requires it too; ``digitEndTimeout`` and ``speechEndTimeout`` take 2 to 10 or ``auto``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.elements.media import Prompt
from plivo_blocks.sandbox.voice.xml.rules import Boolean, Choice, Integer, Method, Rule, Text, Url
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec

__all__ = ["GET_INPUT", "SPECS", "EndTimeout", "GetInput", "OneKey"]

_ONE_KEY = re.compile(r"[0-9*#]\Z")
MAX_HINTS = 500
MAX_HINT_CHARS = 100
MAX_HINTS_TOTAL = 10_000


@dataclass(frozen=True)
class EndTimeout(Rule[int | None]):
    """Seconds from 2 to 10, or ``auto`` (``None``)."""

    accepts: str = "an integer from 2 to 10, or auto"

    def parse(self, text: str) -> int | None:
        stripped = text.strip()
        if stripped.lower() == "auto":
            return None
        if not re.fullmatch(r"\d+", stripped) or not 2 <= int(stripped) <= 10:
            raise ValueError(f"must be {self.accepts}")
        return int(stripped)


@dataclass(frozen=True)
class OneKey(Rule[str]):
    """One DTMF key, or none (empty or ``none``: input ends on a timeout or ``numDigits``)."""

    accepts: str = "one key among 0-9, * and #, or none"

    def parse(self, text: str) -> str:
        stripped = text.strip()
        if stripped.lower() in ("", "none"):
            return ""
        if not _ONE_KEY.match(stripped):
            raise ValueError(f"must be {self.accepts}")
        return stripped


def _hints(text: str) -> bool:
    phrases = [p.strip() for p in text.split(",")]
    return (
        all(phrases)
        and len(phrases) <= MAX_HINTS
        and len(text) <= MAX_HINTS_TOTAL
        and all(len(p) <= MAX_HINT_CHARS for p in phrases)
    )


def _language(text: str) -> bool:
    return bool(re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})+", text.strip()))


@dataclass(frozen=True, slots=True)
class GetInput:
    action: str
    input_type: str  # "dtmf", "speech" or "dtmf speech"
    method: str = "POST"
    execution_timeout: int = 15
    digit_end_timeout: int | None = None  # None: auto
    speech_end_timeout: int | None = None  # None: auto
    finish_on_key: str = "#"
    num_digits: int = 32
    speech_model: str = "default"
    hints: str = ""
    language: str = "en-US"
    interim_callback: str | None = None
    interim_method: str = "POST"
    log: bool = True
    redirect: bool = True
    profanity_filter: bool = False
    prompts: tuple[Prompt, ...] = ()

    @property
    def keys(self) -> bool:
        return "dtmf" in self.input_type.split()

    @property
    def words(self) -> bool:
        return "speech" in self.input_type.split()


GET_INPUT = ElementSpec(
    "GetInput",
    lambda p: GetInput(
        p["action"],
        p["inputType"],
        p["method"],
        p["executionTimeout"],
        p["digitEndTimeout"],
        p["speechEndTimeout"],
        p["finishOnKey"],
        p["numDigits"],
        p["speechModel"],
        p["hints"],
        p["language"],
        p["interimSpeechResultsCallback"],
        p["interimSpeechResultsCallbackMethod"],
        p["log"],
        p["redirect"],
        p["profanityFilter"],
        p.children,
    ),
    attrs=(
        Attr("action", Url(), required=True),
        Attr("method", Method(), "POST"),
        Attr("inputType", Choice(("dtmf", "speech", "dtmf speech")), required=True),
        Attr("executionTimeout", Integer(5, 60), 15),
        Attr("digitEndTimeout", EndTimeout()),
        Attr("speechEndTimeout", EndTimeout()),
        Attr("finishOnKey", OneKey(), "#"),
        Attr("numDigits", Integer(1, 32), 32),
        Attr("speechModel", Choice(("default", "command_and_search", "phone_call")), "default"),
        Attr(
            "hints",
            Text(
                check=_hints,
                describe=f"comma-separated phrases (at most {MAX_HINTS}, each at most {MAX_HINT_CHARS} "
                f"characters, {MAX_HINTS_TOTAL} in all)",
            ),
            "",
        ),
        Attr("language", Text(check=_language, describe="a language code such as en-US"), "en-US"),
        Attr("interimSpeechResultsCallback", Url()),
        Attr("interimSpeechResultsCallbackMethod", Method(), "POST"),
        Attr("log", Boolean(), True),
        Attr("redirect", Boolean(), True),
        Attr("profanityFilter", Boolean(), False),
    ),
    children=("Speak", "Play", "Wait"),
)

SPECS = (GET_INPUT,)
