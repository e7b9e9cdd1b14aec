"""``<Conference>``.

Attributes, allowed values and defaults follow Plivo's XML reference ("Conferencing": muted,
enterSound/exitSound ``beep:1``, ``beep:2`` or a URL, maxMembers 1-20, timeLimit, hangupOnStar,
stayAlone, startConferenceOnEnter, endConferenceOnExit, waitSound, record, recordFileFormat,
transcription, action/method, callbackUrl/Method, redirect, digitsMatch, floorEvent, relayDTMF), and
the official SDK's ``ConferenceElement`` for the rest of the names it writes (``sendDigits``,
``recordWhenAlone``, ``transcriptionMethod``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.rules import Boolean, Choice, Integer, Keys, Method, Sound, Text, Url
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec, Parsed

#: Plivo: "a list of digits patterns separated by comma".
_DIGIT_PATTERNS = re.compile(r"[0-9*#]+(,[0-9*#]+)*\Z")


@dataclass(frozen=True, slots=True)
class Conference:
    name: str
    muted: bool = False
    enter_sound: str = ""
    exit_sound: str = ""
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    stay_alone: bool = True
    wait_sound: str | None = None
    max_members: int = 20
    record: bool = False
    record_file_format: str = "mp3"
    time_limit: int = 86400
    hangup_on_star: bool = False
    action: str | None = None
    method: str = "POST"
    callback_url: str | None = None
    callback_method: str = "POST"
    digits_match: tuple[str, ...] = ()
    redirect: bool = True
    floor_event: bool = False
    relay_dtmf: bool = True
    send_digits: str = ""
    record_when_alone: bool = False
    transcription_type: str | None = None
    transcription_url: str | None = None
    transcription_method: str = "POST"


def _build(p: Parsed) -> Conference:
    return Conference(
        name=p.text,
        muted=p["muted"],
        enter_sound=p["enterSound"],
        exit_sound=p["exitSound"],
        start_conference_on_enter=p["startConferenceOnEnter"],
        end_conference_on_exit=p["endConferenceOnExit"],
        stay_alone=p["stayAlone"],
        wait_sound=p["waitSound"],
        max_members=p["maxMembers"],
        record=p["record"],
        record_file_format=p["recordFileFormat"],
        time_limit=p["timeLimit"],
        hangup_on_star=p["hangupOnStar"],
        action=p["action"],
        method=p["method"],
        callback_url=p["callbackUrl"],
        callback_method=p["callbackMethod"],
        digits_match=tuple(p["digitsMatch"].split(",")) if p["digitsMatch"] else (),
        redirect=p["redirect"],
        floor_event=p["floorEvent"],
        relay_dtmf=p["relayDTMF"],
        send_digits=p["sendDigits"],
        record_when_alone=p["recordWhenAlone"],
        transcription_type=p["transcriptionType"],
        transcription_url=p["transcriptionUrl"],
        transcription_method=p["transcriptionMethod"],
    )


CONFERENCE = ElementSpec(
    "Conference",
    _build,
    attrs=(
        Attr("muted", Boolean(), False),
        Attr("enterSound", Sound(), ""),
        Attr("exitSound", Sound(), ""),
        Attr("startConferenceOnEnter", Boolean(), True),
        Attr("endConferenceOnExit", Boolean(), False),
        Attr("stayAlone", Boolean(), True),
        Attr("waitSound", Url()),
        Attr("maxMembers", Integer(minimum=1, maximum=20), 20),
        Attr("record", Boolean(), False),
        Attr("recordFileFormat", Choice(("mp3", "wav")), "mp3"),
        Attr("timeLimit", Integer(minimum=0), 86400),
        Attr("hangupOnStar", Boolean(), False),
        Attr("action", Url()),
        Attr("method", Method(), "POST"),
        Attr("callbackUrl", Url()),
        Attr("callbackMethod", Method(), "POST"),
        Attr(
            "digitsMatch",
            Text(
                check=lambda text: bool(_DIGIT_PATTERNS.match(text)),
                describe="digit patterns (0-9, * and #) separated by commas",
            ),
            "",
        ),
        Attr("redirect", Boolean(), True),
        Attr("floorEvent", Boolean(), False),
        Attr("relayDTMF", Boolean(), True),
        Attr("sendDigits", Keys(), ""),
        Attr("recordWhenAlone", Boolean(), False),
        Attr("transcriptionType", Choice(("auto", "hybrid", "manual"))),
        Attr("transcriptionUrl", Url()),
        Attr("transcriptionMethod", Method(), "POST"),
    ),
    content="text",
)

SPECS = (CONFERENCE,)
