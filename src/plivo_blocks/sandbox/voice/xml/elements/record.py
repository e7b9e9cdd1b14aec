"""``<Record>``.

Attributes, allowed values and defaults follow Plivo's XML reference ("Record": action/method,
fileFormat mp3/wav, redirect, timeout (seconds of silence), maxLength, playBeep, finishOnKey (digits,
``*``, ``#``, or ``none``), recordSession, startOnDialAnswer, recordChannelType mono/stereo,
transcriptionType auto/hybrid, transcriptionUrl, callbackUrl/Method) and the official SDK's
``RecordElement`` for ``transcriptionMethod`` and ``transcriptionReportType``.
"""

from __future__ import annotations

from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.rules import Boolean, Choice, Integer, Keys, Method, Text, Url
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec, Parsed


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
    record_channel_type: str = "stereo"
    transcription_type: str | None = None
    transcription_url: str | None = None
    transcription_method: str = "POST"
    transcription_report_type: str | None = None


def _build(p: Parsed) -> Record:
    return Record(
        action=p["action"],
        method=p["method"],
        file_format=p["fileFormat"],
        redirect=p["redirect"],
        timeout=p["timeout"],
        max_length=p["maxLength"],
        play_beep=p["playBeep"],
        finish_on_key=p["finishOnKey"],
        record_session=p["recordSession"],
        start_on_dial_answer=p["startOnDialAnswer"],
        callback_url=p["callbackUrl"],
        callback_method=p["callbackMethod"],
        record_channel_type=p["recordChannelType"],
        transcription_type=p["transcriptionType"],
        transcription_url=p["transcriptionUrl"],
        transcription_method=p["transcriptionMethod"],
        transcription_report_type=p["transcriptionReportType"],
    )


RECORD = ElementSpec(
    "Record",
    _build,
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
        Attr("recordChannelType", Choice(("mono", "stereo")), "stereo"),
        Attr("transcriptionType", Choice(("auto", "hybrid"))),
        Attr("transcriptionUrl", Url()),
        Attr("transcriptionMethod", Method(), "POST"),
        Attr("transcriptionReportType", Text()),
    ),
)

SPECS = (RECORD,)
