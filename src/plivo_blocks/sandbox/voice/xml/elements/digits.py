"""``<GetDigits>``: prompts (Speak, Play, Wait inside it), then the caller's keys."""

from __future__ import annotations

from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.elements.media import Prompt
from plivo_blocks.sandbox.voice.xml.rules import Boolean, Integer, Keys, Method, Url
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec


@dataclass(frozen=True, slots=True)
class GetDigits:
    action: str | None = None
    method: str = "POST"
    timeout: int = 5
    digit_timeout: int = 2
    finish_on_key: str = "#"
    num_digits: int = 99
    retries: int = 1
    redirect: bool = True
    play_beep: bool = False
    valid_digits: str = "1234567890*#"
    invalid_digits_sound: str | None = None
    prompts: tuple[Prompt, ...] = ()


GET_DIGITS = ElementSpec(
    "GetDigits",
    lambda p: GetDigits(
        p["action"],
        p["method"],
        p["timeout"],
        p["digitTimeout"],
        p["finishOnKey"],
        p["numDigits"],
        p["retries"],
        p["redirect"],
        p["playBeep"],
        p["validDigits"],
        p["invalidDigitsSound"],
        p.children,
    ),
    attrs=(
        Attr("action", Url()),
        Attr("method", Method(), "POST"),
        Attr("timeout", Integer(minimum=1), 5),
        Attr("digitTimeout", Integer(minimum=1), 2),
        Attr("finishOnKey", Keys(), "#"),
        Attr("numDigits", Integer(minimum=1), 99),
        Attr("retries", Integer(minimum=1), 1),
        Attr("redirect", Boolean(), True),
        Attr("playBeep", Boolean(), False),
        Attr("validDigits", Keys(), "1234567890*#"),
        Attr("invalidDigitsSound", Url()),
        Attr("log", Boolean(), True),
    ),
    children=("Speak", "Play", "Wait"),
)

SPECS = (GET_DIGITS,)
