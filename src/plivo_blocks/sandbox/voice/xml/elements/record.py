"""``<Record>``."""

from __future__ import annotations

from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.rules import Boolean, Choice, Integer, Keys, Method, Url
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec


@dataclass(frozen=True, slots=True)
class Record:
    action: str | None = None
    method: str = "POST"
    file_format: str = "mp3"
    redirect: bool = True
    timeout: int = 15
    max_length: int = 60
    play_beep: bool = True
    finish_on_key: str = "#"
    record_session: bool = False
    start_on_dial_answer: bool = False
    callback_url: str | None = None
    callback_method: str = "POST"


RECORD = ElementSpec(
    "Record",
    lambda p: Record(
        p["action"],
        p["method"],
        p["fileFormat"],
        p["redirect"],
        p["timeout"],
        p["maxLength"],
        p["playBeep"],
        p["finishOnKey"],
        p["recordSession"],
        p["startOnDialAnswer"],
        p["callbackUrl"],
        p["callbackMethod"],
    ),
    attrs=(
        Attr("action", Url()),
        Attr("method", Method(), "POST"),
        Attr("fileFormat", Choice(("mp3", "wav")), "mp3"),
        Attr("redirect", Boolean(), True),
        Attr("timeout", Integer(minimum=1), 15),
        Attr("maxLength", Integer(minimum=1), 60),
        Attr("playBeep", Boolean(), True),
        Attr("finishOnKey", Keys(), "#"),
        Attr("recordSession", Boolean(), False),
        Attr("startOnDialAnswer", Boolean(), False),
        Attr("callbackUrl", Url()),
        Attr("callbackMethod", Method(), "POST"),
    ),
)

SPECS = (RECORD,)
